"""Results entry, review and publication (shuangsuiji.results) on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from shuangsuiji import importer, results, tasks
from shuangsuiji.bulletin import RESULT_CODES
from shuangsuiji.errors import InputError, NotFound, StateError, ValidationError
from shuangsuiji.store import Store
from tests.helpers import ENTITY_HEADER, INSPECTOR_HEADER, entity_rows, inspector_rows, make_uscc, write_csv
from tests.helpers import setup_registry

DEPT = "市场监管局"
BJ = timedelta(hours=8)


def spec(task_no: str = "T1", **over) -> dict:
    base = {"task_no": task_no, "name": "食品经营抽查", "plan": "P2026", "department": DEPT,
            "as_of": "2026-11-01", "strata": {"by": []}, "sizes": {"ratio": "10%"},
            "teams": {"seats": [{"department": DEPT, "k": 2}]}}
    base.update(over)
    return base


def q(store: Store, sql: str, **p):
    conn = store.read()
    rows = conn.execute(text(sql), p).all()
    conn.rollback()
    return rows


def drawn_task(store: Store, tmp: Path, n: int = 60, officers: int = 8) -> tuple[list[str], date]:
    """A drawn task T1: the drawn USCCs in rank order and the draw's date in Beijing time."""
    setup_registry(store, tmp, n=n, officers=officers)
    tasks.create_task(store, spec())
    tasks.freeze(store, "T1")
    tasks.draw(store, "T1", "2026-11-21 福彩3D 123")
    return drawn_order(store), draw_day(store)


def drawn_order(store: Store) -> list[str]:
    return [r[0] for r in q(store, "SELECT e.uscc FROM draw_entity de JOIN entity e ON e.id = de.entity_id "
                                   "JOIN draw d ON d.id = de.draw_id WHERE d.current = :c ORDER BY de.rank", c=True)]


def draw_day(store: Store) -> date:
    raw = q(store, "SELECT created_at FROM draw WHERE current = :c", c=True)[0][0]
    at = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
    if at.tzinfo is not None:
        at = at.astimezone(timezone.utc).replace(tzinfo=None)
    return (at + BJ).date()


def events(store: Store, uscc: str | None = None) -> list[tuple]:
    sql = ("SELECT ev.id, e.uscc, ev.actor, ev.action, ev.reason, ev.payload FROM result_event ev "
           "JOIN result r ON r.id = ev.result_id JOIN entity e ON e.id = r.entity_id")
    if uscc:
        return q(store, sql + " WHERE e.uscc = :u ORDER BY ev.id", u=uscc)
    return q(store, sql + " ORDER BY ev.id")


def state_of(store: Store, uscc: str) -> tuple[str, int, str]:
    return tuple(q(store, "SELECT r.state, r.version, r.codes FROM result r JOIN entity e ON e.id = r.entity_id "
                          "JOIN draw d ON d.id = r.draw_id WHERE d.current = :c AND e.uscc = :u", c=True, u=uscc)[0])


# -- pure parts ----------------------------------------------------------------------------------
def test_parse_codes_accepts_codes_and_labels() -> None:
    assert results.parse_codes("1") == ("1",)
    assert results.parse_codes("未发现问题") == ("1",)
    assert results.parse_codes(" b ；6、 E") == ("6", "B", "E")
    assert results.parse_codes("B,6") == ("6", "B")
    assert results.parse_codes(["Problems found, follow-up pending", "C"]) == ("A", "C")
    for bad, code in (("Z", "result.unknown_code"), ("", "result.no_code"), ("B;b", "result.duplicate_code"),
                      ("1;6", "result.contradictory"), ("1、未按规定公示应当公示的信息", "result.contradictory")):
        with pytest.raises(ValidationError) as err:
            results.parse_codes(bad)
        assert err.value.code == code


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(sorted(RESULT_CODES)), min_size=1, max_size=5, unique=True),
       st.lists(st.sampled_from(["code", "zh", "en"]), min_size=5, max_size=5),
       st.sampled_from(["；", ";", "、", "\n"]))
def test_parse_codes_property(codes: list[str], forms: list[str], sep: str) -> None:
    spelled = [c if f == "code" else (RESULT_CODES[c].zh if f == "zh" else RESULT_CODES[c].en)
               for c, f in zip(codes, forms)]
    contradictory = "1" in codes and any(RESULT_CODES[c].problem for c in codes)
    if contradictory:
        with pytest.raises(ValidationError):
            results.parse_codes(sep.join(spelled))
    else:
        assert results.parse_codes(sep.join(spelled)) == tuple(sorted(codes))
        assert results.parse_codes(spelled) == tuple(sorted(codes))


def test_follow_up_enumeration() -> None:
    assert [results.parse_action(v) for v in ("无需后续处置", "停止检查并反馈日常监管", "责令改正",
                                              "发现案件线索移送办案", "抄告相关部门")] == \
        ["none", "refer_routine", "rectify", "refer_case", "notify"]
    assert results.parse_action("Ordered to rectify") == "rectify"
    assert results.parse_action("REFER_CASE") == "refer_case"
    with pytest.raises(ValidationError):
        results.parse_action("罚款")
    assert results.action_label("notify") == "抄告相关部门"


def test_transitions_and_messages() -> None:
    with pytest.raises(StateError) as err:
        results.transition("91330106X", "pending_entry", "approve")
    assert "91330106X" in err.value.message("zh") and "未录入" in err.value.message("zh")
    assert "not entered" in err.value.message("en") and "approved" in err.value.message("en")
    with pytest.raises(StateError):
        results.transition("X", "approved", "return")
    assert results.transition("X", "approved", "publish") == "published"


# -- workflow on both backends --------------------------------------------------------------------
def test_entry_review_approve(store: Store, tmp_path: Path) -> None:
    order, day = drawn_task(store, tmp_path)
    listed = results.list_results(store, "T1")
    assert [r.uscc for r in listed] == order and len(order) == 6
    assert all(r.state == "pending_entry" and r.version == 0 and r.codes == [] for r in listed)
    names = dict(q(store, "SELECT uscc, name FROM entity"))
    assert all(r.name == names[r.uscc] for r in listed)
    u = order[2]
    v = results.set_result(store, "T1", u, codes=["B", "6"], action="抄告相关部门", completed_on=day,
                           remarks="  已抄告税务部门 ", actor="张三", today=day)
    assert (v.state, v.version, v.codes, v.action, v.remarks, v.entered_by) == \
        ("pending_review", 1, ["6", "B"], "notify", "已抄告税务部门", "张三")
    assert state_of(store, u) == ("pending_review", 1, "6;B")
    approved = results.review(store, "T1", u, approve=True, actor="李四")
    assert [(a.uscc, a.state) for a in approved] == [(u, "approved")]
    evs = events(store, u)
    assert [(e[2], e[3]) for e in evs] == [("张三", "enter"), ("李四", "approve")]
    first = json.loads(evs[0][5])
    assert first["from"] == "pending_entry" and first["to"] == "pending_review" and first["old"] is None
    assert first["new"]["codes"] == ["6", "B"] and first["new"]["completed_on"] == day.isoformat()
    hist = results.history(store, "T1", u)
    assert [(h.action, h.state_from, h.state_to, h.version) for h in hist] == \
        [("enter", "pending_entry", "pending_review", 1), ("approve", "pending_review", "approved", 1)]
    assert all(h.at.tzinfo is not None and abs((datetime.now(timezone.utc) - h.at).total_seconds()) < 600
               for h in hist)
    conn = store.read()
    draw_id = conn.execute(text("SELECT id FROM draw WHERE current = :c"), {"c": True}).scalar_one()
    record = results.results_record(conn, draw_id)
    conn.rollback()
    assert [r["uscc"] for r in record] == order
    assert record[2] == {"uscc": u, "codes": ["6", "B"], "action": "notify", "completed_on": day.isoformat(),
                         "remarks": "已抄告税务部门", "state": "approved", "version": 1}
    dumped = json.dumps(record, ensure_ascii=False)
    assert "张三" not in dumped and "李四" not in dumped
    with pytest.raises(NotFound):
        results.set_result(store, "T1", make_uscc(10_000), codes=["1"], action=None, completed_on=day,
                           actor="张三", today=day)
    with pytest.raises(NotFound):
        results.list_results(store, "T9")


def test_bad_values_write_nothing(store: Store, tmp_path: Path) -> None:
    order, day = drawn_task(store, tmp_path)
    u = order[0]
    cases = [
        (dict(codes=["Z"]), "result.unknown_code"),
        (dict(codes=[]), "result.no_code"),
        (dict(codes=["1", "B"]), "result.contradictory"),
        (dict(codes=["B"], action=None), "result.action_required"),
        (dict(action="罚款"), "enum.follow_up"),
        (dict(completed_on=day - timedelta(days=1)), "result.completed_before_draw"),
        (dict(completed_on=day + timedelta(days=2)), "result.completed_in_future"),
        (dict(codes=["B"], action="责令改正"), "result.rectify_by_required"),
        (dict(rectify_by=day + timedelta(days=5)), "result.rectify_without_order"),
        (dict(codes=["B"], action="rectify", rectify_by=day - timedelta(days=1)), "result.rectify_before_completed"),
        (dict(remarks="x" * 501), "import.too_long"),
        (dict(actor="  "), "result.actor_required"),
    ]
    for over, code in cases:
        args = dict(codes=["1"], action=None, completed_on=day, actor="张三", today=day + timedelta(days=1)) | over
        with pytest.raises(ValidationError) as err:
            results.set_result(store, "T1", u, **args)
        assert err.value.code == code, over
        assert err.value.message("zh") != code and err.value.message("en") != code
    assert state_of(store, u) == ("pending_entry", 0, "") and events(store) == []


def test_return_resubmit_and_invalid_transitions(store: Store, tmp_path: Path) -> None:
    order, day = drawn_task(store, tmp_path)
    u = order[1]
    with pytest.raises(StateError):
        results.review(store, "T1", u, approve=True, actor="李四")           # nothing entered yet
    results.set_result(store, "T1", u, codes=["1"], action="无需后续处置", completed_on=day, actor="张三", today=day)
    with pytest.raises(ValidationError) as err:
        results.review(store, "T1", u, approve=False, actor="李四")
    assert err.value.code == "result.return_needs_reason"
    with pytest.raises(ValidationError):
        results.review(store, "T1", u, approve=False, actor="李四", reason=" ")
    assert state_of(store, u)[0] == "pending_review"
    back = results.review(store, "T1", u, approve=False, actor="李四", reason="完成日期与检查记录不符")
    assert back[0].state == "returned"
    with pytest.raises(StateError) as err:
        results.review(store, "T1", u, approve=True, actor="李四")
    assert u in err.value.message("zh") and "退回" in err.value.message("zh")
    same = results.set_result(store, "T1", u, codes=["未发现问题"], action="none", completed_on=day, actor="张三", today=day)
    assert (same.state, same.version) == ("pending_review", 1)                 # resubmitted, unchanged
    again = results.set_result(store, "T1", u, codes=["1"], action="none", completed_on=day, actor="张三", today=day)
    assert again.version == 1
    assert [e[3] for e in events(store, u)] == ["enter", "return", "submit"]
    ret = [e for e in events(store, u) if e[3] == "return"][0]
    assert ret[4] == "完成日期与检查记录不符"


def test_correction_after_approval_needs_reason_and_keeps_old_values(store: Store, tmp_path: Path) -> None:
    order, day = drawn_task(store, tmp_path)
    u = order[3]
    due = day + timedelta(days=30)
    results.set_result(store, "T1", u, codes=["B"], action="责令改正", completed_on=day, rectify_by=due,
                       remarks="未公示年报", actor="张三", today=day)
    results.review(store, "T1", None, approve=True, actor="李四")
    before = events(store)
    with pytest.raises(StateError) as err:
        results.set_result(store, "T1", u, codes=["E"], action="责令改正", completed_on=day, rectify_by=due,
                            actor="张三", today=day)
    assert err.value.code == "result.correction_needs_reason" and u in err.value.message("en")
    assert state_of(store, u) == ("approved", 1, "B") and events(store) == before
    v = results.set_result(store, "T1", u, codes=["E"], action="责令改正", completed_on=day, rectify_by=due,
                           remarks="已按期改正", actor="王五", reason="企业已改正，更正结果", today=day)
    assert (v.state, v.version, v.codes, v.entered_by) == ("pending_review", 2, ["E"], "王五")
    after = events(store)
    assert after[:len(before)] == before and len(after) == len(before) + 1
    last = after[-1]
    payload = json.loads(last[5])
    assert (last[2], last[3], last[4]) == ("王五", "correct", "企业已改正，更正结果")
    assert payload["old"] == {"codes": ["B"], "action": "rectify", "completed_on": day.isoformat(),
                              "remarks": "未公示年报", "rectify_by": due.isoformat()}
    assert payload["new"]["codes"] == ["E"] and payload["from"] == "approved" and payload["to"] == "pending_review"


def test_publication(store: Store, tmp_path: Path) -> None:
    order, day = drawn_task(store, tmp_path)
    for u in order[:4]:
        results.set_result(store, "T1", u, codes=["1"], action=None, completed_on=day, actor="张三", today=day)
    results.review(store, "T1", order[0], approve=False, actor="李四", reason="请补充检查记录")
    approved = results.review(store, "T1", None, approve=True, actor="李四")
    assert sorted(a.uscc for a in approved) == sorted(order[1:4])
    draw_id = q(store, "SELECT id FROM draw WHERE current = :c", c=True)[0][0]
    with pytest.raises(StateError) as err, store.atomic() as conn:
        results.mark_published(conn, draw_id, "发布员")
    assert err.value.code == "result.not_all_approved" and order[0] in err.value.message("zh")
    with store.atomic() as conn:
        assert results.mark_published(conn, draw_id, "发布员", partial=True) == 3
    assert [state_of(store, u)[0] for u in order] == ["returned"] + ["published"] * 3 + ["pending_entry"] * 2
    with pytest.raises(StateError):
        results.set_result(store, "T1", order[1], codes=["F"], action=None, completed_on=day, actor="张三", today=day)
    results.set_result(store, "T1", order[1], codes=["F"], action=None, completed_on=day, actor="张三",
                       reason="复核发现未开展经营", today=day)
    assert state_of(store, order[1]) == ("pending_review", 2, "F")
    results.review(store, "T1", order[1], approve=True, actor="李四")
    with store.atomic() as conn:
        assert results.mark_published(conn, draw_id, "发布员", partial=True) == 1
    assert [e[3] for e in events(store, order[1])] == ["enter", "approve", "publish", "correct", "approve", "publish"]
    tasks.draw(store, "T1", "99999", reason="见证人缺席，依规重抽")
    with pytest.raises(StateError), store.atomic() as conn:
        results.mark_published(conn, draw_id, "发布员", partial=True)
    assert all(r.state == "pending_entry" for r in results.list_results(store, "T1"))
    assert len(events(store, order[1])) == 6                                  # the old draw's events stay


def test_publish_events_match_the_review_events(store: Store, tmp_path: Path) -> None:
    """Publication writes its events in SQL: each is what any other change writes, in result order."""
    order, day = drawn_task(store, tmp_path)
    for u in order[:5]:
        results.set_result(store, "T1", u, codes=["1"], action=None, completed_on=day, actor="张三", today=day)
    results.set_result(store, "T1", order[2], codes=["F"], action=None, completed_on=day, actor="张三", today=day)
    results.review(store, "T1", None, approve=True, actor="李四")
    draw_id = q(store, "SELECT id FROM draw WHERE current = :c", c=True)[0][0]
    before = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(seconds=1)
    with store.atomic() as conn:
        assert results.mark_published(conn, draw_id, "发布员", partial=True) == 5
    published = [e for e in events(store) if e[3] == "publish"]
    result_ids = dict(q(store, "SELECT e.uscc, r.id FROM result r JOIN entity e ON e.id = r.entity_id"))
    assert sorted(e[1] for e in published) == sorted(order[:5])
    assert [result_ids[e[1]] for e in published] == sorted(result_ids[u] for u in order[:5])
    for (_, uscc, actor, _, reason, payload) in published:
        version = state_of(store, uscc)[1]
        assert (actor, reason) == ("发布员", "")
        assert payload == json.dumps({"from": "approved", "to": "published", "version": version, "old": None,
                                      "new": None}, sort_keys=True, separators=(",", ":"))
    assert {state_of(store, u)[1] for u in order[:5]} == {1, 2}
    history = results.history(store, "T1", order[2])
    assert [h.action for h in history] == ["enter", "correct", "approve", "publish"]
    assert history[-1].at.replace(tzinfo=None) >= before and history[-1].at.tzinfo in (None, timezone.utc)
    assert type(history[-1].at) is type(history[-2].at)


def test_rectification_due(store: Store, tmp_path: Path) -> None:
    order, day = drawn_task(store, tmp_path)
    today = day + timedelta(days=20)
    for u, days in zip(order, (10, 25, 40, 27)):
        results.set_result(store, "T1", u, codes=["B"], action="责令改正", completed_on=day,
                           rectify_by=day + timedelta(days=days), actor="张三", today=today)
    results.set_result(store, "T1", order[4], codes=["C"], action="发现案件线索移送办案", completed_on=day,
                       actor="张三", today=today)
    due = results.rectification_due(store, today)
    assert [(d.uscc, d.days_left, d.overdue) for d in due] == [(order[0], -10, True), (order[1], 5, False),
                                                                (order[3], 7, False)]
    assert due[0].task_no == "T1" and due[0].rectify_by == day + timedelta(days=10)
    assert results.rectification_due(store, day) == []


# -- import ----------------------------------------------------------------------------------------
HEADER = ["统一社会信用代码", "检查结果", "后续处置", "检查完成日期", "备注", "整改期限"]


def test_import_reports_every_bad_row_and_writes_nothing(store: Store, tmp_path: Path) -> None:
    order, day = drawn_task(store, tmp_path)
    d = day.isoformat()
    undrawn = next(r[0] for r in entity_rows(60) if r[0] not in order)
    rows = [
        [order[0], "1", "", d, "", ""],                                  # 2 good
        [order[1], "Z", "", d, "", ""],                                  # 3 unknown code
        [undrawn, "1", "", d, "", ""],                                   # 4 not drawn
        [order[2], "1;B", "", d, "", ""],                                # 5 contradictory (+ no follow-up)
        [order[0], "1", "", d, "", ""],                                  # 6 duplicate of line 2
        [order[3], "B", "责令改正", "2026-02-30", "", ""],                 # 7 bad date, no deadline
        [order[4][:-1] + ("0" if order[4][-1] != "0" else "1"), "1", "", d, "", ""],   # 8 bad check char
        [order[5], "未按规定公示应当公示的信息", "罚款", d, "", ""],        # 9 unknown follow-up
    ]
    path = write_csv(tmp_path / "r.csv", HEADER, rows)
    with pytest.raises(InputError) as err:
        results.import_results(store, "T1", path, actor="张三", today=day)
    problems = err.value.problems
    assert sorted({p.line for p in problems}) == [3, 4, 5, 6, 7, 8, 9]
    by_line = {}
    for p in problems:
        by_line.setdefault(p.line, set()).add(p.reason_code)
    assert by_line[3] == {"result.unknown_code"} and by_line[4] == {"result.not_drawn"}
    assert by_line[5] == {"result.contradictory"} and by_line[6] == {"import.duplicate"}
    assert by_line[7] == {"date.invalid", "result.rectify_by_required"} and by_line[8] == {"uscc.checksum"}
    assert by_line[9] == {"enum.follow_up"}
    assert all(p.file == "r.csv" for p in problems)
    line3 = next(p for p in problems if p.line == 3)
    assert line3.value == "Z" and "r.csv" in line3.format("zh") and "第3行" in line3.format("zh")
    assert "line 3" in line3.format("en")
    assert "未写入任何数据" in err.value.message("zh")
    assert events(store) == [] and all(state_of(store, u)[0] == "pending_entry" for u in order)


def test_import_undrawn_uscc_fails(store: Store, tmp_path: Path) -> None:
    order, day = drawn_task(store, tmp_path)
    stranger = make_uscc(99_999)
    path = write_csv(tmp_path / "r.csv", HEADER, [[order[0], "1", "", day.isoformat(), "", ""],
                                                 [stranger, "1", "", day.isoformat(), "", ""]])
    with pytest.raises(InputError) as err:
        results.import_results(store, "T1", path, actor="张三", today=day)
    assert [(p.line, p.reason_code, p.value) for p in err.value.problems] == [(3, "result.not_drawn", stranger)]
    assert events(store) == []


def test_import_dry_run_then_real_then_again(store: Store, tmp_path: Path) -> None:
    order, day = drawn_task(store, tmp_path)
    due = (day + timedelta(days=15)).strftime("%Y/%m/%d")
    rows = [[u, "未发现问题" if i % 2 else "B、6", "" if i % 2 else "责令改正", f"{day:%Y年%m月%d日}",
             f"备注{i}", "" if i % 2 else due] for i, u in enumerate(order)]
    path = write_csv(tmp_path / "r.csv", ["USCC", "Result codes", "Follow-up", "Completed on", "Remarks", "Rectify by"],
                     rows)
    dry = results.import_results(store, "T1", path, actor="张三", dry_run=True, today=day)
    assert (dry.rows, dry.entered, dry.dry_run) == (6, 6, True)
    assert events(store) == [] and all(state_of(store, u) == ("pending_entry", 0, "") for u in order)
    real = results.import_results(store, "T1", path, actor="张三", today=day)
    assert (real.entered, real.corrected, real.unchanged) == (6, 0, 0)
    assert [state_of(store, u) for u in order[:2]] == [("pending_review", 1, "6;B"), ("pending_review", 1, "1")]
    listed = results.list_results(store, "T1")
    assert listed[0].rectify_by == day + timedelta(days=15) and listed[1].remarks == "备注1"
    again = results.import_results(store, "T1", path, actor="张三", today=day)
    assert (again.entered, again.corrected, again.unchanged) == (0, 0, 6)
    results.review(store, "T1", None, approve=True, actor="李四")
    rows[1][4] = "补充说明"
    path2 = write_csv(tmp_path / "r2.csv", HEADER, rows)
    with pytest.raises(InputError) as err:
        results.import_results(store, "T1", path2, actor="张三", today=day)
    assert [(p.line, p.reason_code) for p in err.value.problems] == [(3, "result.correction_needs_reason")]
    fixed = results.import_results(store, "T1", path2, actor="张三", reason="补充备注说明", today=day)
    assert (fixed.corrected, fixed.unchanged) == (1, 5)
    assert state_of(store, order[1])[:2] == ("pending_review", 2)
    assert len(events(store)) == 6 + 6 + 1


def test_import_xlsx(store: Store, tmp_path: Path) -> None:
    from openpyxl import Workbook

    order, day = drawn_task(store, tmp_path)
    names = dict(q(store, "SELECT uscc, name FROM entity"))
    wb = Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "名称", "检查结果", "后续处置", "检查完成日期", "备注"])
    ws.append([order[0], names[order[0]], "1", "无需后续处置", datetime(day.year, day.month, day.day), ""])
    ws.append([order[1], "别的公司", "F", "", day.isoformat(), ""])
    ws.append([order[2], names[order[2]].replace("有限公司", " 有限公司 "), "7", "", day.isoformat(), ""])
    path = tmp_path / "r.xlsx"
    wb.save(path)
    with pytest.raises(InputError) as err:
        results.import_results(store, "T1", path, actor="张三", today=day)
    assert [(p.line, p.reason_code) for p in err.value.problems] == [(3, "result.name_mismatch")]
    ws.delete_rows(3)
    wb.save(path)
    rep = results.import_results(store, "T1", path, actor="张三", today=day)
    assert rep.entered == 2 and state_of(store, order[2]) == ("pending_review", 1, "7")


# -- state machine property ------------------------------------------------------------------------
class _Rollback(Exception):
    pass


OPS = st.tuples(st.sampled_from(["enter", "enter", "correct", "correct_no_reason", "approve", "approve", "return",
                                 "return_no_reason", "approve_all", "publish", "publish"]),
                st.integers(0, 2), st.integers(0, 2))


def test_state_machine_property(store: Store, tmp_path: Path) -> None:
    order, day = drawn_task(store, tmp_path, n=40, officers=6)
    order = order[:3]
    values = [dict(codes=["1"], action="none"), dict(codes=["B", "6"], action="refer_routine"),
              dict(codes=["A"], action="rectify", rectify_by=day + timedelta(days=9))]
    canon = [(tuple(sorted(v["codes"])), v["action"]) for v in values]
    draw_id = q(store, "SELECT id FROM draw WHERE current = :c", c=True)[0][0]

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(OPS, min_size=1, max_size=30))
    def run(ops: list[tuple[str, int, int]]) -> None:
        model = {u: {"state": "pending_entry", "version": 0, "value": None} for u in order}
        expected_events = 0
        try:
            with store.atomic() as conn:
                seen: dict[int, tuple] = {}
                for kind, i, j in ops:
                    u, m = order[i], model[order[i]]
                    before = m["state"]
                    try:
                        if kind in ("enter", "correct", "correct_no_reason"):
                            results.set_result(store, "T1", u, completed_on=day, actor="录入员", today=day,
                                               reason="依据复核记录更正" if kind == "correct" else None, **values[j])
                        elif kind in ("approve", "return", "return_no_reason"):
                            results.review(store, "T1", u, approve=kind == "approve", actor="审核员",
                                           reason="材料不全需补充" if kind == "return" else None)
                        elif kind == "approve_all":
                            results.review(store, "T1", None, approve=True, actor="审核员")
                        else:
                            results.mark_published(conn, draw_id, "发布员", partial=True)
                        raised = None
                    except (StateError, ValidationError) as exc:
                        raised = exc
                    # the reference model of the workflow
                    if kind in ("enter", "correct", "correct_no_reason"):
                        changed = m["value"] != canon[j]
                        locked = before in ("approved", "published")
                        if locked and changed and kind != "correct":
                            assert isinstance(raised, StateError)
                        else:
                            assert raised is None
                            if changed or before == "pending_entry":
                                m.update(state="pending_review", version=m["version"] + 1, value=canon[j])
                                expected_events += 1
                            elif before == "returned":
                                m["state"] = "pending_review"
                                expected_events += 1
                    elif kind == "return_no_reason":
                        assert isinstance(raised, ValidationError)
                    elif kind in ("approve", "return"):
                        if before == "pending_review":
                            assert raised is None
                            m["state"] = "approved" if kind == "approve" else "returned"
                            expected_events += 1
                        else:
                            assert isinstance(raised, StateError)
                    else:
                        assert raised is None
                        src, dst = ("pending_review", "approved") if kind == "approve_all" else ("approved", "published")
                        for mm in model.values():
                            if mm["state"] == src:
                                mm["state"] = dst
                                expected_events += 1
                    # invariants, read back from the database
                    rows = conn.execute(text(
                        "SELECT e.uscc, r.state, r.version, r.codes FROM result r JOIN entity e ON e.id = r.entity_id "
                        "WHERE r.draw_id = :d"), {"d": draw_id}).all()
                    evs = conn.execute(text(
                        "SELECT ev.id, e.uscc, ev.action, ev.payload FROM result_event ev JOIN result r ON r.id = ev.result_id "
                        "JOIN entity e ON e.id = r.entity_id WHERE r.draw_id = :d ORDER BY ev.id"), {"d": draw_id}).all()
                    assert len(evs) == expected_events
                    now = {int(e[0]): tuple(e[1:]) for e in evs}
                    assert all(now.get(k) == v for k, v in seen.items())        # no event removed or changed
                    seen = now
                    for uscc, state, version, codes in rows:
                        if uscc not in model:
                            assert state == "pending_entry"
                            continue
                        mm = model[uscc]
                        assert (state, int(version)) == (mm["state"], mm["version"])
                        if mm["value"] is not None:
                            assert tuple(codes.split(";")) == mm["value"][0]
                        mine = [json.loads(p) | {"action": a} for _, u2, a, p in evs if u2 == uscc]
                        assert int(version) == sum(1 for e in mine if e["action"] in ("enter", "correct"))
                        walk = "pending_entry"
                        for e in mine:                                          # every change is an event
                            assert e["from"] == walk
                            walk = e["to"]
                        assert walk == state
                raise _Rollback()
        except _Rollback:
            pass

    run()


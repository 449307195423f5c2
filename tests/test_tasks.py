from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from shuangsuiji import importer, ledger, sampling, tasks
from shuangsuiji.errors import NotFound, SealedError, StateError, ValidationError
from shuangsuiji.store import Store
from tests.helpers import ENTITY_HEADER, INSPECTOR_HEADER, entity_rows, inspector_rows, write_csv
from tests.helpers import setup_registry

DEPT = "市场监管局"


def spec(task_no: str = "T1", **over) -> dict:
    base = {"task_no": task_no, "name": "食品经营抽查", "plan": "P2026", "department": DEPT,
            "as_of": "2026-11-01", "strata": {"by": ["risk"]},
            "sizes": {"risk": {"A": "5%", "B": "10%", "C": "20%", "D": "50%"}},
            "teams": {"seats": [{"department": DEPT, "k": 2}]}}
    base.update(over)
    return base


def q(store: Store, sql: str, **p):
    conn = store.read()
    rows = conn.execute(text(sql), p).all()
    conn.rollback()
    return rows


def test_freeze_then_draw_then_redraw(store: Store, tmp_path: Path) -> None:
    setup_registry(store, tmp_path)
    tasks.create_task(store, spec())
    with pytest.raises(StateError):
        tasks.draw(store, "T1", "12345")            # not frozen
    fr = tasks.freeze(store, "T1")
    assert fr.excluded["not_in_operation"] == 12 and fr.eligible == 108
    # cancelled rows (every 10th) fall in classes A and C only: sizes 24/30/24/30
    assert [s.size for s in fr.strata] == [24, 30, 24, 30]
    # floors round up: ceil(24*5%)=2, ceil(30*10%)=3, ceil(24*20%)=5 (4.8), ceil(30*50%)=15
    assert [s.quota for s in fr.strata] == [2, 3, 5, 15]
    with pytest.raises(SealedError):
        tasks.freeze(store, "T1")
    d1 = tasks.draw(store, "T1", "  35 17 02 88 ")
    assert d1.public_value == "35 17 02 88" and d1.round_no == 1 and d1.drawn == 25
    # the seed is derived from commitment + public value, exactly as the spec says
    assert d1.seed == sampling.derive_seed(fr.commitment, 1, "35 17 02 88").hex()
    teams = q(store, "SELECT entity_id, count(*) FROM draw_team GROUP BY entity_id")
    assert len(teams) == 25 and all(c == 2 for _, c in teams)
    with pytest.raises(SealedError):
        tasks.draw(store, "T1", "99999")            # no silent re-roll
    d2 = tasks.draw(store, "T1", "99999", reason="见证人缺席，依规重抽")
    assert d2.round_no == 2 and d2.superseded == 1
    rounds = q(store, "SELECT round_no, current FROM draw ORDER BY round_no")
    assert [(r, bool(c)) for r, c in rounds] == [(1, False), (2, True)]
    assert q(store, "SELECT count(*) FROM draw_entity")[0][0] == 50   # the first draw stays
    shown = tasks.show_task(store, "T1")
    assert [d["round_no"] for d in shown["draws"]] == [1, 2]
    chain = q(store, "SELECT content, seal FROM bundle ORDER BY seq")
    assert len(chain) == 2
    conn = store.read()
    entries = ledger.entries(conn, 1)
    conn.rollback()
    ledger.verify_chain(entries)


def test_draw_is_backend_and_order_independent(backend: str, tmp_path: Path) -> None:
    """The same registry imported in reverse order (and on another backend) draws the same."""
    from tests.conftest import fresh_store

    results = []
    for i, reverse in enumerate((False, True)):
        sub = tmp_path / f"r{i}"
        sub.mkdir()
        with fresh_store(backend if i == 0 else "sqlite", sub) as store:
            rows = entity_rows(80)
            if reverse:
                rows.reverse()
            importer.import_file(store, "entities", write_csv(sub / "e.csv", ENTITY_HEADER, rows))
            importer.import_file(store, "inspectors",
                                 write_csv(sub / "i.csv", INSPECTOR_HEADER, inspector_rows(10, DEPT)))
            tasks.create_plan(store, "P2026", "计划", 2026, DEPT)
            tasks.create_task(store, spec())
            fr = tasks.freeze(store, "T1")
            d = tasks.draw(store, "T1", "2026-11-21 福彩3D 123")
            drawn = q(store, "SELECT e.uscc FROM draw_entity de JOIN entity e ON e.id = de.entity_id ORDER BY de.rank")
            results.append((fr.commitment, d.seed, d.seal, [r[0] for r in drawn]))
    assert results[0] == results[1]


def _drawn_units(store: Store, task_no: str) -> dict[str, str]:
    from shuangsuiji import teams

    blob = q(store, "SELECT d.assign_input FROM draw d JOIN task t ON t.id = d.task_id "
                    "WHERE t.task_no = :t AND d.current = :c", t=task_no, c=True)[0][0]
    return dict(map(tuple, teams.decode(blob)["entities"]))


def _move_every_entity(store: Store) -> dict[str, str]:
    """Give every entity the next of the three units; returns USCC -> unit name now."""
    with store.atomic() as conn:
        names = [n for (n,) in conn.execute(text("SELECT name FROM unit ORDER BY id"))]
        ids = [i for (i,) in conn.execute(text("SELECT id FROM unit ORDER BY id"))]
        conn.execute(text("UPDATE entity SET unit_id = CASE unit_id " + " ".join(
            f"WHEN {a} THEN {b}" for a, b in zip(ids, ids[1:] + ids[:1])) + " END"))
    assert len(names) >= 3
    return {u: n for u, n in q(store, "SELECT e.uscc, u.name FROM entity e JOIN unit u ON u.id = e.unit_id")}


def test_a_draw_uses_the_units_frozen_with_the_population(store: Store, tmp_path: Path) -> None:
    """An entity moved to another unit between freeze and draw is dealt as it was frozen."""
    setup_registry(store, tmp_path)
    tasks.create_task(store, spec(teams={"seats": [{"department": DEPT, "k": 2, "cross_unit": True}]}))
    tasks.freeze(store, "T1")
    frozen = {u: n for u, n in q(store, "SELECT e.uscc, u.name FROM entity e JOIN unit u ON u.id = e.unit_id")}
    now = _move_every_entity(store)
    tasks.draw(store, "T1", "12345")
    got = _drawn_units(store, "T1")
    assert len(got) == 25 and got == {u: frozen[u] for u in got} and all(now[u] != got[u] for u in got)


def test_units_given_with_the_entities_build_the_same_assignment_input(store: Store, tmp_path: Path) -> None:
    """The units passed in (as frozen; -1 for none) give the document the registry gives."""
    from datetime import date

    from shuangsuiji import teams

    setup_registry(store, tmp_path)
    with store.atomic() as conn:
        conn.execute(text("UPDATE entity SET unit_id = NULL WHERE id % 4 = 1"))
    rows = q(store, "SELECT uscc, id, coalesce(unit_id, -1) FROM entity WHERE status = 'active' ORDER BY uscc DESC")
    assert any(r[2] == -1 for r in rows) and any(r[2] >= 0 for r in rows)
    usccs, ids, units = [r[0] for r in rows], [int(r[1]) for r in rows], [int(r[2]) for r in rows]
    sp = tasks.parse_spec(spec())
    conn = store.read()
    try:
        given_units = teams.collect(conn, sp, usccs, date(2026, 11, 1), entity_ids=ids, entity_units=units)
        from_registry = teams.collect(conn, sp, usccs, date(2026, 11, 1), entity_ids=ids)
        by_uscc = teams.collect(conn, sp, usccs, date(2026, 11, 1))
    finally:
        conn.rollback()
    assert given_units == from_registry == by_uscc
    assert {u for _, u in given_units["entities"]} >= {"", "第0监管所"}


def test_a_task_frozen_before_migration_0006_reads_units_at_the_draw(store: Store, tmp_path: Path) -> None:
    from alembic import command

    setup_registry(store, tmp_path)
    tasks.create_task(store, spec(teams={"seats": [{"department": DEPT, "k": 2, "cross_unit": True}]}))
    tasks.freeze(store, "T1")
    cfg = store._alembic_config()
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
    assert store.init() == store.head()
    assert q(store, "SELECT count(*) FROM task_stratum WHERE member_units IS NOT NULL")[0][0] == 0
    now = _move_every_entity(store)
    tasks.draw(store, "T1", "12345")
    got = _drawn_units(store, "T1")
    assert len(got) == 25 and got == {u: now[u] for u in got}


def test_a_task_frozen_with_zlib_blocks_draws_from_the_same_population(store: Store, tmp_path: Path) -> None:
    """Frozen populations written before the switch to zstd are still read, value for value."""
    import zlib

    from shuangsuiji import i18n, packing, publication
    from tests.test_tamper import drop_sealed_triggers

    setup_registry(store, tmp_path)
    tasks.create_task(store, spec())
    tasks.freeze(store, "T1")
    conn = store.read()
    before = tasks.load_frozen(conn, 1)
    conn.rollback()
    cols = ("members", "member_ids", "member_units")
    with store.atomic() as conn:
        drop_sealed_triggers(conn)
        rows = conn.execute(text("SELECT idx, members, member_ids, member_units FROM task_stratum")).all()
        assert all(bytes(b[:4]) == packing.ZSTD_MAGIC for r in rows for b in r[1:])
        for r in rows:
            conn.execute(text("UPDATE task_stratum SET " + ", ".join(f"{c} = :{c}" for c in cols) + " WHERE idx = :i"),
                         {"i": r[0], **{c: zlib.compress(packing.unpack(b), 6) for c, b in zip(cols, r[1:])}})
    conn = store.read()
    after = tasks.load_frozen(conn, 1)
    conn.rollback()
    for name in ("usccs", "ids", "stratum_of", "units"):
        assert getattr(after, name).tolist() == getattr(before, name).tolist()
    assert (after.keys, after.quotas) == (before.keys, before.quotas)
    tasks.draw(store, "T1", "12345")
    assert "T1: " + i18n.text("publish.ok_db_draw", round=1) in publication.audit(store)


@pytest.mark.parametrize("damage", ["short_units", "not_a_block"])
def test_a_damaged_frozen_population_is_refused_and_nothing_is_drawn(store: Store, tmp_path: Path,
                                                                     damage: str) -> None:
    from shuangsuiji import packing
    from shuangsuiji.errors import VerificationError
    from tests.test_tamper import drop_sealed_triggers

    setup_registry(store, tmp_path)
    tasks.create_task(store, spec())
    tasks.freeze(store, "T1")
    with store.atomic() as conn:
        drop_sealed_triggers(conn)
        if damage == "short_units":
            conn.execute(text("UPDATE task_stratum SET member_units = :b WHERE idx = 0"),
                         {"b": packing.pack(np.zeros(1, "<i4"))})
        else:
            conn.execute(text("UPDATE task_stratum SET members = :b WHERE idx = 0"), {"b": b"\x28\xb5\x2f\xfdjunk"})
    with pytest.raises(VerificationError) as err:
        tasks.draw(store, "T1", "12345")
    assert "T1" in str(err.value) and err.value.code == "task.frozen_damaged"
    assert q(store, "SELECT count(*) FROM draw")[0][0] == 0
    assert q(store, "SELECT state FROM task")[0][0] == "frozen"


def test_os_entropy_and_bad_inputs(store: Store, tmp_path: Path) -> None:
    setup_registry(store, tmp_path, n=40, officers=6)
    tasks.create_task(store, spec())
    tasks.freeze(store, "T1")
    with pytest.raises(ValidationError):
        tasks.draw(store, "T1", "   ")
    with pytest.raises(ValidationError):
        tasks.draw(store, "T1", "1", os_entropy=True)
    d = tasks.draw(store, "T1", os_entropy=True)
    assert d.source == "os-entropy" and len(d.public_value) == 64
    with pytest.raises(NotFound):
        tasks.create_task(store, spec("T2", plan="NOPE"))
    with pytest.raises(StateError):
        tasks.create_task(store, spec("T1"))


def test_exclusions_window_and_plan(store: Store, tmp_path: Path) -> None:
    setup_registry(store, tmp_path, n=60, officers=8)
    tasks.create_task(store, spec("T1", sizes={"ratio": "50%"}, strata={"by": []}))
    tasks.freeze(store, "T1")
    d1 = tasks.draw(store, "T1", "abc")
    tasks.create_task(store, spec("T2", sizes={"ratio": "100%"}, strata={"by": []}))
    fr2 = tasks.freeze(store, "T2")
    # entities drawn in the plan's open task T1 are excluded from T2
    assert fr2.excluded["drawn_in_plan"] == d1.drawn
    assert fr2.eligible == 54 - d1.drawn


def test_infeasible_teams_explain_and_write_nothing(store: Store, tmp_path: Path) -> None:
    from shuangsuiji.errors import InfeasibleError

    setup_registry(store, tmp_path, n=60, officers=6)
    tasks.create_task(store, spec("T1", teams={"seats": [{"department": DEPT, "k": 2, "qualification": "核辐射"}]}))
    tasks.freeze(store, "T1")
    with pytest.raises(InfeasibleError) as info:
        tasks.draw(store, "T1", "1 2 3")
    assert DEPT in info.value.message("zh") and "核辐射" in info.value.message("zh")
    assert "qualif" in info.value.message("en")
    assert q(store, "SELECT count(*) FROM draw")[0][0] == 0
    assert q(store, "SELECT state FROM task")[0][0] == "frozen"


@given(st.lists(st.integers(0, 5000), max_size=300), st.integers(0, 3))
def test_dense_stratum_codes_match_numpy_unique(values: list[int], spare: int) -> None:
    from shuangsuiji.population import _dense_codes

    combined = np.array(values, dtype=np.int64)
    bound = (max(values) + 1 if values else 1) * (1 + spare * 10_000)
    uniq, inverse = _dense_codes(combined, bound)
    ref_u, ref_i = np.unique(combined, return_inverse=True)
    assert uniq.tolist() == ref_u.tolist()
    assert inverse.tolist() == ref_i.ravel().tolist()


_cert = st.one_of(st.from_regex(r"ZF[0-9]{6}", fullmatch=True), st.text(min_size=1, max_size=5))


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n=st.integers(0, 12), k=st.integers(1, 3), e=st.integers(0, 2),
       reason=st.one_of(st.none(), st.text(max_size=8)))
def test_draw_record_text_is_the_canonical_json_of_the_record(data: st.DataObject, n: int, k: int, e: int,
                                                              reason: str | None) -> None:
    """The sealed draw's fast emitter and the reference emitter give the same bytes, for odd
    certificate numbers and IDs too (quotes, backslashes, non-ASCII fall back)."""
    from shuangsuiji import assignment

    certs = data.draw(st.lists(_cert, min_size=max(k, 1), max_size=6, unique=True))
    ids = data.draw(st.lists(st.one_of(st.from_regex(r"[0-9A-Z]{18}", fullmatch=True),
                                       st.sampled_from(['91330"06', "9133\\0106", "税号1", "9133\x010"])),
                             min_size=n, max_size=n, unique=True))
    officer = st.integers(0, len(certs) - 1)
    teams = np.array(data.draw(st.lists(st.lists(officer, min_size=k, max_size=k), min_size=n, max_size=n)),
                     dtype=np.int64).reshape(n, k)
    experts = np.array(data.draw(st.lists(st.lists(st.integers(-1, len(certs) - 1), min_size=e, max_size=e),
                                          min_size=n, max_size=n)), dtype=np.int64).reshape(n, e)
    assigned = assignment.Assignment(teams=teams, leader=np.zeros(n, np.int64), experts=experts,
                                     loads=np.zeros(len(certs), np.int64), rules=None)
    strata = [sampling.StratumResult("risk=A", 10, 2, 2**64 - 1, "X"), sampling.StratumResult("风险=B", 0, 0, None, None)]
    args = ("c" * 64, 2, "12 34", "public", "d" * 64, reason, strata, ids, [i % 2 for i in range(n)],
            [(i * 2654435761) % 2**64 for i in range(n)], {"officers": [[c] for c in certs]}, assigned, "e" * 64)
    assert tasks.draw_record_text(*args) == sampling.canonical_json(tasks.draw_record(*args))


@settings(max_examples=60, deadline=None)
@given(entities=st.lists(st.tuples(st.one_of(st.from_regex(r"[0-9A-Z]{18}", fullmatch=True),
                                             st.sampled_from(['9"1', "9\\1", "税1", "9\x011"])),
                                   st.one_of(st.just(""), st.text(max_size=4))), max_size=8),
       certs=st.lists(st.text(min_size=1, max_size=4), max_size=3))
def test_assignment_document_json_is_canonical(entities: list[tuple[str, str]], certs: list[str]) -> None:
    from shuangsuiji import teams

    doc = {"algorithm": "a", "departments": ["市场监管局"], "rules": {"mode": "x", "rotation": True, "seats": []},
           "entities": [list(e) for e in entities], "officers": [[c, "n", 0, "", 5, False, True, []] for c in certs],
           "conflicts": [[c, '"entities":[]'] for c in certs], "previous": []}
    assert teams.document_json(doc) == sampling.canonical_json(doc)


def test_draw_with_experts_stores_and_seals_them(store: Store, tmp_path: Path) -> None:
    from shuangsuiji import publication

    importer.import_file(store, "entities", write_csv(tmp_path / "e.csv", ENTITY_HEADER, entity_rows(60)))
    officers = inspector_rows(12, DEPT)
    for row in officers[8:]:
        row[7] = "是"
    importer.import_file(store, "inspectors", write_csv(tmp_path / "i.csv", INSPECTOR_HEADER, officers))
    tasks.create_plan(store, "P2026", "2026年度抽查计划", 2026, DEPT)
    tasks.create_task(store, spec(teams={"seats": [{"department": DEPT, "k": 2, "experts": 1}]}))
    tasks.freeze(store, "T1")
    d = tasks.draw(store, "T1", "7 7 7")
    seats: dict[int, list[tuple[int, str, bool]]] = {}
    for eid, seat, role, expert in q(store, "SELECT t.entity_id, t.seat, t.role, i.expert FROM draw_team t "
                                            "JOIN inspector i ON i.id = t.inspector_id ORDER BY t.entity_id, t.seat"):
        seats.setdefault(eid, []).append((seat, role, bool(expert)))
    assert len(seats) == d.drawn > 0
    assert all(s == [(0, "leader", False), (1, "member", False), (2, "expert", True)] for s in seats.values())
    from shuangsuiji import i18n

    # the sealed record, experts included, re-derives from the stored rows
    assert "T1: " + i18n.text("publish.ok_db_draw", round=1) in publication.audit(store)

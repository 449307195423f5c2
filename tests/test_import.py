from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import text

from shuangsuiji import importer, registry
from shuangsuiji.errors import InputError
from shuangsuiji.store import Store
from tests.helpers import (ENTITY_HEADER, INSPECTOR_HEADER, entity_rows, inspector_rows, make_uscc,
                           write_csv)


def count(store: Store, table: str) -> int:
    conn = store.read()
    n = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
    conn.rollback()
    return int(n)


def test_import_entities_and_reimport_changes(store: Store, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "e.csv", ENTITY_HEADER, entity_rows(50))
    rep = importer.import_file(store, "entities", f)
    assert (rep.rows, rep.inserted, rep.updated) == (50, 50, 0)
    assert count(store, "entity") == 50 and count(store, "unit") == 3
    rows = entity_rows(52)
    rows[3][4] = "注销"          # status change
    rows[6][5] = "D"             # risk change (was C)
    f2 = write_csv(tmp_path / "e2.csv", ENTITY_HEADER, rows)
    rep2 = importer.import_file(store, "entities", f2)
    assert (rep2.inserted, rep2.updated, rep2.unchanged) == (2, 2, 48)
    assert {(c[0], c[1], c[3]) for c in rep2.changes} == {
        (rows[3][0], "status", "cancelled"), (rows[6][0], "risk", "D")}
    assert count(store, "registry_change") == 2
    # a --replace import with the first ten rows retires (disables) the others, never deletes
    f3 = write_csv(tmp_path / "e3.csv", ENTITY_HEADER, rows[:10])
    rep3 = importer.import_file(store, "entities", f3, replace=True)
    assert rep3.retired == 42
    assert count(store, "entity") == 52
    conn = store.read()
    assert conn.execute(text("SELECT count(*) FROM entity WHERE enabled")).scalar() == 10
    conn.rollback()


def test_bad_rows_all_reported_nothing_written(store: Store, tmp_path: Path) -> None:
    rows = entity_rows(30)
    rows[4][0] = rows[4][0][:-1] + ("0" if rows[4][0][-1] != "0" else "1")  # bad check char
    rows[9][2] = "999999"                                                  # bad region
    rows[12][5] = "E"                                                      # bad risk class
    rows[20][0] = rows[2][0]                                               # duplicate
    rows[24][1] = "  "                                                     # blank name
    rows[27][1] = "名" * 301                                               # name too long
    f = write_csv(tmp_path / "bad.csv", ENTITY_HEADER, rows)
    with pytest.raises(InputError) as info:
        importer.import_file(store, "entities", f)
    probs = info.value.problems
    assert [(p.line, p.column) for p in probs] == [
        (6, "统一社会信用代码"), (11, "行政区划"), (14, "信用风险分类"), (22, "统一社会信用代码"),
        (26, "名称"), (29, "名称")]
    assert [p.reason_code for p in probs[-2:]] == ["import.required", "import.too_long"]
    assert all(p.file == "bad.csv" for p in probs)
    msg = info.value.message("zh")
    assert "bad.csv 第6行" in msg and "与第4行重复" in msg
    assert "line 6" in info.value.message("en")
    assert count(store, "entity") == 0 and count(store, "unit") == 0 and count(store, "import_batch") == 0


def test_encodings_detected(store: Store, tmp_path: Path) -> None:
    for i, enc in enumerate(("utf-8-sig", "gb18030")):
        f = write_csv(tmp_path / f"e{i}.csv", ENTITY_HEADER, entity_rows(5, start=10 * i), encoding=enc)
        importer.import_file(store, "entities", f)
    conn = store.read()
    names = set(conn.execute(text("SELECT name FROM entity")).scalars())
    conn.rollback()
    assert "测试企业12有限公司" in names and len(names) == 10


def test_wrong_forced_encoding_is_clear(store: Store, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "g.csv", ENTITY_HEADER, entity_rows(3), encoding="gb18030")
    with pytest.raises(InputError) as info:
        importer.import_file(store, "entities", f, encoding="utf-8")
    assert "utf-8" in info.value.message("en")
    assert count(store, "entity") == 0


def test_dry_run_writes_nothing(store: Store, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "e.csv", ENTITY_HEADER, entity_rows(10))
    rep = importer.import_file(store, "entities", f, dry_run=True)
    assert rep.inserted == 10 and rep.dry_run
    assert count(store, "entity") == 0 and count(store, "import_batch") == 0


def test_conflicts_need_known_references(store: Store, tmp_path: Path) -> None:
    importer.import_file(store, "entities", write_csv(tmp_path / "e.csv", ENTITY_HEADER, entity_rows(5)))
    importer.import_file(store, "inspectors", write_csv(tmp_path / "i.csv", INSPECTOR_HEADER, inspector_rows(4)))
    header = ["执法证号", "统一社会信用代码", "回避事由", "生效日期", "失效日期"]
    good = [["ZF330001", make_uscc(1), "近亲属任职", "2026-01-01", ""]]
    bad = good + [["ZF999999", make_uscc(2), "x", "", ""], ["ZF330002", make_uscc(999), "x", "", ""],
                  ["ZF330003", make_uscc(3), "x", "2026-05-01", "2026-01-01"]]
    with pytest.raises(InputError) as info:
        importer.import_file(store, "conflicts", write_csv(tmp_path / "c.csv", header, bad))
    codes = [p.reason_code for p in info.value.problems]
    assert codes == ["import.unknown_inspector", "import.unknown_entity", "import.date_order"]
    assert count(store, "conflict") == 0
    rep = importer.import_file(store, "conflicts", write_csv(tmp_path / "c2.csv", header, good))
    assert rep.inserted == 1 and count(store, "conflict") == 1


def test_xlsx_numeric_ids_and_formulas_rejected(store: Store, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(ENTITY_HEADER)
    ws.append(entity_rows(1)[0])
    ws.append([913301061234567000, "数字编号公司", "330106", "", "存续", "A", ""])
    ws.append([make_uscc(5), "=HYPERLINK(\"x\")", "330106", "", "存续", "A", ""])
    f = tmp_path / "e.xlsx"
    wb.save(f)
    with pytest.raises(InputError) as info:
        importer.import_file(store, "entities", f)
    codes = [(p.line, p.reason_code) for p in info.value.problems]
    assert codes == [(3, "table.numeric_id"), (4, "table.formula")]
    assert "Excel" in info.value.message("zh")
    assert count(store, "entity") == 0


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_round_trip(store: Store, tmp_path: Path, suffix: str) -> None:
    rows = entity_rows(20)
    rows[0][1] = "=cmd|'/c calc'!A1"   # formula-looking name must survive but be neutralised
    importer.import_file(store, "entities", write_csv(tmp_path / "e.csv", ENTITY_HEADER, rows))
    importer.import_file(store, "inspectors", write_csv(tmp_path / "i.csv", INSPECTOR_HEADER, inspector_rows(6)))
    before = {k: registry.digest(store, k) for k in ("entities", "inspectors")}
    for kind in ("entities", "inspectors"):
        out = tmp_path / f"{kind}{suffix}"
        assert registry.export(store, kind, out) == before[kind].rows
        if suffix == ".xlsx":
            from openpyxl import load_workbook
            ws = load_workbook(out).active
            ids = [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
            assert all(isinstance(v, str) for v in ids)
            assert not any(str(c.value).startswith("=") for row in ws.iter_rows() for c in row if c.value)
        else:
            if kind == "entities":
                import csv
                cells = [c for row in csv.reader(out.open(encoding="utf-8-sig")) for c in row]
                assert "'=cmd|'/c calc'!A1" in cells and not any(c.startswith("=") for c in cells)
        rep = importer.import_file(store, kind, out)
        assert rep.unchanged == before[kind].rows and rep.updated == 0, rep.changes
    assert {k: registry.digest(store, k) for k in before} == before


def test_malformed_files(store: Store, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    trunc = tmp_path / "trunc.csv"
    trunc.write_text(",".join(ENTITY_HEADER) + "\n" + make_uscc(1) + ',"unterminated name', encoding="utf-8")
    ctrl = write_csv(tmp_path / "ctrl.csv", ENTITY_HEADER, [[make_uscc(1), "bad\x07name", "330106", "", "存续", "A", ""]])
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(ENTITY_HEADER) + "\n" + ",".join([make_uscc(1), "n", "330106"] + ["x"] * 100_000),
                    encoding="utf-8")
    unknown = write_csv(tmp_path / "unk.csv", ["统一社会信用代码", "名称", "风险"], [])
    expected = {"empty.csv": "table.empty", "trunc.csv": "table.unreadable", "ctrl.csv": "table.control_char",
                "wide.csv": "table.too_many_cells", "unk.csv": "table.unknown_column"}
    for f in (empty, trunc, ctrl, wide, unknown):
        with pytest.raises(InputError) as info:
            importer.import_file(store, "entities", f)
        assert info.value.problems[0].reason_code == expected[f.name], f.name
    assert count(store, "entity") == 0


def test_stats_and_digest_are_backend_independent(store: Store, tmp_path: Path) -> None:
    importer.import_file(store, "entities", write_csv(tmp_path / "e.csv", ENTITY_HEADER, entity_rows(12)))
    st = registry.stats(store)
    assert st["entity_risk"] == {"A": 3, "B": 3, "C": 3, "D": 3}
    assert sum(st["entity_unit"].values()) == 12
    d = registry.digest(store, "entities")
    rev = write_csv(tmp_path / "r.csv", ENTITY_HEADER, list(reversed(entity_rows(12))))
    other = Store(f"sqlite:///{tmp_path / 'other.db'}")
    other.init()
    importer.import_file(other, "entities", rev)
    assert registry.digest(other, "entities") == d
    other.close()


def test_history_import_is_set_based_and_idempotent(store: Store, tmp_path: Path) -> None:
    importer.import_file(store, "entities", write_csv(tmp_path / "e.csv", ENTITY_HEADER, entity_rows(5)))
    importer.import_file(store, "inspectors", write_csv(tmp_path / "i.csv", INSPECTOR_HEADER, inspector_rows(4)))
    header = ["统一社会信用代码", "检查日期", "检查部门", "检查人员执法证号"]
    rows = [[make_uscc(1), "2025-03-01", "市场监管局", "ZF330000;ZF330001"],
            [make_uscc(1), "2026-02-01", "市场监管局", "ZF330002"],
            [make_uscc(2), "2025-07-15", "市场监管局", ""]]
    f = write_csv(tmp_path / "h.csv", header, rows)
    assert importer.import_file(store, "history", f).inserted == 3
    again = importer.import_file(store, "history", f)
    assert (again.inserted, again.unchanged) == (0, 3)
    assert count(store, "inspection") == 3 and count(store, "inspection_member") == 3
    last = {r[0]: r[10] for r in registry.rows(store, "entities") if r[10] is not None}
    conn = store.read()
    assert conn.execute(text("SELECT count(*) FROM entity WHERE last_inspected IS NOT NULL")).scalar_one() == 0
    team = conn.execute(text("SELECT i.cert_no FROM inspection n JOIN inspection_member m ON m.inspection_id = n.id "
                             "JOIN inspector i ON i.id = m.inspector_id JOIN entity e ON e.id = n.entity_id "
                             "WHERE e.uscc = :u ORDER BY n.inspected_on, i.cert_no"), {"u": make_uscc(1)}).scalars().all()
    conn.rollback()
    assert {k: str(v) for k, v in last.items()} == {make_uscc(1): "2026-02-01", make_uscc(2): "2025-07-15"}
    assert team == ["ZF330000", "ZF330001", "ZF330002"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=6), st.none() | st.integers(), st.booleans(),
                          st.none() | st.dates()), max_size=8))
def test_row_hashes_keep_the_stored_format(rows: list[tuple]) -> None:
    """Hashes already in databases compare against new ones: the format must not drift."""
    want = [hashlib.blake2b("\x1f".join(map(str, r)).encode(), digest_size=8).hexdigest() for r in rows]
    columns = [list(c) for c in zip(*rows)] if rows else [[] for _ in range(4)]
    assert importer._row_hashes(columns) == want


@pytest.mark.parametrize("cell, kept", [("'=SUM(A1)", "=SUM(A1)"), ("'ordinary", "'ordinary"),
                                        ("  '+1 ", "+1"), ("O'Brien", "O'Brien")])
def test_cleaning_a_column_undoes_only_our_neutralisation(cell: str, kept: str) -> None:
    assert importer._clean_column(["plain ", cell, " x"]) == ["plain", kept, "x"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="a名 ", max_size=5), max_size=6), st.booleans())
def test_a_text_column_passes_exactly_when_every_cell_does(values: list[str], required: bool) -> None:
    parse = importer._Text("unit", required=required)
    parse.limit = 3

    def passes(v: str) -> bool:
        try:
            parse(v)
        except ValueError:
            return False
        return True
    assert parse.column_ok(values) == all(map(passes, values))


@pytest.mark.parametrize("kind", ["entities", "inspectors"])
def test_small_chunks_stream_rows_and_new_names_between_them(store: Store, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """Chunks of 4 rows: later chunks add rows to an open COPY and bring units never seen before."""
    monkeypatch.setattr(importer, "CHUNK", 4)
    if kind == "entities":
        header, rows, table, key = ENTITY_HEADER, entity_rows(30), "entity", "uscc"
        unit_col = 3
    else:
        header, rows, table, key = INSPECTOR_HEADER, inspector_rows(30), "inspector", "cert_no"
        unit_col = 3
        rows[26][2] = "生态环境局"                 # a department first seen in the seventh chunk
    rows[13][unit_col] = "新设监管所"             # a unit first seen in the fourth chunk
    rows[22][unit_col] = "另一新设所"
    rep = importer.import_file(store, kind, write_csv(tmp_path / "s.csv", header, rows))
    assert (rep.rows, rep.inserted) == (30, 30)
    conn = store.read()
    got = conn.execute(text(f"SELECT t.{key}, u.name FROM {table} t JOIN unit u ON u.id = t.unit_id "
                            f"ORDER BY t.{key}")).all()
    conn.rollback()
    assert got == sorted((r[0], r[unit_col]) for r in rows)
    # a re-import that changes rows in several chunks alternates COPY and UPDATE
    for i in (1, 9, 17):
        rows[i][unit_col] = "新设监管所"
    rep2 = importer.import_file(store, kind, write_csv(tmp_path / "s2.csv", header, rows + (
        entity_rows(3, start=100) if kind == "entities" else [])))
    assert (rep2.updated, rep2.inserted) == (3, 3 if kind == "entities" else 0)


def test_a_bad_row_after_rows_were_sent_leaves_nothing(store: Store, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "CHUNK", 4)
    rows = entity_rows(30)
    rows[13][3] = "新设监管所"
    rows[25][5] = "E"                                                      # bad risk class
    with pytest.raises(InputError) as info:
        importer.import_file(store, "entities", write_csv(tmp_path / "bad.csv", ENTITY_HEADER, rows))
    assert [(p.line, p.column) for p in info.value.problems] == [(27, "信用风险分类")]
    assert count(store, "entity") == 0 and count(store, "unit") == 0 and count(store, "import_batch") == 0
    rows[25][5] = "A"
    assert importer.import_file(store, "entities", write_csv(tmp_path / "good.csv", ENTITY_HEADER, rows)).inserted == 30


def test_an_error_with_a_copy_open_leaves_nothing(store: Store, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "CHUNK", 4)
    real = importer._Parser.parse_chunk
    calls = []

    def parse_chunk(self, chunk):
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("disk gone")
        return real(self, chunk)
    monkeypatch.setattr(importer._Parser, "parse_chunk", parse_chunk)
    with pytest.raises(RuntimeError, match="disk gone"):
        importer.import_file(store, "entities", write_csv(tmp_path / "e.csv", ENTITY_HEADER, entity_rows(30)))
    assert count(store, "entity") == 0 and count(store, "import_batch") == 0
    monkeypatch.setattr(importer._Parser, "parse_chunk", real)
    assert importer.import_file(store, "entities", tmp_path / "e.csv").inserted == 30

"""Fuzzing the importers: whatever file arrives, the import either succeeds or raises
:class:`InputError` (never another exception, never a traceback in the CLI), and a failed
import leaves every table exactly as it was.

Hypothesis rejects function-scoped fixtures, so each test builds its SQLite database itself
(``fresh_store`` in a temporary directory) and runs its examples against it; successful
examples change the database and later examples import on top, as real re-imports do.
"""
from __future__ import annotations

import csv
import io
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import inspect, text

from shuangsuiji import importer
from shuangsuiji.errors import InputError
from shuangsuiji.formats import COLUMNS, KINDS
from shuangsuiji.store import Store
from tests.conftest import fresh_store
from tests.helpers import ENTITY_HEADER, INSPECTOR_HEADER, entity_rows, inspector_rows, write_csv

FAST = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "latin-1", "big5", "shift_jis", "cp1252"]
ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def seeded_store() -> Iterator[tuple[Store, Path]]:
    """A fresh SQLite database holding a few entities and inspectors (so references resolve)."""
    with tempfile.TemporaryDirectory() as tmp, fresh_store("sqlite", Path(tmp)) as store:
        d = Path(tmp)
        importer.import_file(store, "entities", write_csv(d / "seed-e.csv", ENTITY_HEADER, entity_rows(20)))
        importer.import_file(store, "inspectors", write_csv(d / "seed-i.csv", INSPECTOR_HEADER, inspector_rows(6)))
        yield store, d


def counts(store: Store) -> dict[str, int]:
    conn = store.read()
    out = {t: int(conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one())
           for t in inspect(conn).get_table_names()}
    conn.rollback()
    return out


def import_or_input_error(store: Store, kind: str, path: Path, encoding: str | None = None) -> bool:
    """True if imported; an InputError leaves every table as it was; anything else fails the test."""
    before = counts(store)
    try:
        importer.import_file(store, kind, path, encoding=encoding)
    except InputError as exc:
        assert exc.problems, "an InputError must list its problems"
        exc.message("zh"), exc.message("en")                      # both render
        assert counts(store) == before, f"a failed {kind} import changed the database"
        return False
    return True


# -- strategies -----------------------------------------------------------------------------
CELL = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.sampled_from('",\r\n\t\x00\x01\x1b\x7f\u2028\ufeff\'=+-@ 　'), max_size=12),
    st.sampled_from(["", "存续", "A", "D", "否", "是", "在岗", "100", "-1", "1e400", "３％", "2026-02-30",
                     "20261301", "330106", "ZF330001", "91330106MA2XXXXXX", "=1+1", "'=SUM(A1)"]),
)


def known_rows(kind: str) -> list[list[str]]:
    if kind == "entities":
        return [list(r) for r in entity_rows(5, start=100)]
    if kind == "inspectors":
        return [list(r) for r in inspector_rows(3)]
    return []


def header_for(kind: str) -> list[str]:
    if kind == "entities":
        return list(ENTITY_HEADER)
    if kind == "inspectors":
        return list(INSPECTOR_HEADER)
    return [c.zh for c in COLUMNS[kind]]


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[str, bytes, str | None]:
    """A CSV near the real format: a real or mutated header, good and mutated rows, an encoding."""
    kind = draw(st.sampled_from(KINDS))
    header = header_for(kind)
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    if draw(st.integers(0, 4)) == 0:
        header = header + draw(st.lists(st.text(max_size=8), max_size=3))
    rows = known_rows(kind) + draw(st.lists(st.lists(CELL, min_size=0, max_size=len(header) + 2), max_size=6))
    if rows and draw(st.booleans()):
        i = draw(st.integers(0, len(rows) - 1))
        if rows[i]:
            rows[i][draw(st.integers(0, len(rows[i]) - 1))] = draw(CELL)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    text_ = buf.getvalue()
    cut = draw(st.integers(0, 8))
    if cut == 0:
        text_ = text_[: draw(st.integers(0, len(text_)))]          # truncated anywhere, quotes included
    elif cut == 1:
        text_ += '"unterminated,' + draw(st.text(max_size=10))
    encoding = draw(st.sampled_from(ENCODINGS))
    forced = draw(st.sampled_from([None, None, None, encoding, "utf-8", "gb18030", "no-such-codec"]))
    return kind, text_.encode(encoding, errors="replace"), forced


# -- the tests ------------------------------------------------------------------------------
def test_random_bytes() -> None:
    with seeded_store() as (store, d):
        @FAST
        @given(kind=st.sampled_from(KINDS), data=st.binary(max_size=600), suffix=st.sampled_from([".csv", ".xlsx"]))
        def check(kind: str, data: bytes, suffix: str) -> None:
            path = d / f"random{suffix}"
            path.write_bytes(data)
            import_or_input_error(store, kind, path)
        check()


def test_random_csv_text() -> None:
    with seeded_store() as (store, d):
        imported = []

        @settings(FAST, max_examples=250)
        @given(case=csv_files())
        def check(case: tuple[str, bytes, str | None]) -> None:
            kind, data, forced = case
            path = d / "fuzz.csv"
            path.write_bytes(data)
            imported.append(import_or_input_error(store, kind, path, forced))
        check()
        assert False in imported                                    # the fuzzer did reach the error paths


@pytest.mark.parametrize("name", ["empty", "header-only", "bom-only", "blank-lines", "nul-bytes", "huge-field",
                                  "huge-header", "long-name", "many-columns", "many-empty-columns",
                                  "truncated-quote", "lone-cr", "utf16-bom", "invalid-utf8-tail"])
def test_edge_case_files(name: str) -> None:
    header = ",".join(ENTITY_HEADER)
    good = "\n".join(",".join(r) for r in entity_rows(3, start=500))
    files: dict[str, bytes] = {
        "empty": b"",
        "header-only": header.encode(),
        "bom-only": b"\xef\xbb\xbf",
        "blank-lines": ("\n\n" + header + "\n\n\n" + good + "\n\n").encode(),
        "nul-bytes": (header + "\n" + good.replace("测试", "测\x00试", 1)).encode(),
        "huge-field": (header + "\n" + entity_rows(1)[0][0] + ',"' + "名" * 150_000 + '"\n').encode(),
        "huge-header": ("x" * 200_000 + "\n").encode(),
        "long-name": (header + "\n" + entity_rows(1)[0][0] + "," + "名" * 5_000 + "\n").encode(),
        "many-columns": (header + "," + ",".join(f"col{i}" for i in range(5_000)) + "\n" + good).encode(),
        "many-empty-columns": (header + "," * 5_000 + "\n" + good.replace("\n", "," * 5_000 + "\n")).encode(),
        "truncated-quote": (header + "\n" + good + '\n"9133').encode(),
        "lone-cr": (header + "\r" + good.replace("\n", "\r")).encode(),
        "utf16-bom": (header + "\n" + good).encode("utf-16"),
        "invalid-utf8-tail": (header + "\n" + good + "\n").encode() + b"\xff\xfe\xfa,\x81\n",
    }
    with seeded_store() as (store, d):
        path = d / f"{name}.csv"
        path.write_bytes(files[name])
        import_or_input_error(store, "entities", path)


XLSX_ID_CELLS = st.one_of(
    st.integers(-10**20, 10**20), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 1, 1)),
    st.dates(min_value=date(1900, 3, 1), max_value=date(2100, 1, 1)),
    st.sampled_from(["=A1", "=1/0", "=HYPERLINK(\"http://x\")", "#N/A", "#DIV/0!", "'91330106", None]),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20),   # what a worksheet can hold
)


def test_xlsx_with_formulas_and_numbers() -> None:
    with seeded_store() as (store, d):
        outcomes: list[bool] = []

        @settings(FAST, max_examples=50)
        @given(kind=st.sampled_from(["entities", "inspectors"]), cells=st.lists(XLSX_ID_CELLS, min_size=1, max_size=4),
               other=st.lists(XLSX_ID_CELLS, max_size=4), header_noise=st.sampled_from([None, 7, "=A1", ""]))
        def check(kind: str, cells: list[object], other: list[object], header_noise: object) -> None:
            wb = Workbook()
            ws = wb.active
            header = header_for(kind) + ([header_noise] if header_noise is not None else [])
            ws.append(header)
            rows = known_rows(kind)
            for row in rows:
                ws.append(row)
            for i, v in enumerate(cells):
                base = list(rows[i % len(rows)])
                base[0] = v                                         # the ID column
                for j, w in enumerate(other, start=1):
                    base[j] = w
                ws.append(base)
            path = d / "fuzz.xlsx"
            wb.save(path)
            outcomes.append(import_or_input_error(store, kind, path))
        check()
        assert False in outcomes


def test_xlsx_numeric_id_and_formula_are_reported() -> None:
    """Not just 'no crash': a numeric ID cell and a formula cell are named problems."""
    with seeded_store() as (store, d):
        wb = Workbook()
        ws = wb.active
        ws.append(ENTITY_HEADER)
        good = entity_rows(2, start=300)
        ws.append([9.13301e17, *good[0][1:]])
        ws.append(["=A2", *good[1][1:]])
        path = d / "ids.xlsx"
        wb.save(path)
        before = counts(store)
        with pytest.raises(InputError) as info:
            importer.import_file(store, "entities", path)
        assert {p.reason_code for p in info.value.problems} == {"table.numeric_id", "table.formula"}
        assert counts(store) == before


@pytest.mark.parametrize("name", ["empty-sheet", "header-only", "zip-not-workbook", "many-columns", "merged-cells",
                                  "data-on-second-sheet", "blank-rows-then-data"])
def test_xlsx_edge_cases(name: str) -> None:
    import zipfile

    with seeded_store() as (store, d):
        path = d / f"{name}.xlsx"
        wb = Workbook()
        ws = wb.active
        good = entity_rows(2, start=700)
        if name == "header-only":
            ws.append(ENTITY_HEADER)
        elif name == "many-columns":
            ws.append(ENTITY_HEADER + [f"c{i}" for i in range(3_000)])
            ws.append(good[0] + ["x"] * 3_000)
        elif name == "merged-cells":
            ws.append(ENTITY_HEADER)
            ws.append(good[0])
            ws.merge_cells("A2:C2")
        elif name == "data-on-second-sheet":
            other = wb.create_sheet("data")
            other.append(ENTITY_HEADER)
            other.append(good[0])
        elif name == "blank-rows-then-data":
            ws.append(ENTITY_HEADER)
            ws.append([])
            ws.append([None] * len(ENTITY_HEADER))
            ws.append(good[1])
        wb.save(path)
        if name == "zip-not-workbook":
            with zipfile.ZipFile(path, "w") as z:
                z.writestr("hello.txt", "not a workbook")
        import_or_input_error(store, "entities", path)


PARSER_INPUT = st.one_of(st.text(max_size=40), st.from_regex(r"[0-9０-９٠-٩.%/／％eE+\-]{1,40}", fullmatch=True),
                         st.text(alphabet="0123456789", min_size=4000, max_size=6000))


@FAST
@given(kind=st.sampled_from(KINDS), value=PARSER_INPUT, data=st.data())
def test_every_cell_parser_accepts_or_raises_value_error(kind: str, value: str, data: st.DataObject) -> None:
    """The importer turns ValueError into a reported problem; anything else would escape."""
    key = data.draw(st.sampled_from(sorted(importer.PARSERS[kind])))
    parse, _memo = importer.PARSERS[kind][key]
    try:
        parse(value)
    except ValueError:
        pass


# -- the CLI ----------------------------------------------------------------------------------
def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "shuangsuiji_cli.main", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


@pytest.mark.parametrize(("content", "lang"), [
    (b"", "zh"), (b"\xff\xfe\x00garbage\x00\x01", "en"), ("统一社会信用代码,名称\n123,x\n".encode(), "zh"),
    (b"PK\x03\x04 not really a zip", "en")])
def test_cli_bad_file_exits_1_without_traceback(content: bytes, lang: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with Store(url) as store:
        store.init()
    suffix = ".xlsx" if content.startswith(b"PK") else ".csv"
    bad = tmp_path / f"bad{suffix}"
    bad.write_bytes(content)
    proc = run_cli("--db", url, "--lang", lang, "import", "entities", str(bad))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "Traceback" not in out and "internal error" not in out and "内部错误" not in out, out
    assert bad.name in out and ("nothing was written" in out if lang == "en" else "未写入任何数据" in out), out
    with Store(url) as store:
        assert counts(store)["entity"] == 0 and counts(store)["import_batch"] == 0

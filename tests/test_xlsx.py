"""The XLSX export writer: text stays text, numbers stay numbers, nothing half-written."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shuangsuiji import xlsx
from shuangsuiji.cells import is_formula_like
from shuangsuiji.errors import ValidationError
from shuangsuiji.tabular import Column, write_table

COLUMNS = [Column("uscc", "统一社会信用代码", "USCC"), Column("name", "名称", "Name"), Column("n", "序号", "No.")]


def test_table_cells_are_text_with_the_text_format(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    n = write_table(path, COLUMNS, [["913501001234567890", "=HYPERLINK(\"x\")", 7], ["123456789012345678", None, True]])
    assert n == 2
    ws = openpyxl.load_workbook(path).active
    assert [c.value for c in ws[1]] == ["统一社会信用代码", "名称", "序号"]
    assert ws["A1"].font.b and not ws["A2"].font.b
    assert [c.value for c in ws[2]] == ["913501001234567890", "'=HYPERLINK(\"x\")", "7"]
    assert [c.value for c in ws[3]] == ["123456789012345678", None, "是"]
    for cell in (ws["A2"], ws["A3"], ws["C2"]):
        assert cell.data_type == "s" and cell.number_format == "@"
    assert ws.freeze_panes == "A2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx"]


def test_numbers_dates_and_percentages(tmp_path: Path) -> None:
    with xlsx.Workbook(tmp_path / "n.xlsx") as wb:
        ws = wb.sheet("汇总", (20, 10))
        ws.append(["比例", 0.125, 3, date(2026, 11, 22)], pct=(2,))
        ws.append(["合计", 0.5, None], bold=True, pct=(2,))
    sheet = openpyxl.load_workbook(tmp_path / "n.xlsx")["汇总"]
    assert [c.value for c in sheet[1]] == ["比例", 0.125, 3, "2026-11-22"]
    assert sheet["B1"].number_format == "0.00%" and sheet["C1"].number_format == "General"
    assert sheet["D1"].data_type == "s" and sheet["D1"].number_format == "@"
    assert sheet["B2"].font.b and sheet["B2"].number_format == "0.00%" and sheet["C2"].value is None


def test_a_bool_or_an_unknown_value_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="row 1, column 2"), xlsx.Workbook(tmp_path / "b.xlsx") as wb:
        wb.sheet("s").append(["a", True])
    with pytest.raises(TypeError, match="object"), xlsx.Workbook(tmp_path / "c.xlsx") as wb:
        wb.sheet("s").append([object()])


def test_a_cell_too_long_for_excel_names_its_place_and_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "long.xlsx"
    rows = [["913501001234567890", "短", 1], ["913501001234567891", "长" * (xlsx.MAX_CELL + 1), 2]]
    with pytest.raises(ValidationError) as err:
        write_table(path, COLUMNS, rows)
    assert err.value.params == {"sheet": "data", "row": 3, "column": 2, "length": xlsx.MAX_CELL + 1,
                                "limit": xlsx.MAX_CELL}
    assert "第 3 行第 2 列" in err.value.message("zh") and "row 3, column 2" in err.value.message("en")
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=6))
def test_any_text_reads_back_as_safe_text(tmp_path_factory: pytest.TempPathFactory, values: list[str]) -> None:
    path = tmp_path_factory.mktemp("x") / "h.xlsx"
    with xlsx.Workbook(path) as wb:
        wb.sheet("s").append(values)
    ws = openpyxl.load_workbook(path).active
    for j, v in enumerate(values, 1):
        cell = ws.cell(1, j)
        expected = xlsx.text(v)
        assert (cell.value or "") == expected
        assert cell.data_type != "f" and not is_formula_like(cell.value or "")

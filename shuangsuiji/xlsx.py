"""Streaming XLSX exports whose text cells stay text.

Every text cell is made formula-safe (:func:`shuangsuiji.cells.safe_cell`), loses the
control characters XML cannot hold, and carries the number format ``@``: an 18-character
ID stays text even when an official edits the cell.  Rows are written as they come
(XlsxWriter's constant-memory mode), so a provincial bulletin of half a million rows needs
no more memory than a small one.  XlsxWriter writes such styled cells about three times as
fast as openpyxl's streaming writer (benchmarks/README.md); openpyxl still reads imports.
"""
from __future__ import annotations

import contextlib
import re
from collections.abc import Collection, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from . import i18n
from .cells import safe_cell
from .errors import ValidationError

MAX_CELL = 32767
"""Characters a cell can hold (Excel's limit)."""

_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")


def text(value: str) -> str:
    """``value`` as XLSX cell text: no XML-illegal control characters, a bare CR becomes LF,
    formula-like text is quoted.

    >>> text("a\\x00b\\r\\nc\\rd"), text("=1+1")
    ('ab\\nc\\nd', "'=1+1")
    """
    return safe_cell(_ILLEGAL.sub("", value).replace("\r\n", "\n").replace("\r", "\n"))


class Workbook:
    """An XLSX file being written; :meth:`close` (or leaving its ``with`` block) finishes it."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._book = xlsxwriter.Workbook(self.path, {
            "constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
            "strings_to_urls": False})
        self._formats: dict[tuple[bool, str], Any] = {}

    def format(self, *, bold: bool = False, number: str = "@") -> Any:
        key = (bold, number)
        if key not in self._formats:
            self._formats[key] = self._book.add_format({"bold": bold, "num_format": number})
        return self._formats[key]

    def sheet(self, title: str, widths: Sequence[float] = (), *, freeze_header: bool = False) -> Sheet:
        ws = self._book.add_worksheet(title)
        for j, width in enumerate(widths):
            ws.set_column(j, j, width)
        if freeze_header:
            ws.freeze_panes(1, 0)
        return Sheet(self, ws, title)

    def close(self) -> None:
        self._book.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if exc_type is None:
            self.close()
            return
        # a failed export still closes, to release the sheets' temporary files; the caller
        # removes the partial file
        with contextlib.suppress(Exception):
            self.close()


class Sheet:
    """One worksheet, filled row after row."""

    def __init__(self, book: Workbook, ws: Any, title: str) -> None:
        self._ws, self._title, self._row = ws, title, 0
        self._text, self._bold = book.format(), book.format(bold=True)
        self._pct, self._bold_pct = book.format(number="0.00%"), book.format(bold=True, number="0.00%")
        self._plain, self._bold_plain = book.format(number="General"), book.format(bold=True, number="General")

    def append(self, values: Sequence[object], *, bold: bool = False, pct: Collection[int] = ()) -> None:
        """Write the next row: ``str`` as text, dates as ISO text, numbers as numbers
        (as a percentage in the 1-based columns ``pct``), ``None`` as an empty cell."""
        ws, i = self._ws, self._row
        for j, v in enumerate(values):
            if v is None:
                continue
            if isinstance(v, str):
                cell = text(v)
                if len(cell) > MAX_CELL:
                    raise ValidationError("xlsx.cell_too_long", sheet=self._title, row=i + 1, column=j + 1,
                                          length=len(cell), limit=MAX_CELL)
                ws.write_string(i, j, cell, self._bold if bold else self._text)
            elif isinstance(v, (date, datetime)):
                ws.write_string(i, j, v.isoformat(), self._bold if bold else self._text)
            elif isinstance(v, bool):
                raise TypeError(f"a bool needs a label before it is written (row {i + 1}, column {j + 1})")
            elif isinstance(v, (int, float)):
                if j + 1 in pct:
                    ws.write_number(i, j, v, self._bold_pct if bold else self._pct)
                else:
                    ws.write_number(i, j, v, self._bold_plain if bold else self._plain)
            else:
                raise TypeError(f"cannot write {type(v).__name__} to XLSX (row {i + 1}, column {j + 1})")
        self._row += 1


i18n.register({
    "xlsx.cell_too_long": {
        "zh": "工作表 {sheet} 第 {row} 行第 {column} 列的文本有 {length} 个字符，超过 Excel 单元格上限 {limit}",
        "en": "sheet {sheet}, row {row}, column {column}: the text has {length} characters, more than an Excel "
              "cell holds ({limit})"},
})

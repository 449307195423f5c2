"""Reading and writing registry tables: CSV (UTF-8, UTF-8 with BOM, GB18030) and XLSX.

The reader only turns a file into ``(line, [cells])`` rows under a validated header and
reports *where* something is wrong; what a cell means is the importer's business.
Formula-looking cells that our own exports neutralised (``'=…``) are restored on read.
"""
from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from . import i18n
from .cells import safe_cell
from .errors import InputError, Problem

ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")
MAX_FIELD = 100_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NEUTRALISED = re.compile(r"^'[=+\-@\t\r]")


@dataclass(frozen=True)
class Column:
    """A column of an import/export format: canonical key, Chinese and English headers."""

    key: str
    zh: str
    en: str
    required: bool = False
    is_id: bool = False
    aliases: tuple[str, ...] = ()

    def header(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def names(self) -> tuple[str, ...]:
        return (self.zh, self.en, self.key, *self.aliases)


@dataclass
class Table:
    """A readable table: its file name, the column keys in file order and the row iterator."""

    file: str
    keys: list[str | None]
    rows: Iterator[tuple[int, list[str]]]
    encoding: str | None = None
    problems: list[Problem] = field(default_factory=list)


def _norm_header(name: str) -> str:
    return re.sub(r"[\s_\-（）()*：:]", "", name).lower()


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes as UTF-8, else GB18030."""
    with open(path, "rb") as fh:
        head = fh.read(3)
        if head == codecs.BOM_UTF8:
            return "utf-8-sig"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            return "gb18030"


def _map_header(file: str, header: Sequence[str], columns: Sequence[Column]) -> list[str | None]:
    lookup: dict[str, str] = {}
    for col in columns:
        for name in col.names():
            lookup[_norm_header(name)] = col.key
    keys: list[str | None] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, raw in enumerate(header):
        name = (raw or "").strip().lstrip("\ufeff")
        if not name:
            keys.append(None)
            continue
        key = lookup.get(_norm_header(name))
        if key is None:
            problems.append(Problem(file, 1, name, name, "table.unknown_column",
                                    (("known", "、".join(c.zh for c in columns)),)))
        elif key in seen:
            problems.append(Problem(file, 1, name, name, "table.duplicate_column", ()))
        else:
            seen.add(key)
        keys.append(key)
    for col in columns:
        if col.required and col.key not in seen:
            problems.append(Problem(file, 1, col.zh, "", "table.missing_column",
                                    (("column", f"{col.zh} / {col.en}"),)))
    if problems:
        raise InputError(problems, file=file)
    return keys


def open_table(path: str | Path, columns: Sequence[Column], encoding: str | None = None) -> Table:
    """Open a CSV or XLSX file and check its header; rows are read lazily."""
    path = Path(path)
    name = path.name
    if not path.exists():
        raise InputError([Problem(name, 0, "", str(path), "table.no_file", ())], file=name)
    if not path.is_file():
        raise InputError([Problem(name, 0, "", str(path), "table.not_a_file", ())], file=name)
    if path.stat().st_size == 0:
        raise InputError([Problem(name, 0, "", "", "table.empty", ())], file=name)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _open_xlsx(path, columns)
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError([Problem(name, 0, "encoding", encoding, "table.bad_encoding", ())],
                             file=name) from None
    enc = encoding or detect_encoding(path)
    return _open_csv(path, columns, enc)


def _open_csv(path: Path, columns: Sequence[Column], enc: str) -> Table:
    name = path.name
    csv.field_size_limit(MAX_FIELD)
    fh = open(path, encoding=enc, errors="strict", newline="")
    reader = csv.reader(fh, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        fh.close()
        raise InputError([Problem(name, 0, "", "", "table.empty", ())], file=name) from None
    except (csv.Error, UnicodeDecodeError) as exc:
        fh.close()
        raise InputError([Problem(name, 1, "", "", "table.unreadable", (("detail", str(exc)),))],
                         file=name) from None
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    try:
        keys = _map_header(name, header, columns)
    except InputError:
        fh.close()
        raise
    width = len(keys)

    def rows() -> Iterator[tuple[int, list[str]]]:
        line = 1
        try:
            for row in reader:
                line = reader.line_num
                n = len(row)
                if n == width and n > 1:
                    yield line, row
                    continue
                if not row or (n == 1 and not row[0].strip()):
                    continue
                if n > width:
                    extra = [c for c in row[width:] if c.strip()]
                    if extra:
                        raise _RowShape(line, n, width)
                    row = row[:width]
                elif n < width:
                    row = row + [""] * (width - n)
                yield line, row
        except csv.Error as exc:
            raise InputError([Problem(name, reader.line_num or line, "", "", "table.unreadable",
                                      (("detail", str(exc)),))], file=name) from None
        except UnicodeDecodeError as exc:
            raise InputError([Problem(name, line + 1, "", "", "table.decode",
                                      (("encoding", enc), ("detail", str(exc))))], file=name) from None
        except _RowShape as exc:
            raise InputError([Problem(name, exc.line, "", f"{exc.got}", "table.too_many_cells",
                                      (("expected", exc.width),))], file=name) from None
        finally:
            fh.close()

    return Table(name, keys, rows(), encoding=enc)


class _RowShape(Exception):
    def __init__(self, line: int, got: int, width: int) -> None:
        self.line, self.got, self.width = line, got, width


def _open_xlsx(path: Path, columns: Sequence[Column]) -> Table:
    from openpyxl import load_workbook

    name = path.name
    try:
        wb = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise InputError([Problem(name, 0, "", "", "table.unreadable", (("detail", str(exc)[:200]),))],
                         file=name) from None
    ws = wb.worksheets[0]
    it = ws.iter_rows()
    try:
        header_cells = next(it)
    except StopIteration:
        wb.close()
        raise InputError([Problem(name, 0, "", "", "table.empty", ())], file=name) from None
    header = ["" if c.value is None else str(c.value) for c in header_cells]
    while header and not header[-1]:
        header.pop()
    keys = _map_header(name, header, columns)
    by_key = {c.key: c for c in columns}
    width = len(keys)

    def rows() -> Iterator[tuple[int, list[str]]]:
        problems: list[Problem] = []
        try:
            for line, cells in enumerate(it, start=2):
                values: list[str] = []
                empty = True
                for i, cell in enumerate(cells):
                    if i >= width:
                        if cell.value not in (None, ""):
                            problems.append(Problem(name, line, f"#{i + 1}", str(cell.value),
                                                    "table.too_many_cells", (("expected", width),)))
                        continue
                    key = keys[i]
                    col = by_key.get(key) if key else None
                    v = cell.value
                    if v is None:
                        values.append("")
                        continue
                    empty = False
                    if cell.data_type == "f" or (isinstance(v, str) and v.startswith("=")
                                                 and cell.data_type == "f"):
                        problems.append(Problem(name, line, col.zh if col else f"#{i + 1}", str(v),
                                                "table.formula", ()))
                        values.append("")
                    elif col is not None and col.is_id and isinstance(v, (int, float)):
                        problems.append(Problem(name, line, col.zh, repr(v), "table.numeric_id", ()))
                        values.append("")
                    else:
                        values.append(_cell_text(v))
                if empty:
                    continue
                values += [""] * (width - len(values))
                yield line, values
        finally:
            wb.close()
        if problems:
            raise InputError(problems, file=name)

    return Table(name, keys, rows(), encoding=None)


def _cell_text(v: Any) -> str:
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def clean_cell(value: str) -> str:
    """Strip surrounding blanks and undo our own formula neutralisation (``'=x`` → ``=x``).

    >>> clean_cell("  '=SUM(A1)  ")
    '=SUM(A1)'
    >>> clean_cell("'ordinary")
    "'ordinary"
    """
    value = value.strip()
    if _NEUTRALISED.match(value):
        return value[1:]
    return value


def has_control(value: str) -> bool:
    return _CONTROL.search(value) is not None


# -- writing ------------------------------------------------------------------------------
def write_table(path: str | Path, columns: Sequence[Column], rows: Iterator[Sequence[Any]] | list[Sequence[Any]],
                lang: str = "zh", encoding: str = "utf-8-sig") -> int:
    """Write rows under the columns' headers as CSV or XLSX (by suffix); IDs stay text.

    Every text cell goes through :func:`shuangsuiji.cells.safe_cell`.  Returns the row count.
    """
    path = Path(path)
    headers = [c.header(lang) for c in columns]
    write = _write_xlsx if path.suffix.lower() == ".xlsx" else _write_csv
    tmp = path.with_name(path.name + ".part")
    try:
        count = write(tmp, headers, rows, encoding)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count


def _write_xlsx(path: Path, headers: list[str], rows: Iterable[Sequence[Any]], _encoding: str) -> int:
    from . import xlsx

    count = 0
    with xlsx.Workbook(path) as wb:
        ws = wb.sheet("data", freeze_header=True)
        ws.append(headers, bold=True)
        for row in rows:
            ws.append([_xlsx_value(v) for v in row])
            count += 1
    return count


def _write_csv(path: Path, headers: list[str], rows: Iterable[Sequence[Any]], encoding: str) -> int:
    count = 0
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        for row in rows:
            w.writerow([_csv_value(v) for v in row])
            count += 1
    return count


def _csv_value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    return safe_cell(str(v))


def _xlsx_value(v: Any) -> Any:
    """Text, a date or ``None`` (the XLSX writer makes text safe)."""
    if v is None or isinstance(v, (date, datetime)):
        return v
    if isinstance(v, bool):
        return "是" if v else "否"
    return str(v)


i18n.register({
    "table.no_file": {"zh": "文件不存在", "en": "file does not exist"},
    "table.not_a_file": {"zh": "不是文件（可能是文件夹）", "en": "not a file (a folder?)"},
    "table.empty": {"zh": "文件为空（没有表头）", "en": "the file is empty (no header row)"},
    "table.unreadable": {"zh": "文件无法解析（可能已截断或损坏）：{detail}",
                         "en": "the file cannot be parsed (truncated or damaged?): {detail}"},
    "table.decode": {"zh": "无法按 {encoding} 编码读取（请用 --encoding 指定 utf-8 或 gb18030）：{detail}",
                     "en": "cannot be read as {encoding} (use --encoding utf-8 or gb18030): {detail}"},
    "table.bad_encoding": {"zh": "不认识的编码名称", "en": "unknown encoding name"},
    "table.unknown_column": {"zh": "不认识的列名；可用的列：{known}", "en": "unknown column; known columns: {known}"},
    "table.duplicate_column": {"zh": "列名重复", "en": "duplicate column"},
    "table.missing_column": {"zh": "缺少必填列 {column}", "en": "required column {column} is missing"},
    "table.too_many_cells": {"zh": "本行单元格数多于表头的 {expected} 列", "en": "more cells than the {expected} header columns"},
    "table.formula": {"zh": "单元格是公式，请粘贴为数值/文本后再导入", "en": "the cell is a formula; paste values/text before importing"},
    "table.numeric_id": {"zh": "编号单元格是数字格式，Excel 已丢失精度（18位编号会变成科学计数法）；请把该列设为“文本”格式后重新录入",
                         "en": "the ID cell is numeric: Excel has already lost digits; format the column as Text and re-enter the IDs"},
    "table.control_char": {"zh": "包含不可见的控制字符", "en": "contains control characters"},
})

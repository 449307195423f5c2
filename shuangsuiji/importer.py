"""Registry import: every row validated, all or nothing, re-imports reported as changes.

Rows are parsed in chunks and written inside one transaction as they pass; the first bad
row stops the writing (validation goes on to report every bad row) and the transaction is
rolled back, so a failed or ``dry_run`` import leaves the database exactly as it was.
Bulk rows go through the DBAPI (sqlite3 ``executemany``, PostgreSQL ``COPY``), never ORM objects;
on PostgreSQL new registry rows stream through one ``COPY`` that the server works on while the
next chunk is parsed.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, event, insert, select, text, update

from . import i18n, snapshot
from .codes import cert as cert_code
from .codes import entity_id, gb2260, gb4754, ric
from .codes import enums
from .codes.dates import parse_date
from .errors import InputError, Problem, ValidationError
from .fastcheck import uscc_ok
from .formats import COLUMNS, KINDS
from .models import Conflict, Department, Entity, ImportBatch, Inspector, Item, Unit
from .progress import NULL, Reporter
from .store import Store
from .tabular import Table, clean_cell, has_control, open_table

CHUNK = 20_000
MAX_TEXT = {"name": 300, "address": 500, "tags": 500, "reason": 500, "sub_item": 500,
            "frequency": 100, "target_type": 100, "qualification": 100, "qualifications": 500,
            "unit": 200, "department": 100}


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    kind: str
    file: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    new_units: list[str] = field(default_factory=list)
    new_departments: list[str] = field(default_factory=list)
    changes: list[tuple[str, str, str | None, str | None]] = field(default_factory=list)
    dry_run: bool = False
    batch_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "file": self.file, "rows": self.rows, "inserted": self.inserted,
                "updated": self.updated, "unchanged": self.unchanged, "retired": self.retired,
                "new_units": self.new_units, "new_departments": self.new_departments,
                "changes": [list(c) for c in self.changes[:1000]], "dry_run": self.dry_run}


class _DryRun(Exception):
    pass


# -- cell parsers: value -> parsed, or raise ValidationError -----------------------------
class _Text:
    """A text cell of at most ``MAX_TEXT[key]`` characters (500 if unlisted), optionally required."""

    def __init__(self, key: str, *, required: bool = False) -> None:
        self.limit = MAX_TEXT.get(key, 500)
        self.required = required

    def __call__(self, v: str) -> str:
        if not v and self.required:
            raise ValidationError("import.required")
        if len(v) > self.limit:
            raise ValidationError("import.too_long", limit=self.limit, length=len(v))
        return v

    def column_ok(self, values: Sequence[str]) -> bool:
        """Whether every value passes, in two C-level scans instead of a call per value."""
        return not (self.required and "" in values) and max(map(len, values), default=0) <= self.limit


def _optional(parse: Callable[[str], Any], default: Any = None) -> Callable[[str], Any]:
    def wrapped(v: str) -> Any:
        return default if v == "" else parse(v)
    return wrapped


def _tags(v: str) -> str:
    parts = sorted({p.strip() for p in v.replace("，", ";").replace(",", ";").replace("；", ";").split(";") if p.strip()})
    out = ";".join(parts)
    if len(out) > 500:
        raise ValidationError("import.too_long", limit=500, length=len(out))
    return out


def _capacity(v: str) -> int:
    try:
        n = int(v)
    except ValueError:
        raise ValidationError("import.not_integer") from None
    if n < 0 or n > 100_000:
        raise ValidationError("import.out_of_range", low=0, high=100_000)
    return n


def _ratio(v: str) -> str:
    from .sampling import format_ratio, parse_ratio

    return format_ratio(parse_ratio(v))


def _phone(v: str) -> str:
    digits = v.replace("-", "").replace(" ", "").replace("+", "")
    if not digits.isdigit() or not 5 <= len(digits) <= 20:
        raise ValidationError("import.bad_phone")
    return v


PARSERS: dict[str, dict[str, tuple[Callable[[str], Any], bool]]] = {
    # column -> (parser, memoise: low-cardinality columns are parsed once per distinct value)
    "entities": {
        "uscc": (entity_id.validate, False),
        "name": (_Text("name", required=True), False),
        "entity_type": (_optional(enums.parse_entity_type), True),
        "industry": (_optional(gb4754.validate), True),
        "region": (_optional(gb2260.validate), True),
        "address": (_Text("address"), False),
        "status": (_optional(enums.parse_entity_status, "active"), True),
        "unit": (_optional(_Text("unit")), True),
        "risk": (_optional(enums.parse_risk_class), True),
        "tags": (_tags, True),
        "last_inspected": (_optional(parse_date), True),
        "enabled": (_optional(enums.parse_yes_no, True), True),
    },
    "inspectors": {
        "cert_no": (cert_code.validate, False),
        "name": (_Text("name", required=True), False),
        "department": (_Text("department", required=True), True),
        "unit": (_optional(_Text("unit")), True),
        "qualifications": (_tags, True),
        "status": (_optional(enums.parse_inspector_status, "on_duty"), True),
        "capacity": (_optional(_capacity), True),
        "expert": (_optional(enums.parse_yes_no, False), True),
        "id_card": (_optional(ric.validate), False),
        "phone": (_optional(_phone), False),
    },
    "items": {
        "code": (_Text("code", required=True), False),
        "name": (_Text("name", required=True), False),
        "sub_item": (_Text("sub_item"), False),
        "legal_basis": (lambda v: v, False),
        "department": (_Text("department", required=True), True),
        "target_type": (_Text("target_type"), True),
        "method": (_optional(enums.parse_inspection_method, "onsite"), True),
        "ratio": (_optional(_ratio), True),
        "frequency": (_Text("frequency"), True),
        "qualification": (_optional(_Text("qualification")), True),
        "category": (_optional(enums.parse_item_category, "general"), True),
        "enabled": (_optional(enums.parse_yes_no, True), True),
    },
    "conflicts": {
        "cert_no": (cert_code.validate, True),
        "uscc": (entity_id.validate, False),
        "reason": (_Text("reason"), False),
        "valid_from": (_optional(parse_date), True),
        "valid_to": (_optional(parse_date), True),
    },
    "history": {
        "uscc": (entity_id.validate, False),
        "inspected_on": (parse_date, True),
        "department": (_optional(_Text("department")), True),
        "cert_nos": (_tags, False),
    },
}


def _column_label(kind: str, key: str) -> str:
    for col in COLUMNS[kind]:
        if col.key == key:
            return col.zh if i18n.get_language() == "zh" else col.en
    return key


class _Parser:
    """Parses rows of one kind, collecting :class:`Problem` s instead of stopping."""

    def __init__(self, kind: str, table: Table) -> None:
        self.kind = kind
        self.file = table.file
        self.keys = table.keys
        self.specs = PARSERS[kind]
        self.memo: dict[str, dict[str, Any]] = {k: {} for k in self.specs}
        self.problems: list[Problem] = []
        self.present = {k for k in table.keys if k}

    def _problem(self, line: int, key: str, value: str, exc: Exception) -> None:
        if isinstance(exc, ValidationError):
            code, params = exc.code, tuple(exc.params.items())
        else:
            code, params = "import.invalid_value", (("detail", str(exc)),)
        self.problems.append(Problem(self.file, line, _column_label(self.kind, key), value, code, params))

    def parse_chunk(self, chunk: list[tuple[int, list[str]]]) -> tuple[list[int], dict[str, list[Any]]]:
        """The chunk's good rows as (line numbers, parsed columns); problems are collected."""
        # the reader pads or trims every row to the header's width, so zip loses no cell
        raw = list(zip(*(row for _, row in chunk)))
        columns: dict[str, list[str]] = {}
        for i, key in enumerate(self.keys):
            if key:
                columns[key] = _clean_column(raw[i])
        bad_rows: set[int] = set()
        if any(has_control("\u2028".join(col)) for col in raw):
            for pos, (line, row) in enumerate(chunk):
                for i, cell in enumerate(row):
                    if has_control(cell):
                        key = self.keys[i] or f"#{i + 1}"
                        self.problems.append(Problem(self.file, line, _column_label(self.kind, key), cell,
                                                     "table.control_char", ()))
                        bad_rows.add(pos)
        parsed: dict[str, list[Any]] = {}
        for key, (parse, memo) in self.specs.items():
            values = columns.get(key)
            if values is None:
                try:
                    default = parse("")
                except ValidationError:
                    default = None
                parsed[key] = [default] * len(chunk)
            elif memo:
                parsed[key] = self._parse_memo(key, parse, values, chunk, bad_rows)
            else:
                parsed[key] = self._parse_each(key, parse, values, chunk, bad_rows)
        lines = [line for line, _ in chunk]
        if bad_rows:
            keep = [pos for pos in range(len(chunk)) if pos not in bad_rows]
            lines = [lines[pos] for pos in keep]
            parsed = {k: [v[pos] for pos in keep] for k, v in parsed.items()}
        return lines, parsed

    def _parse_memo(self, key: str, parse: Callable[[str], Any], values: list[str],
                    chunk: list[tuple[int, list[str]]], bad_rows: set[int]) -> list[Any]:
        """Low-cardinality columns: parse each distinct value once."""
        cache = self.memo[key]
        failed: set[str] = set()
        for v in set(values):
            if v not in cache:
                try:
                    cache[v] = parse(v)
                except ValueError as exc:
                    cache[v] = exc
            if isinstance(cache[v], Exception):
                failed.add(v)
        if failed:
            for pos, v in enumerate(values):
                if v in failed:
                    self._problem(chunk[pos][0], key, v, cache[v])
                    bad_rows.add(pos)
            return [None if v in failed else cache[v] for v in values]
        return [cache[v] for v in values]

    def _parse_each(self, key: str, parse: Callable[[str], Any], values: list[str],
                    chunk: list[tuple[int, list[str]]], bad_rows: set[int]) -> list[Any]:
        fast_ok = uscc_ok(values) if key == "uscc" else None
        if fast_ok is None and isinstance(parse, _Text) and parse.column_ok(values):
            return list(values)
        result: list[Any] = list(values) if fast_ok is not None else [None] * len(values)
        todo = range(len(values)) if fast_ok is None else (~fast_ok).nonzero()[0].tolist()
        for pos in todo:
            try:
                result[pos] = parse(values[pos])
            except ValueError as exc:
                self._problem(chunk[pos][0], key, values[pos], exc)
                bad_rows.add(pos)
                result[pos] = None
        return result


def _clean_column(values: Sequence[str]) -> list[str]:
    out = list(map(str.strip, values))
    if "'" not in "".join(out):
        return out
    for i, v in enumerate(out):
        if v[:1] == "'":
            out[i] = clean_cell(v)
    return out


def _chunks(rows: Iterator[tuple[int, list[str]]], size: int) -> Iterator[list[tuple[int, list[str]]]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _row_hashes(columns: Sequence[Sequence[Any]]) -> list[str]:
    """Each row's change-detection hash: blake2b-64 of its values' ``str`` joined by U+001F."""
    texts = map("\x1f".join, zip(*(list(map(str, c)) for c in columns)))
    b2 = hashlib.blake2b
    return [b2(t.encode(), digest_size=8).hexdigest() for t in texts]


def _has_dates(values: Sequence[Any]) -> bool:
    return any(issubclass(t, date) for t in set(map(type, values)))


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


# -- bulk writing -------------------------------------------------------------------------
def bulk_insert(conn: Connection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]],
                *, plain: bool = False) -> None:
    """Insert tuples through the DBAPI: COPY on PostgreSQL, executemany on SQLite.

    ``plain`` promises that every value is already str/int/float/bool/None, so SQLite can
    skip the per-value conversion of dates and numpy scalars.
    """
    if not rows:
        return
    raw = conn.connection.driver_connection
    cols = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur:  # type: ignore[union-attr]
            if any(isinstance(v, bytes) for v in rows[0]):
                # blobs (frozen populations) go as binary parameters: COPY's text format
                # doubles them as hex (75 MB of strata: 1.31 s → 0.77 s)
                marks = ", ".join("%b" if isinstance(v, bytes) else "%s" for v in rows[0])
                cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
                return
            with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
                for row in rows:
                    cp.write_row(row)
    else:
        marks = ", ".join("?" * len(columns))
        cur = raw.cursor()  # type: ignore[union-attr]
        cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})",
                        rows if plain else [_sqlite_row(r) for r in rows])
        cur.close()


class _CopyStream:
    """New registry rows for one table, kept in a single ``COPY`` on PostgreSQL.

    A ``COPY`` per chunk makes the parser wait while the server inserts the chunk (index and
    foreign-key work).  Kept open, with psycopg's queued writer sending from its own thread,
    the server inserts chunk n while chunk n+1 is parsed.  No other statement may run while
    a ``COPY`` is open: any statement through the SQLAlchemy connection ends it first (an
    event listener), raw DBAPI work must call :meth:`close`; the next :meth:`write` opens a new
    one.  On SQLite every write is a plain :func:`bulk_insert`.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        self._target: tuple[str, tuple[str, ...]] | None = None
        self._cursor: Any = None
        self._context: Any = None
        self._copy: Any = None

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]], *, plain: bool = False) -> None:
        if not self.postgres:
            bulk_insert(self.conn, table, columns, rows, plain=plain)
            return
        if not rows:
            return
        if self._target != (table, tuple(columns)):
            self.close()
            from psycopg.copy import QueuedLibpqWriter

            self._cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            self._context = self._cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN",
                                              writer=QueuedLibpqWriter(self._cursor))
            self._copy = self._context.__enter__()
            self._target = (table, tuple(columns))
        write_row = self._copy.write_row
        for row in rows:
            write_row(row)

    def close(self, exc: BaseException | None = None) -> None:
        """End the open ``COPY`` (abandon it when ``exc`` is given): the connection is free again."""
        if self._context is None:
            return
        context, cursor = self._context, self._cursor
        self._target = self._cursor = self._context = self._copy = None
        try:
            if exc is None:
                context.__exit__(None, None, None)
            else:
                context.__exit__(type(exc), exc, exc.__traceback__)
        finally:
            cursor.close()

    def _before_statement(self, *_: Any) -> None:
        self.close()

    def __enter__(self) -> _CopyStream:
        if self.postgres:
            event.listen(self.conn, "before_cursor_execute", self._before_statement)
        return self

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        try:
            self.close(exc)
        finally:
            if self.postgres:
                event.remove(self.conn, "before_cursor_execute", self._before_statement)


def _sqlite_value(v: Any) -> Any:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, datetime):
        return v.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if hasattr(v, "item"):  # numpy scalars would become BLOBs
        return v.item()
    return v


_PLAIN = frozenset((str, int, float, bool, type(None)))  # sqlite3 stores bool as 0/1


def _sqlite_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    if all(type(v) in _PLAIN for v in row):
        return row
    return tuple(v if type(v) in _PLAIN else _sqlite_value(v) for v in row)


def bulk_update(conn: Connection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """``UPDATE table SET columns… WHERE id = last value`` for each row."""
    if not rows:
        return
    raw = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        sets = ", ".join(f"{c} = %s" for c in columns)
        with raw.cursor() as cur:  # type: ignore[union-attr]
            cur.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", rows)
    else:
        sets = ", ".join(f"{c} = ?" for c in columns)
        cur = raw.cursor()  # type: ignore[union-attr]
        cur.executemany(f"UPDATE {table} SET {sets} WHERE id = ?", [_sqlite_row(r) for r in rows])
        cur.close()


class _Names:
    """Departments and units by name, created on first use inside the import's transaction."""

    def __init__(self, conn: Connection, model: Any, created: list[str]) -> None:
        self.conn, self.table, self.created = conn, model.__table__, created
        self.ids = {name: id_ for id_, name in conn.execute(select(self.table.c.id, self.table.c.name))}

    def get(self, name: str | None) -> int | None:
        if not name:
            return None
        if name not in self.ids:
            values: dict[str, Any] = {"name": name}
            if "cross_unit" in self.table.c:
                values.update(cross_unit=True, rotation_days=365)
            self.ids[name] = self.conn.execute(insert(self.table).values(**values)).inserted_primary_key[0]
            self.created.append(name)
        return self.ids[name]


# -- per-kind writers ---------------------------------------------------------------------
@dataclass
class _Kind:
    table: str
    key: str
    fields: tuple[str, ...]          # DB columns written (besides row_hash)
    retire: tuple[str, Any] | None   # (column, value) set on rows absent from a --replace import


KIND_SPECS = {
    "entities": _Kind("entity", "uscc", ("uscc", "name", "entity_type", "industry", "region", "address",
                                         "status", "unit_id", "risk", "tags", "last_inspected", "enabled"),
                      ("enabled", False)),
    "inspectors": _Kind("inspector", "cert_no", ("cert_no", "name", "department_id", "unit_id",
                                                 "qualifications", "status", "capacity", "expert",
                                                 "id_card", "phone"), ("status", "transferred")),
    "items": _Kind("item", "code", ("code", "name", "sub_item", "legal_basis", "department_id",
                                    "target_type", "method", "ratio", "frequency", "qualification",
                                    "category", "enabled"), ("enabled", False)),
}


def _db_columns(kind: str, cols: dict[str, list[Any]], depts: _Names | None,
                units: _Names | None) -> dict[str, list[Any]]:
    """Parsed columns → database columns (references resolved, defaults filled)."""
    db = dict(cols)
    n = len(next(iter(cols.values()))) if cols else 0
    if kind == "entities":
        ids = cols["uscc"]
        db["entity_type"] = [t if t is not None else _type_from_id(u) for t, u in zip(cols["entity_type"], ids)]
        db["region"] = [r if r is not None else (u[2:8] if len(u) == 18 else u[:6]) for r, u in zip(cols["region"], ids)]
        db["tags"] = [t or "" for t in cols["tags"]]
        db["address"] = [a or "" for a in cols["address"]]
    if kind in ("inspectors", "items") and depts is not None:
        db["department_id"] = [depts.get(d) for d in cols["department"]]
    if kind in ("entities", "inspectors") and units is not None:
        db["unit_id"] = [units.get(u) for u in cols["unit"]]
    if kind == "inspectors":
        db["qualifications"] = [q or "" for q in cols["qualifications"]]
    if kind == "items":
        for k in ("sub_item", "legal_basis", "target_type", "frequency"):
            db[k] = [v or "" for v in cols[k]]
    assert all(len(v) == n for v in db.values())
    return db


def _type_from_id(uscc: str) -> str:
    if len(uscc) == 18 and uscc[0] == "9":
        return {"1": "enterprise", "2": "individual", "3": "cooperative"}.get(uscc[1], "other")
    return "enterprise" if len(uscc) == 15 else "other"


def _upsert_registry(stream: _CopyStream, kind: str, cols: dict[str, list[Any]],
                     existing: dict[str, tuple[int, str]], report: ImportReport,
                     depts: _Names | None, units: _Names | None, batch_id: int) -> None:
    spec = KIND_SPECS[kind]
    db = _db_columns(kind, cols, depts, units)
    sqlite = not stream.postgres
    if sqlite:
        for f in spec.fields:
            if _has_dates(db[f]):
                db[f] = [v if type(v) in _PLAIN else _sqlite_value(v) for v in db[f]]
    fields = [db[f] for f in spec.fields]
    hashes = _row_hashes(fields)
    keys = db[spec.key]
    new_rows: list[tuple[Any, ...]] = []
    changed: list[tuple[int, dict[str, Any], str]] = []
    # ``existing`` holds only rows that were in the database before this import: duplicates
    # within the file are caught earlier, so new rows need no entry (10 million would cost GBs).
    if not existing:
        new_rows = list(zip(*fields, hashes))
    else:
        for key, values, h in zip(keys, zip(*fields), hashes):
            old = existing.get(key)
            if old is None:
                new_rows.append((*values, h))
            elif old[1] == h:
                report.unchanged += 1
            else:
                changed.append((old[0], dict(zip(spec.fields, values)), h))
    stream.write(spec.table, (*spec.fields, "row_hash"), new_rows, plain=sqlite)
    report.inserted += len(new_rows)
    if changed:
        stream.close()
        _apply_changes(stream.conn, kind, changed, report, batch_id)


def _apply_changes(conn: Connection, kind: str, changed: list[tuple[int, dict[str, Any], str]],
                   report: ImportReport, batch_id: int) -> None:
    spec = KIND_SPECS[kind]
    table = {"entities": Entity, "inspectors": Inspector, "items": Item}[kind].__table__
    cols = [table.c[f] for f in spec.fields]
    olds: dict[int, Any] = {}
    ids = [c[0] for c in changed]
    for start in range(0, len(ids), 5000):
        part = ids[start:start + 5000]
        for row in conn.execute(select(table.c.id, *cols).where(table.c.id.in_(part))):
            olds[row[0]] = row[1:]
    log: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    for id_, db, h in changed:
        old = olds[id_]
        for f, before in zip(spec.fields, old):
            after = db[f]
            if _norm(before) != _norm(after):
                log.append((batch_id, kind, db[spec.key], f, _norm(before), _norm(after)))
                if len(report.changes) < 1000:
                    report.changes.append((db[spec.key], f, _norm(before), _norm(after)))
        updates.append((*(db[f] for f in spec.fields), h, id_))
    bulk_update(conn, spec.table, (*spec.fields, "row_hash"), updates)
    bulk_insert(conn, "registry_change", ("batch_id", "kind", "key", "field", "old", "new"), log)
    report.updated += len(changed)


def _norm(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    return str(v)


def _retire_missing(conn: Connection, kind: str, seen: set[str], existing: dict[str, tuple[int, str]],
                    report: ImportReport, batch_id: int) -> None:
    spec = KIND_SPECS[kind]
    assert spec.retire
    column, value = spec.retire
    table = {"entities": Entity, "inspectors": Inspector, "items": Item}[kind].__table__
    gone = [(k, v[0]) for k, v in existing.items() if k not in seen and v[0] >= 0]
    if not gone:
        return
    log = []
    rows = []
    ids = [g[1] for g in gone]
    current: dict[int, Any] = {}
    for start in range(0, len(ids), 5000):
        for id_, cur in conn.execute(select(table.c.id, table.c[column]).where(table.c.id.in_(ids[start:start + 5000]))):
            current[id_] = cur
    for key, id_ in gone:
        if _norm(current[id_]) == _norm(value):
            continue
        rows.append((value, id_))
        log.append((batch_id, kind, key, column, _norm(current[id_]), _norm(value)))
        if len(report.changes) < 1000:
            report.changes.append((key, column, _norm(current[id_]), _norm(value)))
    bulk_update(conn, spec.table, (column,), rows)
    bulk_insert(conn, "registry_change", ("batch_id", "kind", "key", "field", "old", "new"), log)
    report.retired += len(rows)


def _existing(conn: Connection, kind: str) -> dict[str, tuple[int, str]]:
    spec = KIND_SPECS[kind]
    result = conn.execute(text(f"SELECT {spec.key}, id, row_hash FROM {spec.table}"))
    return {k: (i, h) for k, i, h in result}


def _id_map(conn: Connection, table: str, key: str) -> dict[str, int]:
    return {k: i for k, i in conn.execute(text(f"SELECT {key}, id FROM {table}"))}


# -- the entry point ----------------------------------------------------------------------
def import_file(store: Store, kind: str, path: str | Path, *, encoding: str | None = None,
                dry_run: bool = False, replace: bool = False, reporter: Reporter = NULL) -> ImportReport:
    """Import a registry file (CSV or XLSX).  Raises :class:`InputError` listing every bad row."""
    if kind not in KINDS:
        raise ValidationError("import.kind", kind=kind, kinds=", ".join(KINDS))
    if replace and kind not in KIND_SPECS:
        raise ValidationError("import.no_replace", kind=kind)
    path = Path(path)
    store.require_schema()
    table = open_table(path, COLUMNS[kind], encoding)
    report = ImportReport(kind=kind, file=path.name, dry_run=dry_run)
    parser = _Parser(kind, table)
    reporter.start(i18n.text("import.progress", file=path.name), None)
    try:
        with store.atomic() as conn:
            batch_id = conn.execute(insert(ImportBatch.__table__).values(
                kind=kind, file_name=path.name, file_sha256=_file_sha256(path), imported_at=_now()
            )).inserted_primary_key[0]
            writer = _writer(conn, kind, report, batch_id, parser)
            with writer.stream:
                for chunk in _chunks(table.rows, CHUNK):
                    report.rows += len(chunk)
                    writer.feed(parser.parse_chunk(chunk))
                    reporter.advance(len(chunk))
            if parser.problems:
                raise InputError(sorted(parser.problems, key=lambda p: p.line), file=path.name)
            writer.finish(replace)
            conn.execute(update(ImportBatch.__table__).where(ImportBatch.__table__.c.id == batch_id).values(
                rows=report.rows, inserted=report.inserted, updated=report.updated,
                unchanged=report.unchanged, retired=report.retired))
            report.batch_id = batch_id
            if dry_run:
                raise _DryRun()
        if kind == "entities" and not dry_run:
            # after the rows are committed: reading them back from the open transaction's
            # write-ahead log took twice as long, and a crash here only leaves the snapshot
            # retired, for the next freeze to rebuild
            with store.atomic() as conn:
                if snapshot.current_id(conn) is None:
                    snapshot.refresh(conn)
    except _DryRun:
        report.batch_id = None
    finally:
        reporter.finish()
    return report


class _writer:
    """Feeds parsed chunks to the database while no problem has been seen."""

    def __init__(self, conn: Connection, kind: str, report: ImportReport, batch_id: int, parser: _Parser) -> None:
        self.conn, self.kind, self.report, self.batch_id, self.parser = conn, kind, report, batch_id, parser
        self.stream = _CopyStream(conn)
        self.seen: dict[str, int] = {}
        self.depts = _Names(conn, Department, report.new_departments) if kind in ("inspectors", "items", "history") else None
        self.units = _Names(conn, Unit, report.new_units) if kind in ("entities", "inspectors") else None
        self.existing = _existing(conn, kind) if kind in KIND_SPECS else {}
        if kind in ("conflicts", "history"):
            self.entities: dict[str, int] = {}   # filled per chunk with the USCCs it references
            self.inspectors = _id_map(conn, "inspector", "cert_no")
        if kind == "conflicts":
            self.conflicts = {(i, e, vf): cid for cid, i, e, vf in conn.execute(
                select(Conflict.__table__.c.id, Conflict.__table__.c.inspector_id,
                       Conflict.__table__.c.entity_id, Conflict.__table__.c.valid_from))}

    def _dup_key(self, rec: dict[str, Any]) -> str:
        if self.kind == "conflicts":
            return f"{rec['cert_no']}|{rec['uscc']}|{rec['valid_from']}"
        if self.kind == "history":
            return f"{rec['uscc']}|{rec['inspected_on']}|{rec['department']}"
        return str(rec[KIND_SPECS[self.kind].key])

    def feed(self, parsed: tuple[list[int], dict[str, list[Any]]]) -> None:
        lines, cols = parsed
        if not lines:
            return
        file = self.parser.file
        if self.kind in KIND_SPECS:
            keys = cols[KIND_SPECS[self.kind].key]
            seen = self.seen
            dups = [i for i, (k, line) in enumerate(zip(keys, lines)) if seen.setdefault(k, line) != line]
            for i in dups:
                self.parser.problems.append(Problem(file, lines[i], _column_label(self.kind, _key_column(self.kind)),
                                                    keys[i], "import.duplicate", (("first", self.seen[keys[i]]),)))
            if not self.parser.problems:
                _upsert_registry(self.stream, self.kind, cols, self.existing, self.report, self.depts,
                                 self.units, self.batch_id)
            return
        good: list[tuple[int, dict[str, Any]]] = []
        names = list(cols)
        self._resolve_entities({u for u in cols["uscc"] if u not in self.entities})
        for line, values in zip(lines, zip(*cols.values())):
            rec = dict(zip(names, values))
            key = self._dup_key(rec)
            first = self.seen.get(key)
            if first is not None:
                self.parser.problems.append(Problem(file, line, _column_label(self.kind, _key_column(self.kind)),
                                                    key, "import.duplicate", (("first", first),)))
                continue
            self.seen[key] = line
            if not self._references_ok(line, rec):
                continue
            if self.kind == "conflicts" and rec["valid_from"] and rec["valid_to"] and rec["valid_to"] < rec["valid_from"]:
                self.parser.problems.append(Problem(file, line, _column_label(self.kind, "valid_to"),
                                                    str(rec["valid_to"]), "import.date_order", ()))
                continue
            good.append((line, rec))
        if self.parser.problems:
            return
        if self.kind == "conflicts":
            self._write_conflicts(good)
        else:
            self._write_history(good)

    def _resolve_entities(self, usccs: set[str]) -> None:
        """Look up only the referenced entities (a 10-million-row id map would cost GBs)."""
        from sqlalchemy import bindparam

        wanted = sorted(usccs)
        q = text("SELECT uscc, id FROM entity WHERE uscc IN :u").bindparams(bindparam("u", expanding=True))
        for start in range(0, len(wanted), 1000):
            self.entities.update((u, int(i)) for u, i in self.conn.execute(q, {"u": wanted[start:start + 1000]}))

    def _references_ok(self, line: int, rec: dict[str, Any]) -> bool:
        ok = True
        file = self.parser.file
        if rec["uscc"] not in self.entities:
            self.parser.problems.append(Problem(file, line, _column_label(self.kind, "uscc"), rec["uscc"],
                                                "import.unknown_entity", ()))
            ok = False
        certs = [rec["cert_no"]] if self.kind == "conflicts" else [c for c in (rec["cert_nos"] or "").split(";") if c]
        for c in certs:
            try:
                c = cert_code.validate(c)
            except ValueError:
                pass
            if c not in self.inspectors:
                self.parser.problems.append(Problem(file, line, _column_label(self.kind, "cert_no" if self.kind == "conflicts" else "cert_nos"),
                                                    c, "import.unknown_inspector", ()))
                ok = False
        return ok

    def _write_conflicts(self, records: list[tuple[int, dict[str, Any]]]) -> None:
        new_rows = []
        for _line, rec in records:
            i, e = self.inspectors[rec["cert_no"]], self.entities[rec["uscc"]]
            key = (i, e, rec["valid_from"])
            if key in self.conflicts:
                self.conn.execute(update(Conflict.__table__).where(Conflict.__table__.c.id == self.conflicts[key])
                                  .values(reason=rec["reason"] or "", valid_to=rec["valid_to"]))
                self.report.unchanged += 1
                continue
            new_rows.append((i, e, rec["reason"] or "", rec["valid_from"], rec["valid_to"]))
        bulk_insert(self.conn, "conflict", ("inspector_id", "entity_id", "reason", "valid_from", "valid_to"), new_rows)
        self.report.inserted += len(new_rows)

    def _write_history(self, records: list[tuple[int, dict[str, Any]]]) -> None:
        """Set-based: inspections already recorded (same entity, date, department) are skipped,
        so re-importing a history file changes nothing."""
        if not hasattr(self, "known_inspections"):
            self.known_inspections = {(int(e), str(d), None if p is None else int(p)) for e, d, p in self.conn.execute(
                text("SELECT entity_id, inspected_on, department_id FROM inspection"))}
        rows, teams = [], {}
        for _line, rec in records:
            dept = self.depts.get(rec["department"]) if self.depts else None
            key = (self.entities[rec["uscc"]], rec["inspected_on"].isoformat(), dept)
            if key in self.known_inspections:
                self.report.unchanged += 1
                continue
            self.known_inspections.add(key)
            rows.append((key[0], dept, rec["inspected_on"]))
            teams[key] = sorted({self.inspectors[cert_code.validate(c)] for c in (rec["cert_nos"] or "").split(";") if c})
        if not rows:
            return
        before = int(self.conn.execute(text("SELECT coalesce(max(id), 0) FROM inspection")).scalar_one())
        bulk_insert(self.conn, "inspection", ("entity_id", "department_id", "inspected_on"), rows)
        members = []
        for iid, e, d, p in self.conn.execute(text("SELECT id, entity_id, inspected_on, department_id FROM inspection "
                                                   "WHERE id > :b"), {"b": before}):
            for officer in teams.get((int(e), str(d), None if p is None else int(p)), ()):
                members.append((int(iid), officer))
        bulk_insert(self.conn, "inspection_member", ("inspection_id", "inspector_id"), members)
        self.report.inserted += len(rows)

    def finish(self, replace: bool) -> None:
        if replace:
            _retire_missing(self.conn, self.kind, set(self.seen), self.existing, self.report, self.batch_id)


def _key_column(kind: str) -> str:
    return {"entities": "uscc", "inspectors": "cert_no", "items": "code", "conflicts": "uscc", "history": "uscc"}[kind]


i18n.register({
    "import.kind": {"zh": "不支持的导入类型 {kind}（可选：{kinds}）", "en": "unknown import kind {kind} (choose {kinds})"},
    "import.no_replace": {"zh": "{kind} 不支持 --replace", "en": "--replace is not available for {kind}"},
    "import.progress": {"zh": "导入 {file}", "en": "importing {file}"},
    "import.required": {"zh": "必填项为空", "en": "required value is empty"},
    "import.too_long": {"zh": "过长（{length} 字，上限 {limit}）", "en": "too long ({length} characters, limit {limit})"},
    "import.not_integer": {"zh": "不是整数", "en": "not an integer"},
    "import.out_of_range": {"zh": "超出范围 {low}–{high}", "en": "out of range {low}–{high}"},
    "import.bad_phone": {"zh": "电话号码格式不正确", "en": "invalid phone number"},
    "import.invalid_value": {"zh": "值无效：{detail}", "en": "invalid value: {detail}"},
    "import.duplicate": {"zh": "与第{first}行重复", "en": "duplicates line {first}"},
    "import.unknown_entity": {"zh": "检查对象名录库中没有该主体（请先导入主体）",
                              "en": "no such entity in the registry (import entities first)"},
    "import.unknown_inspector": {"zh": "执法检查人员名录库中没有该证号（请先导入人员）",
                                 "en": "no such inspector in the registry (import inspectors first)"},
    "import.date_order": {"zh": "失效日期早于生效日期", "en": "valid-to date is before valid-from"},
})

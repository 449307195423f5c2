"""Registry export, statistics and canonical snapshot digests.

The snapshot digest of a registry is SHA-256 over its rows in a fixed text form
(see ``docs/formats.md``): one line per row, fields joined by U+001F, lines ending in
``\\n``, UTF-8, rows in ascending byte order of their key.  Two databases holding the
same registry give the same digest, whatever their row order or collation.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text

from .codes import enums
from .formats import COLUMNS
from .store import Store
from .tabular import write_table

_ORDER = {"entities": "e.uscc", "inspectors": "i.cert_no", "items": "t.code",
          "conflicts": None, "history": None}
_LAST = 10          # the entities column of the last inspection; the query adds the entity id after the row
_QUERIES = {
    "entities": ("SELECT e.uscc, e.name, e.entity_type, e.industry, e.region, e.address, e.status, "
                 "u.name, e.risk, e.tags, e.last_inspected, e.enabled, e.id FROM entity e "
                 "LEFT JOIN unit u ON u.id = e.unit_id"),
    "inspectors": ("SELECT i.cert_no, i.name, d.name, u.name, i.qualifications, i.status, i.capacity, "
                   "i.expert, i.id_card, i.phone FROM inspector i JOIN department d ON d.id = i.department_id "
                   "LEFT JOIN unit u ON u.id = i.unit_id"),
    "items": ("SELECT t.code, t.name, t.sub_item, t.legal_basis, d.name, t.target_type, t.method, t.ratio, "
              "t.frequency, t.qualification, t.category, t.enabled FROM item t "
              "JOIN department d ON d.id = t.department_id"),
    "conflicts": ("SELECT i.cert_no, e.uscc, c.reason, c.valid_from, c.valid_to FROM conflict c "
                  "JOIN inspector i ON i.id = c.inspector_id JOIN entity e ON e.id = c.entity_id"),
    "history": ("SELECT e.uscc, n.inspected_on, d.name, n.id FROM inspection n JOIN entity e ON e.id = n.entity_id "
                "LEFT JOIN department d ON d.id = n.department_id"),
}
# Columns kept out of digests and public exports: personal data of inspectors.
PRIVATE = {"inspectors": (8, 9)}

_ENUM_LABELS = {
    ("entities", 2): "entity_type", ("entities", 6): "entity_status",
    ("inspectors", 5): "inspector_status", ("items", 6): "inspection_method", ("items", 10): "item_category",
}


def _canon(v: Any) -> str:
    if v is None:
        return ""
    if v is True or v is False:
        return "1" if v else "0"
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


class _Latest:
    """Each entity's latest inspection, merged into entities rows (which end with the entity id)
    block by block: a join in SQL probed an index once per entity, 10 million times for a
    provincial registry's digest (about 45 s on SQLite)."""

    def __init__(self, conn: Any) -> None:
        got = conn.execute(text("SELECT entity_id, max(inspected_on) FROM inspection GROUP BY entity_id "
                                "ORDER BY entity_id")).all()
        self.ids = np.fromiter((int(r[0]) for r in got), np.int64, len(got))
        self.days = [r[1] for r in got]

    def merge(self, block: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """The rows without their id, each with the later of its date and its latest inspection
        (both ISO text on SQLite, both dates on PostgreSQL)."""
        out = [tuple(r[:-1]) for r in block]
        if not len(self.ids) or not out:
            return out
        ids = np.fromiter((r[-1] for r in block), np.int64, len(block))
        at = np.searchsorted(self.ids, ids).clip(max=len(self.ids) - 1)
        for k in np.flatnonzero(self.ids[at] == ids).tolist():
            day, row = self.days[int(at[k])], out[k]
            if row[_LAST] is None or day > row[_LAST]:
                out[k] = (*row[:_LAST], day, *row[_LAST + 1:])
        return out


def rows(store: Store, kind: str) -> Iterator[tuple[Any, ...]]:
    """Registry rows of ``kind`` in the export column order, sorted by key (bytewise)."""
    conn = store.read()
    order = _ORDER[kind]
    if order is not None:
        collate = ' COLLATE "C"' if store.is_postgres else ""
        latest = _Latest(conn) if kind == "entities" else None
        result = conn.execute(text(f"{_QUERIES[kind]} ORDER BY {order}{collate}").execution_options(yield_per=50_000))
        for block in result.partitions():
            for r in (latest.merge(block) if latest else block):
                yield tuple(_fix_bool(kind, i, v) for i, v in enumerate(r))
        conn.rollback()
        return
    result = list(conn.execute(text(_QUERIES[kind])))
    if kind == "history":
        members: dict[int, list[str]] = {}
        for iid, cert in conn.execute(text("SELECT m.inspection_id, i.cert_no FROM inspection_member m "
                                           "JOIN inspector i ON i.id = m.inspector_id")):
            members.setdefault(iid, []).append(cert)
        result = [(u, d, dept, ";".join(sorted(members.get(iid, [])))) for u, d, dept, iid in result]
    conn.rollback()
    result.sort(key=lambda r: tuple(_canon(v).encode() for v in r))
    for r in result:
        yield tuple(_fix_bool(kind, i, v) for i, v in enumerate(r))


def _fix_bool(kind: str, i: int, v: Any) -> Any:
    # SQLite returns booleans as 0/1 through text() queries
    bool_cols = {"entities": (11,), "inspectors": (7,), "items": (11,)}.get(kind, ())
    if i in bool_cols and v is not None:
        return bool(v)
    return v


@dataclass(frozen=True)
class Digest:
    kind: str
    rows: int
    sha256: str


def digest(store: Store, kind: str) -> Digest:
    """The canonical snapshot digest of one registry (personal data excluded).

    Streams rows in key order through the DBAPI cursor; booleans (SQLite 1/0, PostgreSQL
    true/false) and dates (SQLite ISO text, PostgreSQL ``date``) canonicalise to the same text.
    """
    h = hashlib.sha256()
    n = 0
    private = set(PRIVATE.get(kind, ()))
    if _ORDER[kind] is None:
        for r in rows(store, kind):
            h.update(("\x1f".join(_canon(v) for i, v in enumerate(r) if i not in private) + "\n").encode("utf-8"))
            n += 1
        return Digest(kind, n, h.hexdigest())
    collate = ' COLLATE "C"' if store.is_postgres else ""
    conn = store.read()
    raw = conn.connection.driver_connection
    # PostgreSQL: a named (server-side) cursor, or psycopg would hold the whole result in memory
    cur = raw.cursor(name="shuangsuiji_digest") if store.is_postgres else raw.cursor()  # type: ignore[union-attr]
    latest = _Latest(conn) if kind == "entities" else None
    try:
        cur.execute(f"{_QUERIES[kind]} ORDER BY {_ORDER[kind]}{collate}")
        keep = [i for i in range(len(cur.description) - (latest is not None)) if i not in private]
        while block := cur.fetchmany(50_000):
            if latest is not None:
                block = latest.merge(block)
            lines = ["\x1f".join([v if type(v) is str else _canon(v) for v in (r[i] for i in keep)]) for r in block]
            h.update(("\n".join(lines) + "\n").encode("utf-8"))
            n += len(block)
    finally:
        cur.close()
        conn.rollback()
    return Digest(kind, n, h.hexdigest())


def export(store: Store, kind: str, path: str | Path, *, lang: str = "zh", encoding: str = "utf-8-sig",
           include_private: bool = False) -> int:
    """Write a registry in its import format (CSV or XLSX by suffix); returns the row count.

    Enumerations are written as labels in ``lang``; IDs stay text; formula-like text is
    neutralised.  Inspectors' ID-card and phone numbers are left out unless asked for.
    """
    columns = COLUMNS[kind]
    private = () if include_private else PRIVATE.get(kind, ())
    keep = [i for i in range(len(columns)) if i not in private]

    def out() -> Iterator[list[Any]]:
        for r in rows(store, kind):
            yield [_label(kind, i, r[i], lang) for i in keep]

    return write_table(path, [columns[i] for i in keep], out(), lang=lang, encoding=encoding)


def _label(kind: str, i: int, v: Any, lang: str) -> Any:
    enum = _ENUM_LABELS.get((kind, i))
    if enum and v is not None:
        return enums.label(enum, v, lang)
    if isinstance(v, bool):
        return ("是" if v else "否") if lang == "zh" else ("yes" if v else "no")
    return v


def stats(store: Store) -> dict[str, dict[str, int]]:
    """Counts by status, region, unit, risk class (entities) and department/status (inspectors)."""
    conn = store.read()
    q = {
        "entity_status": "SELECT status, count(*) FROM entity GROUP BY status",
        "entity_region": "SELECT region, count(*) FROM entity GROUP BY region",
        "entity_unit": "SELECT coalesce(u.name, ''), count(*) FROM entity e LEFT JOIN unit u ON u.id = e.unit_id GROUP BY u.name",
        "entity_risk": "SELECT coalesce(risk, ''), count(*) FROM entity GROUP BY risk",
        "entity_type": "SELECT entity_type, count(*) FROM entity GROUP BY entity_type",
        "entity_enabled": "SELECT CASE WHEN enabled THEN 'yes' ELSE 'no' END, count(*) FROM entity GROUP BY enabled",
        "inspector_department": "SELECT d.name, count(*) FROM inspector i JOIN department d ON d.id = i.department_id GROUP BY d.name",
        "inspector_status": "SELECT status, count(*) FROM inspector GROUP BY status",
        "inspector_expert": "SELECT CASE WHEN expert THEN 'expert' ELSE 'officer' END, count(*) FROM inspector GROUP BY expert",
        "item_department": "SELECT d.name, count(*) FROM item t JOIN department d ON d.id = t.department_id GROUP BY d.name",
        "conflicts": "SELECT 'total', count(*) FROM conflict",
    }
    out = {name: {str(k): int(v) for k, v in sorted(conn.execute(text(sql)), key=lambda kv: str(kv[0]))}
           for name, sql in q.items()}
    conn.rollback()
    return out

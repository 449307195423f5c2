"""A columnar snapshot of the entity registry, so that a freeze need not read 10 million rows.

The snapshot holds, for every entity, the columns a freeze filters and stratifies on, as
numpy arrays in ascending byte order of USCC: every stratum's members then come out of a
freeze already in the order its population digest needs (docs/algorithm.md, section 5).

It is rebuilt at the end of each entity import, inside the import's transaction. Triggers on
``entity`` (migration 0003) clear ``snapshot_state.snapshot_id`` on any delete or change of
these columns, and on PostgreSQL on any insert, whoever makes them; on SQLite an insert shows
as a changed row count or highest id (:func:`current_id`). :func:`current` rebuilds a retired
snapshot before using it: a stale snapshot is never used. ``audit`` compares it with the table.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
from sqlalchemy import Connection, insert, text

from . import packing
from .models import EntitySnapshot, EntitySnapshotPart
from .store import Store, fetch_rows

FORMAT = 1
BLOCK = 200_000        # rows per fetch when reading the entity table
CHUNK = 1_000_000      # rows per stored part
CODED = ("risk", "region", "unit", "industry", "entity_type", "tags")
_SQL = {"risk": "coalesce(risk, '-')", "region": "region", "unit": "coalesce(unit_id, -1)",
        "industry": "coalesce(industry, '')", "entity_type": "entity_type", "tags": "coalesce(tags, '')"}


@dataclass
class Columns:
    """The registry as columns, one row per entity, rows in ascending USCC byte order."""

    usccs: np.ndarray   # S18
    ids: np.ndarray     # int64 entity ids
    flags: np.ndarray   # int8: 1 = in operation, 2 = enabled
    coded: dict[str, tuple[np.ndarray, list[Any]]]  # column -> (small-int codes, distinct values)

    def __len__(self) -> int:
        return len(self.ids)

    def same_as(self, other: Columns) -> bool:
        """Equal row for row, comparing decoded values (code numbering may differ)."""
        if len(self) != len(other) or not np.array_equal(self.usccs, other.usccs) \
                or not np.array_equal(self.ids, other.ids) or not np.array_equal(self.flags, other.flags):
            return False
        for name in CODED:
            (a, va), (b, vb) = self.coded[name], other.coded[name]
            where = {v: i for i, v in enumerate(vb)}
            translate = np.array([where.get(v, -1) for v in va], dtype=np.int64)
            if len(a) and not np.array_equal(translate[a], b):
                return False
        return True


class _Coder:
    """Small-int codes for a column of repeated values, fed a block at a time; values are
    numbered in order of first appearance."""

    def __init__(self) -> None:
        self.lookup: dict[Any, int] = {}
        self.parts: list[np.ndarray] = []

    def add(self, values: Sequence[Any]) -> None:
        lookup = self.lookup
        for v in dict.fromkeys(values):
            lookup.setdefault(v, len(lookup))
        self.parts.append(np.fromiter(map(lookup.__getitem__, values), dtype=np.int32, count=len(values)))

    def result(self) -> tuple[np.ndarray, list[Any]]:
        codes = np.concatenate(self.parts) if self.parts else np.zeros(0, np.int32)
        return codes.astype(_code_dtype(len(self.lookup))), list(self.lookup)


def _code_dtype(distinct: int) -> type:
    return np.int8 if distinct <= 127 else np.int16 if distinct <= 32767 else np.int32


def read(conn: Connection) -> Columns:
    """Build the columns from the entity table (one pass through a DBAPI cursor)."""
    cols = ", ".join(["id", "uscc", "CASE WHEN status = 'active' THEN 1 ELSE 0 END + "
                      "CASE WHEN enabled THEN 2 ELSE 0 END", *(_SQL[c] for c in CODED)])
    raw = conn.connection.driver_connection
    # PostgreSQL: a named (server-side) cursor, or psycopg would hold all 10 million rows at once
    named = conn.dialect.name == "postgresql"
    cur = raw.cursor(name="shuangsuiji_snapshot") if named else raw.cursor()  # type: ignore[union-attr]
    cur.execute(f"SELECT {cols} FROM entity")
    ids_parts, uscc_parts, flag_parts = [], [], []
    coders = {name: _Coder() for name in CODED}
    while True:
        block = cur.fetchmany(BLOCK)
        if not block:
            break
        columns = list(zip(*block))
        del block
        ids_parts.append(np.array(columns[0], dtype=np.int64))
        uscc_parts.append(np.array(columns[1], dtype="S18"))
        flag_parts.append(np.array(columns[2], dtype=np.int8))
        for name, col in zip(CODED, columns[3:]):
            coders[name].add(col)
    cur.close()
    coded = {n: c.result() for n, c in coders.items()}
    if not ids_parts:
        return Columns(np.zeros(0, "S18"), np.zeros(0, np.int64), np.zeros(0, np.int8), coded)
    usccs = np.concatenate(uscc_parts)
    del uscc_parts
    order = np.argsort(usccs, kind="stable")
    return Columns(usccs[order], np.concatenate(ids_parts)[order], np.concatenate(flag_parts)[order],
                   {n: (codes[order], values) for n, (codes, values) in coded.items()})


def _arrays(cols: Columns) -> dict[str, np.ndarray]:
    return {"uscc": cols.usccs, "id": cols.ids, "flags": cols.flags, **{n: c for n, (c, _) in cols.coded.items()}}


def save(conn: Connection, cols: Columns) -> int:
    """Store ``cols`` as the current snapshot and drop older ones; returns its id."""
    arrays = _arrays(cols)
    meta = {"format": FORMAT, "dtypes": {n: a.dtype.newbyteorder("<").str for n, a in arrays.items()},
            "values": {n: v for n, (_, v) in cols.coded.items()}}
    sid = int(conn.execute(insert(EntitySnapshot.__table__).values(
        rows=len(cols), max_id=int(cols.ids.max()) if len(cols) else 0, meta=json.dumps(meta, ensure_ascii=False),
        built_at=datetime.now(timezone.utc))).inserted_primary_key[0])
    jobs = [(n, i, a[i:i + CHUNK]) for n, a in arrays.items() for i in range(0, max(len(a), 1), CHUNK)]
    blobs = packing.pack_all([j[2] for j in jobs])
    part = EntitySnapshotPart.__table__
    for (name, start, _), blob in zip(jobs, blobs):
        conn.execute(insert(part).values(snapshot_id=sid, name=name, chunk=start // CHUNK, data=blob))
    del blobs
    if conn.execute(text("UPDATE snapshot_state SET snapshot_id = :s WHERE id = 1"), {"s": sid}).rowcount == 0:
        conn.execute(text("INSERT INTO snapshot_state (id, snapshot_id) VALUES (1, :s)"), {"s": sid})
    conn.execute(text("DELETE FROM entity_snapshot_part WHERE snapshot_id <> :s"), {"s": sid})
    conn.execute(text("DELETE FROM entity_snapshot WHERE id <> :s"), {"s": sid})
    return sid


def current_id(conn: Connection) -> int | None:
    """The snapshot that still matches the entity table, if any.

    PostgreSQL's statement trigger retires it on any insert; SQLite has only row triggers,
    too slow for 10-million-row imports, so there an insert shows as a changed row count or
    highest id. Entities are never deleted (migration 0002; a delete retires the snapshot
    anyway), so the count can only have grown; when the snapshot's ids filled the range
    from the lowest to the highest id and both ends are unchanged, there is no free id for a
    new row and the count cannot have changed: two index probes instead of counting 10
    million rows (0.8 s)."""
    row = conn.execute(text("SELECT s.id, s.rows, s.max_id FROM snapshot_state t "
                            "JOIN entity_snapshot s ON s.id = t.snapshot_id WHERE t.id = 1")).first()
    if row is None:
        return None
    if conn.dialect.name == "sqlite":
        rows, max_id = int(row[1]), int(row[2])
        low, top = conn.execute(text("SELECT (SELECT min(id) FROM entity), (SELECT max(id) FROM entity)")).one()
        if int(top or 0) != max_id:
            return None
        dense = rows > 0 and low is not None and max_id - int(low) + 1 == rows
        if not dense and int(conn.execute(text("SELECT count(*) FROM entity")).scalar_one()) != rows:
            return None
    return int(row[0])


def load(conn: Connection, sid: int) -> Columns | None:
    """The stored snapshot ``sid``, or None if it is missing or incomplete."""
    head = conn.execute(text("SELECT rows, meta FROM entity_snapshot WHERE id = :s"), {"s": sid}).first()
    if head is None:
        return None
    rows, meta = int(head[0]), json.loads(head[1])
    if meta.get("format") != FORMAT:
        return None
    parts: dict[str, list[tuple[int, bytes]]] = {}
    for name, chunk, data in fetch_rows(conn, "SELECT name, chunk, data FROM entity_snapshot_part "
                                              "WHERE snapshot_id = ? ORDER BY name, chunk", [sid], binary=True):
        parts.setdefault(name, []).append((int(chunk), bytes(data)))
    names = list(meta["dtypes"])
    for name in names:
        if [c for c, _ in parts.get(name, [])] != list(range(len(parts.get(name, [])))):
            return None
    arrays: dict[str, np.ndarray] = {}
    for name in names:
        # each column is decompressed in place: a block that does not fit refuses the snapshot
        arrays[name] = np.empty(rows, dtype=np.dtype(meta["dtypes"][name]))
        try:
            packing.unpack_into([d for _, d in parts.get(name, [])], arrays[name])
        except packing.PackingError:
            return None
    usccs = arrays["uscc"]
    if len(usccs) > 1 and not bool((usccs[1:] > usccs[:-1]).all()):
        return None                      # freezes rely on the order: rebuild rather than trust it
    return Columns(usccs, arrays["id"].astype(np.int64, copy=False), arrays["flags"],
                   {n: (arrays[n], meta["values"][n]) for n in CODED})


def current(conn: Connection) -> Columns:
    """The snapshot matching the entity table now, rebuilt first if an edit retired it."""
    sid = current_id(conn)
    cols = load(conn, sid) if sid is not None else None
    if cols is None:
        cols = read(conn)
        save(conn, cols)
    return cols


def check(conn: Connection) -> bool | None:
    """Does the current snapshot equal the entity table? None when there is none (a freeze
    would rebuild it). With the triggers in place it always does: a difference means the
    snapshot's blobs were edited, or the triggers dropped."""
    sid = current_id(conn)
    if sid is None:
        return None
    stored = load(conn, sid)
    return stored is not None and stored.same_as(read(conn))


def refresh(conn: Connection) -> int:
    """Rebuild the snapshot from the table (after an import); returns its id."""
    return save(conn, read(conn))


def rebuild(store: Store) -> int:
    """Rebuild the snapshot in its own transaction (after ``audit`` found it changed);
    returns the number of entities."""
    with store.atomic() as conn:
        cols = read(conn)
        save(conn, cols)
    return len(cols)

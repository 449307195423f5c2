"""The entity snapshot a freeze reads: current after an import, retired by any edit of a column
it holds (whoever makes it), rebuilt when damaged, and checked by ``audit``."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from shuangsuiji import importer, packing, publication, snapshot, tasks
from shuangsuiji.errors import VerificationError
from shuangsuiji.store import Store
from tests.conftest import fresh_store
from tests.helpers import ENTITY_HEADER, entity_rows, setup_registry, write_csv

DEPT = "市场监管局"
SPEC = {"task_no": "T1", "name": "食品经营抽查", "plan": "P2026", "department": DEPT, "as_of": "2026-11-01",
        "strata": {"by": ["risk"]}, "sizes": {"risk": {"A": "5%", "B": "10%", "C": "20%", "D": "50%"}},
        "teams": {"seats": [{"department": DEPT, "k": 2}]}}


def _current(store: Store) -> snapshot.Columns | None:
    conn = store.read()
    try:
        sid = snapshot.current_id(conn)
        return None if sid is None else snapshot.load(conn, sid)
    finally:
        conn.rollback()


def _edit(store: Store, sql: str) -> None:
    with store.atomic() as conn:
        assert conn.execute(text(sql)).rowcount >= 1


def test_import_leaves_a_current_snapshot_equal_to_the_table(store: Store, tmp_path: Path) -> None:
    setup_registry(store, tmp_path)
    stored = _current(store)
    assert stored is not None
    conn = store.read()
    fresh = snapshot.read(conn)
    usccs = [u for (u,) in conn.execute(text("SELECT uscc FROM entity"))]
    conn.rollback()
    assert stored.same_as(fresh) and len(stored) == 120
    assert [u.decode() for u in stored.usccs.tolist()] == sorted(usccs, key=str.encode)
    assert int(((stored.flags & 1) == 0).sum()) == 12          # every 10th entity is cancelled


@pytest.mark.parametrize("sql", [
    "UPDATE entity SET status = 'cancelled' WHERE id = 2",
    "UPDATE entity SET enabled = false WHERE id = 2",
    "UPDATE entity SET risk = 'D' WHERE id = 2",
    "UPDATE entity SET region = '330102' WHERE id = 2",
    "UPDATE entity SET tags = 'x' WHERE id = 2",
    "INSERT INTO entity (uscc, name, entity_type, region, address, status, tags, enabled, row_hash) "
    "VALUES ('91330106XXXXXXXXX0', 'n', 'enterprise', '330106', '', 'active', '', true, '')",
])
def test_any_edit_of_a_held_column_retires_it(store: Store, tmp_path: Path, sql: str) -> None:
    setup_registry(store, tmp_path)
    assert _current(store) is not None
    _edit(store, sql)
    assert _current(store) is None


_INSERT = ("INSERT INTO entity (id, uscc, name, entity_type, region, address, status, tags, enabled, row_hash) "
           "VALUES ({id}, '91330106XXXXXXXX{n:02d}', 'n', 'enterprise', '330106', '', 'active', '', true, '')")


@pytest.mark.parametrize("where", ["below", "gap"])
def test_an_insert_that_keeps_the_highest_id_retires_it(store: Store, tmp_path: Path, where: str) -> None:
    """A new row below the lowest id, or in a gap between ids, leaves max(id) as it was."""
    setup_registry(store, tmp_path)
    conn = store.read()
    low, top = conn.execute(text("SELECT min(id), max(id) FROM entity")).one()
    conn.rollback()
    if where == "gap":
        _edit(store, _INSERT.format(id=top + 10, n=1))
        with store.atomic() as conn:
            snapshot.refresh(conn)
        assert _current(store) is not None
    _edit(store, _INSERT.format(id=low - 1 if where == "below" else top + 5, n=2))
    assert _current(store) is None


def test_other_columns_and_rolled_back_edits_keep_it(store: Store, tmp_path: Path) -> None:
    setup_registry(store, tmp_path)
    _edit(store, "UPDATE entity SET last_inspected = '2026-10-01', name = 'renamed' WHERE id = 2")
    assert _current(store) is not None
    with pytest.raises(RuntimeError):
        with store.atomic() as conn:
            conn.execute(text("UPDATE entity SET status = 'cancelled' WHERE id = 2"))
            raise RuntimeError("abandon")
    assert _current(store) is not None


def test_freeze_sees_a_direct_edit(store: Store, tmp_path: Path) -> None:
    """An entity closed by hand in the database is excluded at the next freeze."""
    setup_registry(store, tmp_path)
    tasks.create_task(store, SPEC)
    _edit(store, "UPDATE entity SET status = 'cancelled' WHERE id = 2")
    fr = tasks.freeze(store, "T1")
    assert fr.excluded["not_in_operation"] == 13 and fr.eligible == 107
    assert _current(store) is not None                         # rebuilt by the freeze


def test_a_damaged_snapshot_is_rebuilt_and_freezes_the_same(store: Store, tmp_path: Path) -> None:
    setup_registry(store, tmp_path)
    tasks.create_task(store, SPEC)
    tasks.create_task(store, {**SPEC, "task_no": "T2"})
    first = tasks.freeze(store, "T1")
    with store.atomic() as conn:
        conn.execute(text("DELETE FROM entity_snapshot_part WHERE name = 'flags'"))
    assert _current(store) is None
    second = tasks.freeze(store, "T2")
    assert [(s.key, s.size, s.quota, s.digest) for s in first.strata] == \
        [(s.key, s.size, s.quota, s.digest) for s in second.strata]
    assert _current(store) is not None


def test_an_unreadable_block_counts_as_damage_and_is_rebuilt(store: Store, tmp_path: Path) -> None:
    setup_registry(store, tmp_path)
    tasks.create_task(store, SPEC)
    with store.atomic() as conn:
        conn.execute(text("UPDATE entity_snapshot_part SET data = :d WHERE name = 'region'"),
                     {"d": packing.ZSTD_MAGIC + b"\x00"})
    assert _current(store) is None
    assert tasks.freeze(store, "T1").eligible > 0
    assert _current(store) is not None


def test_a_reordered_snapshot_is_not_trusted(store: Store, tmp_path: Path) -> None:
    """Freezes rely on the USCC order; stored rows out of order count as damage."""
    setup_registry(store, tmp_path)
    cols = _current(store)
    assert cols is not None
    swapped = np.arange(len(cols))
    swapped[[3, 4]] = swapped[[4, 3]]
    with store.atomic() as conn:
        sid = snapshot.current_id(conn)
        for name, arr in (("uscc", cols.usccs), ("id", cols.ids)):
            conn.execute(text("DELETE FROM entity_snapshot_part WHERE snapshot_id = :s AND name = :n"), {"s": sid, "n": name})
            conn.execute(text("INSERT INTO entity_snapshot_part (snapshot_id, name, chunk, data) VALUES (:s, :n, 0, :d)"),
                         {"s": sid, "n": name, "d": packing.pack(arr[swapped])})
        assert snapshot.load(conn, sid) is None
    assert _current(store) is None


def test_import_with_nothing_new_keeps_the_snapshot(store: Store, tmp_path: Path) -> None:
    setup_registry(store, tmp_path)
    conn = store.read()
    before = snapshot.current_id(conn)
    conn.rollback()
    importer.import_file(store, "entities", write_csv(tmp_path / "same.csv", ENTITY_HEADER, entity_rows(3)))
    importer.import_file(store, "entities", write_csv(tmp_path / "more.csv", ENTITY_HEADER, entity_rows(2, 500)))
    conn = store.read()
    after = snapshot.current_id(conn)
    rows = conn.execute(text("SELECT count(*) FROM entity_snapshot")).scalar()
    conn.rollback()
    assert after is not None and after != before and rows == 1    # rebuilt once, the old one dropped
    assert len(_current(store)) == 122


def test_audit_detects_an_edited_snapshot_until_rebuilt(store: Store, tmp_path: Path) -> None:
    setup_registry(store, tmp_path)
    assert any("快照" in c for c in publication.audit(store))
    cols = _current(store)
    assert cols is not None
    flags = cols.flags.copy()
    flags[5] ^= 1                                              # an operating entity now looks closed
    forged = snapshot.Columns(cols.usccs, cols.ids, flags, cols.coded)
    with store.atomic() as conn:
        sid = snapshot.current_id(conn)
        blob = packing.pack(forged.flags)
        conn.execute(text("DELETE FROM entity_snapshot_part WHERE snapshot_id = :s AND name = 'flags'"), {"s": sid})
        conn.execute(text("INSERT INTO entity_snapshot_part (snapshot_id, name, chunk, data) VALUES (:s, 'flags', 0, :d)"),
                     {"s": sid, "d": blob})
    with pytest.raises(VerificationError, match="快照"):
        publication.audit(store)
    assert snapshot.rebuild(store) == 120
    assert any("快照" in c for c in publication.audit(store))


_values = st.one_of(st.sampled_from(["A", "B", "-", "330106", "", "食品;药品"]), st.text(max_size=6))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(0, 60), spread=st.integers(1, 300), chunk=st.integers(1, 25), data=st.data())
def test_save_then_load_round_trips(n: int, spread: int, chunk: int, data: st.DataObject) -> None:
    """Any columns survive storage unchanged, across chunk boundaries and code widths
    (more than 127 distinct values needs int16)."""
    import tempfile

    ids = np.array(data.draw(st.lists(st.integers(1, 10**9), min_size=n, max_size=n, unique=True)), dtype=np.int64)
    usccs = np.array(sorted(f"{i:018d}".encode() for i in ids.tolist()), dtype="S18")
    flags = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), dtype=np.int8)
    coded = {}
    for name in snapshot.CODED:
        values = list(dict.fromkeys(data.draw(st.lists(_values, min_size=1, max_size=3)) + list(range(spread))))
        if name != "unit":
            values = list(dict.fromkeys(str(v) for v in values))
        codes = np.array(data.draw(st.lists(st.integers(0, len(values) - 1), min_size=n, max_size=n)),
                         dtype=snapshot._code_dtype(len(values)))
        coded[name] = (codes, values)
    cols = snapshot.Columns(usccs, ids, flags, coded)
    old_chunk, snapshot.CHUNK = snapshot.CHUNK, chunk
    try:
        with tempfile.TemporaryDirectory() as tmp, fresh_store("sqlite", Path(tmp)) as store:
            with store.atomic() as conn:
                sid = snapshot.save(conn, cols)
                back = snapshot.load(conn, sid)
    finally:
        snapshot.CHUNK = old_chunk
    assert back is not None and back.same_as(cols) and len(back) == n
    for name in snapshot.CODED:
        assert [coded[name][1][c] for c in coded[name][0].tolist()] == \
            [back.coded[name][1][c] for c in back.coded[name][0].tolist()]

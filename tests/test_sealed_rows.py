"""The database itself refuses to rewrite sealed records (migration 0002)."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from shuangsuiji import demo
from shuangsuiji.store import Store

ATTACKS = [
    "UPDATE draw_entity SET ticket = '0000000000000000'",
    "DELETE FROM draw_team",
    "UPDATE draw SET seed = 'x'",
    "DELETE FROM draw",
    "UPDATE task SET commitment = 'x'",
    "UPDATE task SET spec = 'x'",
    "DELETE FROM task",
    "DELETE FROM result",
    "UPDATE bundle SET content = '{}'",
    "UPDATE bundle SET bundle_content = NULL",
    "DELETE FROM bundle",
    "UPDATE task_stratum SET digest = 'x'",
    "DELETE FROM result_event",
    "DELETE FROM entity",
    "DELETE FROM inspector",
    "UPDATE result SET entity_id = entity_id + 1000000",
    "UPDATE result SET draw_id = draw_id + 1",
]
# TRUNCATE skips row triggers (PostgreSQL only; SQLite has none)
TRUNCATES = [f"TRUNCATE {t} CASCADE" for t in ("draw_entity", "draw_team", "result", "result_event", "bundle",
                                               "draw", "task", "entity", "task_stratum")]


def test_sealed_rows_cannot_be_changed(db_url: str, tmp_path: Path) -> None:
    demo.run(tmp_path / "out", entities=400, seed="sealed", db_url=db_url)
    store = Store(db_url)
    try:
        for sql in ATTACKS + (TRUNCATES if store.engine.dialect.name == "postgresql" else []):
            with pytest.raises(DBAPIError) as info:
                with store.atomic() as conn:
                    conn.execute(text(sql))
            assert "sealed" in str(info.value), sql
        # what the application legitimately does still works: a draw can be marked superseded
        with store.atomic() as conn:
            conn.execute(text("UPDATE draw SET current = :f"), {"f": False})
            raise_back = conn.execute(text("SELECT count(*) FROM draw WHERE current = :f"), {"f": False}).scalar()
            assert raise_back == 1
            conn.execute(text("UPDATE draw SET current = :t"), {"t": True})
    finally:
        store.close()


def test_migrations_upgrade_and_downgrade(db_url: str) -> None:
    store = Store(db_url)
    try:
        assert store.init() == "0011"
        _migrate(store, "downgrade", "0001")
        assert store.revision() == "0001"
        assert store.init() == "0011"
        indexes = {i["name"]: i for i in inspect(store.engine).get_indexes("inspection")}
        assert indexes.keys() == {"ix_inspection_entity_date", "ix_inspection_date"}
        assert indexes["ix_inspection_date"]["column_names"] == ["inspected_on", "entity_id"]
        if store.is_postgres:
            with store.atomic() as conn:
                index = conn.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_entity_last_inspected' "
                                             "AND schemaname = current_schema()"))
                assert "INCLUDE (id)" in index.scalar_one()
    finally:
        store.close()


_COUNTS = ("SELECT count(*) FROM draw_team", "SELECT count(*) FROM result", "SELECT count(*) FROM result_event",
           "SELECT sum(version) FROM result")


_DRAWN = (*_COUNTS, "SELECT count(*) FROM draw_entity", "SELECT sum(rank) FROM draw_entity",
          "SELECT sum(inspector_id * (seat + 1)) FROM draw_team")


def _snapshot(store: Store, queries: tuple[str, ...] = _COUNTS) -> list[int]:
    """Counts and sums over team seats, results and result events (with ``_DRAWN``: drawn rows too)."""
    conn = store.read()
    try:
        return [int(conn.execute(text(q)).scalar_one()) for q in queries]
    finally:
        conn.rollback()


def _migrate(store: Store, how: str, revision: str) -> None:
    from alembic import command

    cfg = store._alembic_config()
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, how)(cfg, revision)


def _foreign_keys(store: Store, table: str) -> set[tuple[str, tuple[str, ...]]]:
    from sqlalchemy import inspect

    conn = store.engine.connect()
    try:
        return {(fk["referred_table"], tuple(fk["constrained_columns"])) for fk in inspect(conn).get_foreign_keys(table)}
    finally:
        conn.close()


def _result_key(store: Store) -> set[tuple[str, tuple[str, ...]]]:
    """result's declared key at the head: SQLite only (0008 checks it per statement on PostgreSQL)."""
    return {("draw_entity", ("draw_id", "entity_id"))} if store.engine.dialect.name == "sqlite" else set()


def test_migration_0005_keeps_a_published_database(store: Store, tmp_path: Path) -> None:
    """Down to 0004 and up again with a published task in the database: every team, result
    and result event survives, the sealed triggers come back, audit still passes, and a team
    or result row for an entity outside the draw is refused."""
    from shuangsuiji import publication
    from tests.test_tamper import run_cycle

    run_cycle(store, tmp_path)
    before = _snapshot(store)
    assert before[0] > 0 and before[2] > 0
    _migrate(store, "downgrade", "0004")
    assert _foreign_keys(store, "result") == {("draw", ("draw_id",)), ("entity", ("entity_id",))}
    assert _snapshot(store) == before
    assert store.init() == "0011"
    assert _snapshot(store) == before
    assert _foreign_keys(store, "result") == _result_key(store)
    assert publication.audit(store)
    for attack in ("DELETE FROM result", "DELETE FROM draw_team"):
        with pytest.raises(DBAPIError, match="sealed"):
            with store.atomic() as conn:
                conn.execute(text(attack))
    # a result for an entity of the registry that this draw did not pick (draw_team lost its
    # keys in 0007: tests/test_tamper.py has audit catch such a seat)
    with pytest.raises(DBAPIError, match="(?i)foreign key"):
        with store.atomic() as conn:
            conn.execute(text("INSERT INTO result (draw_id, entity_id, codes, action, remarks, state, entered_by, "
                              "version) SELECT max(d.id), max(e.id), '', '', '', 'pending_entry', '', 0 "
                              "FROM draw d, entity e WHERE e.id NOT IN (SELECT entity_id FROM draw_entity)"))
    assert _snapshot(store) == before


def test_migration_0007_keeps_a_published_database(store: Store, tmp_path: Path) -> None:
    """Down to 0006 (keys back on draw_entity and draw_team) and up again: every row survives,
    the sealed triggers come back with the rebuilt tables, and audit still passes."""
    from shuangsuiji import publication
    from tests.test_tamper import run_cycle

    run_cycle(store, tmp_path)
    before = _snapshot(store, _DRAWN)
    _migrate(store, "downgrade", "0006")
    assert _foreign_keys(store, "draw_entity") == {("draw", ("draw_id",)), ("entity", ("entity_id",))}
    assert _foreign_keys(store, "draw_team") == {("draw_entity", ("draw_id", "entity_id")),
                                                 ("inspector", ("inspector_id",))}
    _migrate(store, "upgrade", "0007")
    assert _foreign_keys(store, "draw_entity") == set() and _foreign_keys(store, "draw_team") == set()
    assert _foreign_keys(store, "result") == {("draw_entity", ("draw_id", "entity_id"))}
    assert store.init() == "0011"
    assert _snapshot(store, _DRAWN) == before
    assert publication.audit(store)
    for attack in ("DELETE FROM draw_entity", "UPDATE draw_entity SET rank = 0", "DELETE FROM draw_team",
                   "UPDATE draw_team SET seat = 9"):
        with pytest.raises(DBAPIError, match="sealed"):
            with store.atomic() as conn:
                conn.execute(text(attack))


def _without_rowid(store: Store) -> dict[str, bool]:
    conn = store.engine.connect()
    try:
        return {t: "WITHOUT ROWID" in conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table' "
                                                        "AND name = :t"), {"t": t}).scalar_one().upper()
                for t in ("draw_entity", "draw_team")}
    finally:
        conn.close()


def test_migration_0008_keeps_a_published_database(store: Store, tmp_path: Path) -> None:
    """Down to 0007 and up again: every row survives; SQLite's draw rows live without rowid and
    result keeps its declared key there, PostgreSQL checks the key per statement; on both a
    result for an undrawn entity, a changed result key and (PostgreSQL) TRUNCATE are refused."""
    from shuangsuiji import publication
    from tests.test_tamper import run_cycle

    sqlite = store.engine.dialect.name == "sqlite"
    run_cycle(store, tmp_path)
    before = _snapshot(store, _DRAWN)
    _migrate(store, "downgrade", "0007")
    assert _foreign_keys(store, "result") == {("draw_entity", ("draw_id", "entity_id"))}
    if sqlite:
        assert _without_rowid(store) == {"draw_entity": False, "draw_team": False}
    assert store.init() == "0011"
    assert _foreign_keys(store, "result") == _result_key(store)
    if sqlite:
        assert _without_rowid(store) == {"draw_entity": True, "draw_team": True}
    assert _snapshot(store, _DRAWN) == before
    assert publication.audit(store)
    attacks = ["DELETE FROM draw_entity", "UPDATE draw_team SET seat = 9", "UPDATE result SET entity_id = 0",
               "DELETE FROM result"] + ([] if sqlite else TRUNCATES)
    for attack in attacks:
        with pytest.raises(DBAPIError, match="sealed"):
            with store.atomic() as conn:
                conn.execute(text(attack))
    undrawn = ("INSERT INTO result (draw_id, entity_id, codes, action, remarks, state, entered_by, version) "
               "SELECT max(d.id), max(e.id), '', '', '', 'pending_entry', '', 0 FROM draw d, entity e "
               "WHERE e.id NOT IN (SELECT entity_id FROM draw_entity)")
    with pytest.raises(DBAPIError, match="(?i)foreign key"):
        with store.atomic() as conn:
            conn.execute(text(undrawn))
    assert _snapshot(store, _DRAWN) == before


def test_migration_0009_stores_blocks_as_written(db_url: str) -> None:
    """PostgreSQL keeps the zstd/zlib blocks out of line without compressing them again."""
    store = Store(db_url)
    try:
        store.init()
        if store.engine.dialect.name != "postgresql":
            pytest.skip("a PostgreSQL storage setting")
        query = text("SELECT c.relname || '.' || a.attname, a.attstorage FROM pg_attribute a "
                     "JOIN pg_class c ON c.oid = a.attrelid WHERE c.relnamespace = to_regnamespace(current_schema()) "
                     "AND a.atttypid = 'bytea'::regtype AND NOT a.attisdropped ORDER BY 1")
        blocks = {"task_stratum.members", "task_stratum.member_ids", "task_stratum.member_units",
                  "task_exclusion.members", "entity_snapshot_part.data", "draw.assign_input"}
        with store.engine.connect() as conn:
            assert {c: s for c, s in conn.execute(query) if c in blocks} == dict.fromkeys(blocks, "e")
        _migrate(store, "downgrade", "0008")
        with store.engine.connect() as conn:
            assert {c: s for c, s in conn.execute(query) if c in blocks} == dict.fromkeys(blocks, "x")
    finally:
        store.close()

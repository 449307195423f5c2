"""draw rows for bulk writing: result's key checked per statement, draw rows without rowid

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21

A provincial draw writes 523,568 ``draw_entity`` rows, 1,047,136 ``draw_team`` seats and one
pending ``result`` per drawn entity, in one transaction.

PostgreSQL: the key from ``result`` to ``draw_entity`` checked every new result on its own and
locked its drawn row (``FOR KEY SHARE``): the draw's ``INSERT INTO result … SELECT`` took
3.8-4.2 s, 1.5 s without the key.  It is replaced by the same rule checked once per
statement over the statement's new rows (a transition table; 1.8-2.2 s) and raising the same
``foreign_key_violation``.  The lock is not needed: drawn rows can be neither changed nor
deleted (0002).  A result's draw and entity cannot be changed either, on both databases (no
code ever changes them).  ``TRUNCATE``, which skips row triggers, is refused on the sealed
tables.

SQLite keeps its key (checked cheaply per row) and rebuilds ``draw_entity`` and ``draw_team``
``WITHOUT ROWID``: the rows live in their primary key's tree instead of a rowid table plus an
index on the same key, one tree to write instead of two (about 0.4 s of a provincial draw's
2 s of row writes) and one to read by draw.
"""
from __future__ import annotations

from alembic import op

from shuangsuiji.migrations import sqlite_tables

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLS = sqlite_tables.DRAW_COLUMNS
# the tables of 0002's triggers, and draw and task
SEALED = ("draw_stratum", "draw_entity", "draw_team", "task_stratum", "task_exclusion", "bundle", "result_event",
          "registry_change", "result", "entity", "inspector", "plan", "draw", "task")
MSG = "shuangsuiji: sealed rows of result cannot be changed or deleted"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in COLS:
            sqlite_tables.rebuild(table, f"({COLS[table]}) WITHOUT ROWID")
        op.execute("CREATE TRIGGER sealed_result_keys BEFORE UPDATE OF draw_id, entity_id ON result "
                   "WHEN OLD.draw_id IS NOT NEW.draw_id OR OLD.entity_id IS NOT NEW.entity_id "
                   f"BEGIN SELECT RAISE(ABORT, '{MSG}'); END")
        return
    op.drop_constraint("fk_result_drawn", "result", type_="foreignkey")
    op.execute("""CREATE FUNCTION shuangsuiji_result_drawn() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM shuangsuiji_new_results n WHERE NOT EXISTS (
                    SELECT 1 FROM draw_entity e WHERE e.draw_id = n.draw_id AND e.entity_id = n.entity_id)) THEN
                RAISE EXCEPTION 'shuangsuiji: a result needs its drawn entity (foreign key to draw_entity)'
                    USING ERRCODE = 'foreign_key_violation';
            END IF;
            RETURN NULL;
        END $$""")
    op.execute("CREATE TRIGGER result_drawn AFTER INSERT ON result REFERENCING NEW TABLE AS shuangsuiji_new_results "
               "FOR EACH STATEMENT EXECUTE FUNCTION shuangsuiji_result_drawn()")
    op.execute("CREATE TRIGGER sealed_result_keys BEFORE UPDATE OF draw_id, entity_id ON result FOR EACH ROW "
               "WHEN (OLD.draw_id IS DISTINCT FROM NEW.draw_id OR OLD.entity_id IS DISTINCT FROM NEW.entity_id) "
               "EXECUTE FUNCTION shuangsuiji_sealed()")
    for table in SEALED:
        op.execute(f"CREATE TRIGGER sealed_{table}_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION shuangsuiji_sealed()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER sealed_result_keys")
        for table in COLS:
            sqlite_tables.rebuild(table, f"({COLS[table]})")
        return
    for table in SEALED:
        op.execute(f"DROP TRIGGER sealed_{table}_truncate ON {table}")
    op.execute("DROP TRIGGER sealed_result_keys ON result")
    op.execute("DROP TRIGGER result_drawn ON result")
    op.execute("DROP FUNCTION shuangsuiji_result_drawn()")
    op.create_foreign_key("fk_result_drawn", "result", "draw_entity", ["draw_id", "entity_id"],
                          ["draw_id", "entity_id"])

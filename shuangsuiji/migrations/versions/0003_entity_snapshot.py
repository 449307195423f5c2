"""entity snapshot: a columnar copy of the registry for freezing, and the triggers that retire it

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21

A freeze at provincial scale used to read 10 million entity rows through the DBAPI. The
snapshot holds the columns a freeze needs as compressed numpy blocks, rebuilt at the end of
every entity import. Any insert, delete or change of a snapshot column in ``entity``, by the
library or by anyone else, clears ``snapshot_state.snapshot_id`` (on SQLite, inserts are
caught by the row count and highest id the snapshot records), and a freeze that finds no
current snapshot rebuilds it from the table: a stale snapshot is never used. The partial
index serves the "inspected recently" exclusion, which the snapshot does not hold. The index
on ``result.draw_id`` goes: the unique (draw_id, entity_id) key serves the same lookups.
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

WATCHED = ("uscc", "status", "enabled", "risk", "region", "unit_id", "industry", "entity_type", "tags")
CLEAR = "UPDATE snapshot_state SET snapshot_id = NULL WHERE id = 1 AND snapshot_id IS NOT NULL"


def upgrade() -> None:
    op.create_table(
        "entity_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("max_id", sa.Integer(), nullable=False),
        sa.Column("meta", sa.Text(), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "entity_snapshot_part",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["snapshot_id"], ["entity_snapshot.id"]),
        sa.PrimaryKeyConstraint("snapshot_id", "name", "chunk"),
    )
    op.create_table(
        "snapshot_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO snapshot_state (id, snapshot_id) VALUES (1, NULL)")
    op.create_index("ix_entity_last_inspected", "entity", ["last_inspected"],
                    sqlite_where=sa.text("last_inspected IS NOT NULL"),
                    postgresql_where=sa.text("last_inspected IS NOT NULL"))
    # uq_result (draw_id, entity_id) already serves lookups by draw: one index less to fill
    op.drop_index("ix_result_draw_id", table_name="result")
    watched = ", ".join(WATCHED)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite triggers run per row: one on INSERT cost 8 µs a row, a third of a 10-million-row
        # import, so inserts are caught by the snapshot's row count and highest id instead
        # (entities are never deleted: migration 0002)
        guard = "WHEN (SELECT snapshot_id FROM snapshot_state WHERE id = 1) IS NOT NULL"
        for name, event in (("delete", "DELETE"), ("update", f"UPDATE OF {watched}")):
            op.execute(f"CREATE TRIGGER snapshot_stale_{name} AFTER {event} ON entity {guard} "
                       f"BEGIN {CLEAR}; END")
        return
    op.execute(f"""CREATE FUNCTION shuangsuiji_snapshot_stale() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {CLEAR};
            RETURN NULL;
        END $$""")
    op.execute("CREATE TRIGGER snapshot_stale AFTER INSERT OR DELETE OR UPDATE OF "
               f"{watched} ON entity FOR EACH STATEMENT EXECUTE FUNCTION shuangsuiji_snapshot_stale()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS snapshot_stale_{name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS snapshot_stale ON entity")
        op.execute("DROP FUNCTION IF EXISTS shuangsuiji_snapshot_stale()")
    op.drop_index("ix_entity_last_inspected", table_name="entity")
    op.create_index("ix_result_draw_id", "result", ["draw_id"])
    op.drop_table("snapshot_state")
    op.drop_table("entity_snapshot_part")
    op.drop_table("entity_snapshot")

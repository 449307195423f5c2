"""history lookups: the freeze's history exclusions read indexes only

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22

A freeze excludes the entities inspected within the task's window: those whose registry
row says so (``entity.last_inspected``) and those with an inspection in the window.

- ``inspection``: the window was a scan of the whole table, which grows by every published
  task (half a million rows each at provincial scale).  The new index on
  ``(inspected_on, entity_id)`` answers it, and the annual cap's count, from the index.  The
  index on ``entity_id`` alone goes: the one on ``(entity_id, inspected_on)`` already leads
  with it, so no lookup loses, and each inspection written keeps one index up to date fewer.
- PostgreSQL: the partial index on ``entity.last_inspected`` now carries the entity id
  (``INCLUDE``), so the exclusion reads the index only instead of visiting a heap page per
  match (10 million entities, 139,263 matches: 450 ms → 15 ms after ``VACUUM``).  SQLite's
  index already holds the id (the rowid).
"""
from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

WHERE = "last_inspected IS NOT NULL"


def upgrade() -> None:
    op.drop_index("ix_inspection_entity_id", table_name="inspection")
    op.create_index("ix_inspection_date", "inspection", ["inspected_on", "entity_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_entity_last_inspected", table_name="entity")
        op.execute(f"CREATE INDEX ix_entity_last_inspected ON entity (last_inspected) INCLUDE (id) WHERE {WHERE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_entity_last_inspected", table_name="entity")
        op.execute(f"CREATE INDEX ix_entity_last_inspected ON entity (last_inspected) WHERE {WHERE}")
    op.drop_index("ix_inspection_date", table_name="inspection")
    op.create_index("ix_inspection_entity_id", "inspection", ["entity_id"])

"""PostgreSQL stores the compressed blocks as written

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21

Frozen populations, exclusions, snapshot parts and assignment inputs are already zstd or zlib
blocks (:mod:`shuangsuiji.packing`).  PostgreSQL's default storage of ``bytea`` tries its own
compression on every value before it gives up and stores it out of line: a provincial
freeze's 81 MB of strata took 0.89 s to insert, 0.55-0.63 s with ``STORAGE EXTERNAL``
(out of line, uncompressed).  Only new values are affected; old ones read as before.
SQLite has no such setting.
"""
from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BLOBS = {"task_stratum": ("members", "member_ids", "member_units"), "task_exclusion": ("members",),
         "entity_snapshot_part": ("data",), "draw": ("assign_input",)}


def _storage(kind: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in BLOBS.items():
        op.execute(f"ALTER TABLE {table} " + ", ".join(f"ALTER COLUMN {c} SET STORAGE {kind}" for c in columns))


def upgrade() -> None:
    _storage("EXTERNAL")


def downgrade() -> None:
    _storage("EXTENDED")

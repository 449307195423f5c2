"""draw_team: drop the index on inspector_id

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21

Every read of ``draw_team`` goes by draw (the primary key's first column). The index on
``inspector_id`` served no query, and keeping it up to date was most of a provincial draw's
write time: a million team rows land on random officers (measured on SQLite: 1.05 million
rows, 5.7 s with the index and 1.9 s without).
"""
from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_draw_team_inspector_id", table_name="draw_team")


def downgrade() -> None:
    op.create_index("ix_draw_team_inspector_id", "draw_team", ["inspector_id"])

"""task_stratum: each frozen member's supervising unit

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21

A freeze now records, beside each member's entity id, the unit (管辖单位) the registry gave
it that day, so the draw takes the drawn entities' units from the frozen population instead
of reading half a million rows of a 10-million-row entity table (measured on SQLite at
479,033 drawn entities: about 1.2-1.5 s). Tasks frozen before this migration have NULL here
and their draws still read the units from the entity table.

A plain ADD COLUMN on both databases: SQLite keeps the table, so its sealed-row triggers stay.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("task_stratum", sa.Column("member_units", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # DROP COLUMN works in place on SQLite 3.35+ and leaves the triggers alone
        op.execute("ALTER TABLE task_stratum DROP COLUMN member_units")
    else:
        op.drop_column("task_stratum", "member_units")

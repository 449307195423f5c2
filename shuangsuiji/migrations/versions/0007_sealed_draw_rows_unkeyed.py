"""draw_entity and draw_team: no per-row foreign keys

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21

Both tables hold sealed, append-only rows that only a draw writes, from one frozen population
and one officer list, in the draw's own transaction.  Their parents cannot be deleted
(triggers of 0002 on entity, inspector, draw and draw_entity) and the rows themselves can be
neither changed nor deleted.  What a key would still catch, a row added or edited by hand, is
caught by ``audit``: it rebuilds every draw from these rows and compares it with the seal
(a team seat of an entity outside the draw, or a drawn row of no draw, is reported).

The keys cost a provincial draw (523,568 entities, 1,047,136 seats) 2.3 s on SQLite and 16 s
on PostgreSQL, where every row's check locks its parent row (``FOR KEY SHARE``):
draw_entity 7.96 s → 0.92 s, draw_team 10.74 s → 1.85 s.  ``result`` keeps its key to
draw_entity: its rows stay writable (entry and review) and the seal does not cover them
before publication.

SQLite cannot drop a constraint, so both tables are rebuilt (data, indexes and triggers kept).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shuangsuiji.migrations import sqlite_tables

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLS = sqlite_tables.DRAW_COLUMNS
KEYS = {
    "draw_entity": [("draw_entity_draw_id_fkey", ["draw_id"], "draw", ["id"]),
                    ("draw_entity_entity_id_fkey", ["entity_id"], "entity", ["id"])],
    "draw_team": [("fk_draw_team_drawn", ["draw_id", "entity_id"], "draw_entity", ["draw_id", "entity_id"]),
                  ("draw_team_inspector_id_fkey", ["inspector_id"], "inspector", ["id"])],
}
ORDER = ("draw_team", "draw_entity")


def _sqlite_rebuild(table: str, keys: list[tuple[str, list[str], str, list[str]]]) -> None:
    clauses = "".join(f", CONSTRAINT {name} FOREIGN KEY({', '.join(cols)}) REFERENCES {target} ({', '.join(tcols)})"
                      for name, cols, target, tcols in keys)
    sqlite_tables.rebuild(table, f"({COLS[table]}{clauses})")


def upgrade() -> None:
    for table in ORDER:
        if op.get_bind().dialect.name == "sqlite":
            _sqlite_rebuild(table, [])
        else:
            for fk in sa.inspect(op.get_bind()).get_foreign_keys(table):
                op.drop_constraint(fk["name"], table, type_="foreignkey")


def downgrade() -> None:
    for table in reversed(ORDER):
        if op.get_bind().dialect.name == "sqlite":
            _sqlite_rebuild(table, KEYS[table])
        else:
            for name, cols, target, tcols in KEYS[table]:
                op.create_foreign_key(name, table, target, cols, tcols)

"""Rebuilding a SQLite table in a migration, for what ``ALTER TABLE`` cannot change there
(a constraint, ``WITHOUT ROWID``): the rows, indexes and triggers come through unchanged."""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# draw_entity and draw_team as 0001 created them (0007 and 0008 rebuild them around these)
DRAW_COLUMNS = {
    "draw_entity": ("draw_id INTEGER NOT NULL, entity_id INTEGER NOT NULL, stratum INTEGER NOT NULL, "
                    "rank INTEGER NOT NULL, ticket VARCHAR(16) NOT NULL, PRIMARY KEY (draw_id, entity_id)"),
    "draw_team": ("draw_id INTEGER NOT NULL, entity_id INTEGER NOT NULL, seat INTEGER NOT NULL, "
                  "inspector_id INTEGER NOT NULL, role VARCHAR(10) NOT NULL, PRIMARY KEY (draw_id, entity_id, seat)"),
}


def rebuild(table: str, definition: str) -> None:
    """Copy out, drop, ``CREATE TABLE table (definition)``, copy back, then the table's indexes
    and triggers.  Key checks are deferred to the commit: other tables may point at this one
    while it is rebuilt."""
    bind = op.get_bind()
    extras = [r[0] for r in bind.execute(sa.text(
        "SELECT sql FROM sqlite_master WHERE tbl_name = :t AND type IN ('index', 'trigger') AND sql IS NOT NULL "
        "ORDER BY type, name"), {"t": table})]
    op.execute("PRAGMA defer_foreign_keys = ON")
    op.execute(f"CREATE TEMP TABLE _copy_{table} AS SELECT * FROM {table}")
    op.execute(f"DROP TABLE {table}")
    op.execute(f"CREATE TABLE {table} {definition}")
    op.execute(f"INSERT INTO {table} SELECT * FROM _copy_{table}")
    op.execute(f"DROP TABLE _copy_{table}")
    for sql in extras:
        op.execute(sql)

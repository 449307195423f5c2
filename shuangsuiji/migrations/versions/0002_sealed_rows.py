"""sealed rows: the database itself refuses to change or delete sealed records

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

Draws, their strata, entities and teams, frozen populations and exclusions, ledger entries,
result events and registry change logs are append-only; a draw may only be marked superseded
(``current``); a frozen task's definition and commitment cannot change; results, entities
and inspectors are never deleted.  A determined administrator can drop these triggers — that
is what ``shuangsuiji audit`` and ``verify`` are for — but no application bug or casual SQL
can silently rewrite a sealed draw.
"""
from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

APPEND_ONLY = ("draw_stratum", "draw_entity", "draw_team", "task_stratum", "task_exclusion", "bundle",
               "result_event", "registry_change")
NO_DELETE = ("result", "entity", "inspector", "plan")
DRAW_SEALED = ("task_id", "round_no", "public_value", "source", "seed", "reason", "algorithm", "drawn", "as_of",
               "assign_input", "seal", "created_at", "created_by")
TASK_SEALED = ("task_no", "plan_id", "department_id", "spec", "commitment", "commit_object", "frozen_at")


def _msg(table: str) -> str:
    return f"shuangsuiji: sealed rows of {table} cannot be changed or deleted"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for t in APPEND_ONLY:
            for ev in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER sealed_{t}_{ev.lower()} BEFORE {ev} ON {t} "
                           f"BEGIN SELECT RAISE(ABORT, '{_msg(t)}'); END")
        for t in NO_DELETE:
            op.execute(f"CREATE TRIGGER sealed_{t}_delete BEFORE DELETE ON {t} BEGIN SELECT RAISE(ABORT, '{_msg(t)}'); END")
        op.execute(f"CREATE TRIGGER sealed_draw_update BEFORE UPDATE OF {', '.join(DRAW_SEALED)} ON draw "
                   f"BEGIN SELECT RAISE(ABORT, '{_msg('draw')}'); END")
        op.execute(f"CREATE TRIGGER sealed_draw_delete BEFORE DELETE ON draw BEGIN SELECT RAISE(ABORT, '{_msg('draw')}'); END")
        op.execute(f"CREATE TRIGGER sealed_task_update BEFORE UPDATE OF {', '.join(TASK_SEALED)} ON task "
                   f"WHEN OLD.commitment IS NOT NULL BEGIN SELECT RAISE(ABORT, '{_msg('task')}'); END")
        op.execute(f"CREATE TRIGGER sealed_task_delete BEFORE DELETE ON task WHEN OLD.state <> 'draft' "
                   f"BEGIN SELECT RAISE(ABORT, '{_msg('task')}'); END")
        return
    op.execute("""CREATE FUNCTION shuangsuiji_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'shuangsuiji: sealed rows of % cannot be changed or deleted', TG_TABLE_NAME;
        END $$""")
    for t in APPEND_ONLY:
        op.execute(f"CREATE TRIGGER sealed_{t} BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION shuangsuiji_sealed()")
    for t in NO_DELETE:
        op.execute(f"CREATE TRIGGER sealed_{t}_delete BEFORE DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION shuangsuiji_sealed()")
    op.execute(f"CREATE TRIGGER sealed_draw_update BEFORE UPDATE OF {', '.join(DRAW_SEALED)} ON draw "
               "FOR EACH ROW EXECUTE FUNCTION shuangsuiji_sealed()")
    op.execute("CREATE TRIGGER sealed_draw_delete BEFORE DELETE ON draw FOR EACH ROW EXECUTE FUNCTION shuangsuiji_sealed()")
    op.execute(f"CREATE TRIGGER sealed_task_update BEFORE UPDATE OF {', '.join(TASK_SEALED)} ON task "
               "FOR EACH ROW WHEN (OLD.commitment IS NOT NULL) EXECUTE FUNCTION shuangsuiji_sealed()")
    op.execute("CREATE TRIGGER sealed_task_delete BEFORE DELETE ON task FOR EACH ROW WHEN (OLD.state <> 'draft') "
               "EXECUTE FUNCTION shuangsuiji_sealed()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        names = [f"sealed_{t}_{ev}" for t in APPEND_ONLY for ev in ("update", "delete")]
        names += [f"sealed_{t}_delete" for t in NO_DELETE]
        names += ["sealed_draw_update", "sealed_draw_delete", "sealed_task_update", "sealed_task_delete"]
        for n in names:
            op.execute(f"DROP TRIGGER IF EXISTS {n}")
        return
    for t in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS sealed_{t} ON {t}")
    for t in NO_DELETE:
        op.execute(f"DROP TRIGGER IF EXISTS sealed_{t}_delete ON {t}")
    for n, t in (("sealed_draw_update", "draw"), ("sealed_draw_delete", "draw"), ("sealed_task_update", "task"),
                 ("sealed_task_delete", "task")):
        op.execute(f"DROP TRIGGER IF EXISTS {n} ON {t}")
    op.execute("DROP FUNCTION IF EXISTS shuangsuiji_sealed()")

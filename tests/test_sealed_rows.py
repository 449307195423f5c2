"""The database itself refuses to rewrite sealed records (migration 0002)."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
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
    "DELETE FROM bundle",
    "UPDATE task_stratum SET digest = 'x'",
    "DELETE FROM result_event",
    "DELETE FROM entity",
    "DELETE FROM inspector",
]


def test_sealed_rows_cannot_be_changed(db_url: str, tmp_path: Path) -> None:
    demo.run(tmp_path / "out", entities=400, seed="sealed", db_url=db_url)
    store = Store(db_url)
    try:
        for sql in ATTACKS:
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
    from alembic import command

    store = Store(db_url)
    try:
        assert store.init() == "0004"
        cfg = store._alembic_config()
        with store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0001")
        assert store.revision() == "0001"
        assert store.init() == "0004"
    finally:
        store.close()

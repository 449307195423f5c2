from __future__ import annotations

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

from shuangsuiji.errors import StateError
from shuangsuiji.models import Department, Inspector
from shuangsuiji.store import Store, resolve_url


def test_init_creates_schema_at_head(db_url: str) -> None:
    store = Store(db_url)
    with pytest.raises(StateError):
        store.require_schema()
    rev = store.init()
    assert rev == store.head()
    store.require_schema()
    assert store.init() == rev  # idempotent upgrade
    store.close()


def test_foreign_keys_enforced(store: Store) -> None:
    with pytest.raises(IntegrityError):
        with store.atomic() as conn:
            conn.execute(insert(Inspector.__table__).values(
                cert_no="X1", name="n", department_id=999, status="on_duty", qualifications="",
                expert=False, row_hash=""))


def test_atomic_nesting_rolls_back_inner_only(store: Store) -> None:
    dept = Department.__table__
    with store.atomic() as conn:
        conn.execute(insert(dept).values(name="outer", cross_unit=True, rotation_days=365))
        with pytest.raises(RuntimeError):
            with store.atomic() as inner:
                inner.execute(insert(dept).values(name="inner", cross_unit=True, rotation_days=365))
                raise RuntimeError("boom")
    names = store.read().execute(select(dept.c.name)).scalars().all()
    store.read().rollback()
    assert names == ["outer"]


def test_outer_failure_leaves_nothing(store: Store) -> None:
    dept = Department.__table__
    with pytest.raises(RuntimeError):
        with store.atomic() as conn:
            conn.execute(insert(dept).values(name="a", cross_unit=True, rotation_days=365))
            with store.atomic() as inner:
                inner.execute(insert(dept).values(name="b", cross_unit=True, rotation_days=365))
            raise RuntimeError("boom")
    assert store.read().execute(text("SELECT count(*) FROM department")).scalar() == 0


def test_resolve_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHUANGSUIJI_DB", raising=False)
    assert resolve_url(None) == "sqlite:///shuangsuiji.db"
    monkeypatch.setenv("SHUANGSUIJI_DB", "sqlite:///x.db")
    assert resolve_url(None) == "sqlite:///x.db"
    assert resolve_url("sqlite:///y.db") == "sqlite:///y.db"

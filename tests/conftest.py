"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``SHUANGSUIJI_TEST_PG_URL`` (``scripts/test.sh`` starts a throwaway
cluster); without it the PostgreSQL half is skipped and the skip is reported — except under
CI, where a missing server is a failure.  Each test gets its own SQLite file or its own
PostgreSQL schema.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from shuangsuiji.store import Store

PG_URL = os.environ.get("SHUANGSUIJI_TEST_PG_URL")
BACKENDS = ("sqlite", "postgresql")


def pg_available() -> bool:
    return bool(PG_URL)


def _pg_base() -> str:
    assert PG_URL
    url = PG_URL
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


@contextmanager
def fresh_url(backend: str, tmp: Path) -> Iterator[str]:
    """A URL of a brand-new, empty database of the given backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp / ('t-' + uuid.uuid4().hex[:8] + '.db')}"
        return
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("SHUANGSUIJI_TEST_PG_URL is not set under CI: the PostgreSQL half cannot be skipped")
        pytest.skip("PostgreSQL half skipped: no SHUANGSUIJI_TEST_PG_URL given")
    schema = "t_" + uuid.uuid4().hex[:12]
    base = _pg_base()
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options={quote('-csearch_path=' + schema)}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


@contextmanager
def fresh_store(backend: str, tmp: Path, init: bool = True) -> Iterator[Store]:
    with fresh_url(backend, tmp) as url:
        store = Store(url)
        try:
            if init:
                store.init()
            yield store
        finally:
            store.close()


@pytest.fixture(autouse=True)
def _chinese_by_default(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Messages are Chinese unless a test asks otherwise, whatever the machine's locale,
    and no test leaves its language behind for the next one."""
    from shuangsuiji import i18n

    monkeypatch.setenv("SHUANGSUIJI_LANG", "zh")
    i18n.set_language(None)
    yield
    i18n.set_language(None)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    with fresh_url(backend, tmp_path) as url:
        yield url


@pytest.fixture
def store(backend: str, tmp_path: Path) -> Iterator[Store]:
    with fresh_store(backend, tmp_path) as s:
        yield s

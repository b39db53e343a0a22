"""Shared fixtures: stores of every kind, SQLite and PostgreSQL URLs.

PostgreSQL tests need the server at ``127.0.0.1:5432`` (database ``test``, user ``postgres``,
trust auth; override with ``TUNELAB_TEST_POSTGRES_URL``). Without it they are skipped with the
reason, except when ``CI=true``: there they run and fail. Each PostgreSQL test works in a schema
of its own (``search_path`` set in the URL) that is dropped afterwards, so tests can share the
database with anything else.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tunelab.storage.base import Storage

POSTGRES_URL = os.environ.get("TUNELAB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@functools.cache
def _postgres_problem() -> str | None:
    """None if the server answers, else why not."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install 'tunelab[postgres]')"
    try:
        with psycopg.connect(_libpq(POSTGRES_URL), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as err:  # any failure to connect is a reason to skip
        return f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else err!r}"
    return None


def require_postgres() -> None:
    """Skip (or fail when CI=true) unless the PostgreSQL test server answers."""
    problem = _postgres_problem()
    if problem is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true requires PostgreSQL at {POSTGRES_URL}, but it cannot be reached: {problem}")
    pytest.skip(f"PostgreSQL at {POSTGRES_URL} is not reachable ({problem}); CI=true makes this a failure")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose ``search_path`` is a fresh schema, dropped after the test."""
    require_postgres()
    import psycopg

    schema = f"tl_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(POSTGRES_URL), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    with psycopg.connect(_libpq(POSTGRES_URL), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite URL in a folder that does not exist yet (the store must create it)."""
    return f"sqlite:///{tmp_path / 'stores' / 'tunelab.db'}"


_SQL_KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=_SQL_KINDS)
def storage_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty SQL store: SQLite, then PostgreSQL."""
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url"))


@pytest.fixture(params=["memory", *_SQL_KINDS])
def storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    """An empty store of each kind: in memory, SQLite, PostgreSQL."""
    if request.param == "memory":
        from tunelab.storage.memory import InMemoryStorage

        store: Storage = InMemoryStorage()
    else:
        from tunelab.storage.sql import SQLStorage

        url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
        store = SQLStorage(url)
    yield store
    store.close()

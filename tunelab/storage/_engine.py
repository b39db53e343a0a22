"""Engines for the SQL store: URL normalisation, SQLite settings and its ``BEGIN IMMEDIATE`` hook.

pysqlite's own transaction handling is switched off on every new connection
(``isolation_level = None``) and the ``begin`` event emits the BEGIN itself: ``BEGIN
IMMEDIATE`` on the write engine (execution option ``tunelab_write``), a plain deferred
``BEGIN`` for reads. Every connection gets a 60 s busy timeout, foreign keys and
``synchronous = NORMAL`` (WAL itself is switched on once, after the file was recognised).

Example:
    >>> normalise_url("postgresql://user@db.example/tunelab").drivername
    'postgresql+psycopg'
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from tunelab._imports import require
from tunelab.exceptions import StorageError

__all__ = ["dispose", "make_engine", "normalise_url"]


def normalise_url(url: str | URL) -> URL:
    """Parse ``url``; plain ``postgresql://`` (or ``postgres://``) means psycopg 3, imported lazily.

    Example:
        >>> normalise_url("sqlite:///x.db").get_backend_name()
        'sqlite'
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(
            f"`url` must be a database URL such as 'sqlite:///path/to/tunelab.db' or "
            f"'postgresql://user@host/db', got {url!r}."
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername == "postgresql+psycopg":
        require("psycopg", extra="postgres", feature="the PostgreSQL store")
    return parsed


def dispose(engine: Engine, owner: list[int]) -> None:
    """Close the pool (when the store is collected); a forked child only forgets the parent's sockets.

    Example:
        >>> dispose(create_engine("sqlite://"), [os.getpid()])
    """
    engine.dispose(close=owner[0] == os.getpid())


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # pysqlite emits no BEGIN; _sqlite_on_begin does
    cursor = dbapi_conn.cursor()
    for pragma in ("busy_timeout = 60000", "foreign_keys = ON", "synchronous = NORMAL"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get("tunelab_write", False)
    # straight to the driver: this runs once per transaction, the hot path of every call
    conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")  # type: ignore[union-attr]


def make_engine(url: URL, *, in_memory: bool, engine_kwargs: dict[str, Any]) -> Engine:
    """Create the engine: SQLite with its hooks (one shared connection if in memory), else pre-ping.

    Example:
        >>> engine = make_engine(normalise_url("sqlite://"), in_memory=True, engine_kwargs={})
        >>> with engine.connect() as conn:
        ...     conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
        1
    """
    kwargs = dict(engine_kwargs)
    if url.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)
    connect_args = {"timeout": 60.0, **kwargs.pop("connect_args", {})}
    if in_memory:
        kwargs.setdefault("poolclass", StaticPool)
        connect_args["check_same_thread"] = False
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine

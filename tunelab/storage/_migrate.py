"""Opening a SQL store safely: recognise it, create or upgrade its schema, refuse what is not ours.

The order matters, because a refused store must be left byte-for-byte as it was:

1. A SQLite path that exists is checked for the SQLite header before any connection is made.
2. A read-only look at the tables tells apart: an empty database (create), a tunelab store at
   :data:`~tunelab.storage._schema.SCHEMA_HEAD` (the fast path: alembic is not even imported),
   a tunelab store at an older known revision (upgrade), one at an unknown revision (written by
   a newer tunelab: :class:`~tunelab.exceptions.StorageVersionError`), and anything else
   (:class:`~tunelab.exceptions.StorageError`).
3. Only then may the caller switch SQLite to WAL; creation and upgrades run through alembic
   inside one write transaction that holds the database lock (``BEGIN IMMEDIATE`` on SQLite,
   an advisory lock on PostgreSQL), re-checking the revision once the lock is held.

Example:
    >>> from pathlib import Path
    >>> check_sqlite_file(Path("/nonexistent/tunelab.db"))  # a new file is fine
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import insert, inspect, select, text, update

from tunelab.exceptions import StorageError, StorageVersionError
from tunelab.storage._schema import SCHEMA_HEAD, meta

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection

__all__ = [
    "StoreState",
    "check_sqlite_file",
    "classify",
    "inspect_store",
    "migrate",
    "record_opened",
    "tunelab_version",
]

_SQLITE_MAGIC = b"SQLite format 3\x00"
_OUR_TABLES = frozenset({"alembic_version", "meta", "studies", "trials"})
_PG_LOCK_KEY = 0x74756E656C6162  # "tunelab": serialises schema changes across processes


def tunelab_version() -> str:
    """The running tunelab's version (read from the already imported package).

    Example:
        >>> tunelab_version() != ""
        True
    """
    return str(getattr(sys.modules.get("tunelab"), "__version__", "unknown"))


def check_sqlite_file(path: Path) -> None:
    """Raise StorageError if ``path`` holds something other than a SQLite database; never writes.

    Example:
        >>> check_sqlite_file(Path("/nonexistent/x.db")) is None
        True
    """
    if path.is_dir():
        raise StorageError(f"the SQLite store {path} is a folder; give a file path such as {path / 'tunelab.db'}.")
    try:
        with path.open("rb") as handle:
            head = handle.read(len(_SQLITE_MAGIC))
    except FileNotFoundError:
        return
    except OSError as err:
        raise StorageError(f"cannot read the SQLite store {path}: {err.strerror or err}.") from None
    if head and head != _SQLITE_MAGIC:
        raise StorageError(
            f"{path} is not a SQLite database (it starts with {head[:8]!r}); "
            "give tunelab a new file or an existing tunelab store."
        )


@dataclass(frozen=True, slots=True)
class StoreState:
    """What a read-only look at a database found.

    Example:
        >>> StoreState(None, frozenset(), None, None).revision is None
        True
    """

    revision: str | None
    tables: frozenset[str]
    created_with: str | None
    last_opened_with: str | None


def inspect_store(conn: Connection) -> StoreState:
    """Read the table names, the alembic revision and the ``meta`` row, writing nothing.

    Example:
        >>> from sqlalchemy import create_engine
        >>> with create_engine("sqlite://").connect() as conn:
        ...     inspect_store(conn).tables
        frozenset()
    """
    tables = frozenset(inspect(conn).get_table_names())
    revision = created = opened = None
    if "alembic_version" in tables:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if _OUR_TABLES <= tables:
        row = conn.execute(select(meta.c.created_with, meta.c.last_opened_with).where(meta.c.id == 1)).first()
        created, opened = (row[0], row[1]) if row else (None, None)
    return StoreState(revision, tables, created, opened)


def _known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(_config(None)).get_revision(revision) is not None
    except CommandError:
        return False


def classify(state: StoreState, where: str) -> str:
    """Return ``"head"``, ``"create"`` or ``"upgrade"``, or raise for a store tunelab must not touch.

    Example:
        >>> classify(StoreState(None, frozenset(), None, None), "x.db")
        'create'
    """
    if state.revision is None and not state.tables - {"alembic_version"}:
        return "create"  # empty, or taken down to alembic's base
    if not _OUR_TABLES <= state.tables:
        others = sorted(state.tables - {"alembic_version"})
        shown = ", ".join(others[:5]) + (", …" if len(others) > 5 else "")
        raise StorageError(
            f"{where} is a database but not a tunelab store (it holds tables {shown}); "
            "give tunelab a new file or database."
        )
    if state.revision is None:
        raise StorageError(f"{where} has tunelab's tables but no schema revision; it cannot be opened safely.")
    if state.revision == SCHEMA_HEAD:
        return "head"
    if _known_revision(state.revision):
        return "upgrade"
    writer = state.last_opened_with or state.created_with or "a newer version"
    raise StorageVersionError(
        f"{where} was written by tunelab {writer} (schema revision {state.revision!r}), which this "
        f"tunelab {tunelab_version()} cannot read (it knows schemas up to {SCHEMA_HEAD!r}); "
        "upgrade tunelab: pip install -U tunelab"
    )


def _config(conn: Connection | None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    config.attributes["connection"] = conn
    return config


def migrate(conn: Connection, where: str) -> str:
    """Create or upgrade the schema on ``conn``, which must be inside a write transaction.

    Takes the schema lock, re-reads the store (another process may have migrated it while we
    waited), runs ``alembic upgrade head`` when needed and records this tunelab in ``meta``.
    Returns what was done: ``"head"`` (nothing), ``"create"`` or ``"upgrade"``.

    Example:
        >>> from sqlalchemy import create_engine
        >>> with create_engine("sqlite://").begin() as conn:
        ...     migrate(conn, "memory")
        'create'
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    action = classify(inspect_store(conn), where)
    if action != "head":
        from alembic import command

        command.upgrade(_config(conn), "head")
    record_opened(conn, created=action == "create")
    return action


def record_opened(conn: Connection, *, created: bool = False) -> None:
    """Write this tunelab's version into ``meta`` (``created_with`` too for a new store).

    Example:
        >>> from sqlalchemy import create_engine
        >>> with create_engine("sqlite://").begin() as conn:
        ...     _ = migrate(conn, "memory")
        ...     record_opened(conn)
        ...     conn.execute(select(meta.c.schema_version)).scalar() == SCHEMA_HEAD
        True
    """
    version = tunelab_version()
    if created or conn.execute(select(meta.c.id)).first() is None:
        conn.execute(insert(meta).values(id=1, schema_version=SCHEMA_HEAD, created_with=version,
                                         last_opened_with=version))
    else:
        conn.execute(update(meta).values(schema_version=SCHEMA_HEAD, last_opened_with=version))

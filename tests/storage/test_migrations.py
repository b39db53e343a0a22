"""Schema versions: creation, upgrade on open, refusal of newer or foreign stores (left untouched)."""

from __future__ import annotations

import hashlib
import multiprocessing
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine

import tunelab
from tunelab.exceptions import StorageError, StorageVersionError
from tunelab.storage import _migrate
from tunelab.storage._schema import SCHEMA_HEAD, meta, metadata
from tunelab.storage.sql import SQLStorage
from tunelab.trial import TrialState


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def _revision(url: str) -> str | None:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def _file_of(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def test_new_store_is_created_at_head(storage_url: str) -> None:
    store = SQLStorage(storage_url)
    store.close()
    assert _revision(storage_url) == SCHEMA_HEAD
    engine = create_engine(store._url)
    with engine.connect() as conn:
        row = conn.execute(select(meta)).one()
    engine.dispose()
    version = tunelab.__version__
    assert (row.id, row.schema_version, row.created_with, row.last_opened_with) == (1, SCHEMA_HEAD, version, version)


def test_migrations_build_exactly_the_declared_schema(storage_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    store = SQLStorage(storage_url)
    store.close()
    engine = create_engine(store._url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diffs == []


def test_meta_records_the_last_tunelab_that_opened_it(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    first = tunelab.__version__
    SQLStorage(sqlite_url).close()
    monkeypatch.setattr(tunelab, "__version__", "0.2.0")
    SQLStorage(sqlite_url).close()
    with closing(sqlite3.connect(_file_of(sqlite_url))) as conn:
        row = conn.execute("SELECT created_with, last_opened_with FROM meta").fetchone()
    assert row == (first, "0.2.0")


def test_store_taken_down_to_base_is_upgraded_on_open(storage_url: str) -> None:
    from alembic import command

    store = SQLStorage(storage_url)
    store.create_study("old", "minimize")
    store.close()
    engine = create_engine(store._url)
    with engine.begin() as conn:
        command.downgrade(_migrate._config(conn), "base")
        assert _migrate.inspect_store(conn).tables <= {"alembic_version"}
    engine.dispose()
    reopened = SQLStorage(storage_url)
    assert reopened.list_studies() == []
    sid = reopened.create_study("new", "minimize")
    tid, number = reopened.create_trial(sid)
    reopened.finish_trial(tid, TrialState.COMPLETE, 1.0)
    reopened.close()
    assert number == 0 and _revision(storage_url) == SCHEMA_HEAD


def test_known_revisions() -> None:
    state = _migrate.StoreState("0001", frozenset({"alembic_version", "meta", "studies", "trials"}), "0.1", "0.1")
    assert _migrate.classify(state, "x") == "upgrade"
    assert _migrate._known_revision("0001") is True
    assert _migrate._known_revision(SCHEMA_HEAD) is True
    assert _migrate._known_revision("ffff_future") is False


def test_store_at_0001_is_upgraded_on_open_and_keeps_its_data(storage_url: str) -> None:
    from alembic import command

    engine = _engine(storage_url)
    with engine.begin() as conn:  # what tunelab 0.1.0 wrote: schema 0001 and its meta row
        command.upgrade(_migrate._config(conn), "0001")
        conn.execute(meta.insert().values(id=1, schema_version="0001", created_with="0.1.0",
                                          last_opened_with="0.1.0"))
        conn.execute(text("INSERT INTO studies (name, direction, created, next_trial_number) "
                          "VALUES ('old', 'minimize', 0, 1)"))
        conn.execute(text("INSERT INTO trials (study_id, number, state, value) VALUES (1, 0, 'COMPLETE', 2.5)"))
        assert "holdout_looks" not in _migrate.inspect_store(conn).tables
    engine.dispose()
    assert _revision(storage_url) == "0001"
    store = SQLStorage(storage_url)
    assert _revision(storage_url) == SCHEMA_HEAD
    sid = store.get_study_id("old")
    assert [(t.number, t.value) for t in store.get_trials(sid)] == [(0, 2.5)]
    assert store.create_trial(sid)[1] == 1
    store.record_holdout_look({"name": "test-set", "data_fingerprint": "abc", "time": 1.0, "score": 0.9})
    assert store.holdout_looks(name="test-set")[0]["score"] == 0.9
    store.close()
    engine = _engine(storage_url)
    with engine.connect() as conn:
        row = conn.execute(select(meta.c.schema_version, meta.c.created_with)).one()
    engine.dispose()
    assert tuple(row) == (SCHEMA_HEAD, "0.1.0")


def _stamp_future(path: Path) -> None:
    conn = sqlite3.connect(path)
    with conn:  # commits
        conn.execute("UPDATE alembic_version SET version_num = 'ffff_future'")
        conn.execute("UPDATE meta SET created_with = '99.0', last_opened_with = '99.0'")
    conn.close()  # the last connection checkpoints the WAL into the file before it is hashed


def test_newer_store_is_refused_and_left_untouched(sqlite_url: str) -> None:
    store = SQLStorage(sqlite_url)
    store.create_study("future", "minimize")
    store.close()
    path = _file_of(sqlite_url)
    _stamp_future(path)
    before = _sha(path)
    with pytest.raises(StorageVersionError) as info:
        SQLStorage(sqlite_url)
    message = str(info.value)
    assert "tunelab 99.0" in message and "'ffff_future'" in message
    assert "pip install -U tunelab" in message and "\n" not in message
    assert _sha(path) == before
    assert isinstance(info.value, StorageError)


@pytest.mark.postgres
def test_newer_postgres_store_is_refused_unchanged(postgres_url: str) -> None:
    SQLStorage(postgres_url).close()
    engine = _engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
        conn.execute(text("UPDATE meta SET created_with = '99.0', last_opened_with = '99.0'"))
    with pytest.raises(StorageVersionError, match=r"written by tunelab 99\.0"):
        SQLStorage(postgres_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT last_opened_with FROM meta")).scalar() == "99.0"
    engine.dispose()


@pytest.mark.parametrize("content", [b"this is not a database at all\n" * 40, b"x", b"\x00" * 4096])
def test_garbage_file_is_refused_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(content)
    before = _sha(path)
    with pytest.raises(StorageError, match="is not a SQLite database") as info:
        SQLStorage(f"sqlite:///{path}")
    assert "\n" not in str(info.value)
    assert _sha(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["garbage.db"]


def test_foreign_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO users (name) VALUES ('ada')")
    before = _sha(path)
    with pytest.raises(StorageError, match="not a tunelab store .*tables users") as info:
        SQLStorage(f"sqlite:///{path}")
    assert not isinstance(info.value, StorageVersionError)
    assert _sha(path) == before
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_foreign_alembic_database_is_not_mistaken_for_a_newer_store(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('abc123')")
        conn.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY)")
    before = _sha(path)
    with pytest.raises(StorageError, match="tables accounts") as info:
        SQLStorage(f"sqlite:///{path}")
    assert not isinstance(info.value, StorageVersionError)
    assert _sha(path) == before


def test_folder_instead_of_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="is a folder"):
        SQLStorage(f"sqlite:///{tmp_path}")


def test_opening_at_head_does_not_load_alembic(sqlite_url: str) -> None:
    SQLStorage(sqlite_url).close()
    code = (
        "import sys; from tunelab.storage.sql import SQLStorage; "
        f"s = SQLStorage({sqlite_url!r}); s.list_studies(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _open_and_count(url: str, queue: multiprocessing.Queue[object]) -> None:
    try:
        store = SQLStorage(url)
        queue.put(len(store.list_studies()))
        store.close()
    except BaseException as err:  # reported to the parent
        queue.put(repr(err))


def test_parallel_first_open_creates_the_schema_once(storage_url: str) -> None:
    ctx = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[object] = ctx.Queue()
    procs = [ctx.Process(target=_open_and_count, args=(storage_url, queue)) for _ in range(4)]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    assert results == [0, 0, 0, 0]
    assert _revision(storage_url) == SCHEMA_HEAD


def test_store_at_0002_is_upgraded_to_tracking_and_keeps_its_studies(storage_url: str) -> None:
    from alembic import command

    engine = _engine(storage_url)
    with engine.begin() as conn:  # what tunelab wrote before tracking: schema 0002 with a study
        command.upgrade(_migrate._config(conn), "0002")
        conn.execute(meta.insert().values(id=1, schema_version="0002", created_with="0.1.0",
                                          last_opened_with="0.1.0"))
        conn.execute(text("INSERT INTO studies (name, direction, created, next_trial_number) "
                          "VALUES ('kept', 'maximize', 0, 2)"))
        conn.execute(text("INSERT INTO trials (study_id, number, state, value) VALUES (1, 0, 'COMPLETE', 0.5)"))
        conn.execute(text("INSERT INTO trials (study_id, number, state, value) VALUES (1, 1, 'COMPLETE', 0.7)"))
        assert "runs" not in _migrate.inspect_store(conn).tables
    engine.dispose()
    assert _revision(storage_url) == "0002"
    store = SQLStorage(storage_url)
    assert _revision(storage_url) == SCHEMA_HEAD == "0003"
    sid = store.get_study_id("kept")
    assert store.get_study_direction(sid) == "maximize"
    assert [(t.number, t.value) for t in store.get_trials(sid)] == [(0, 0.5), (1, 0.7)]
    rid = store.create_run("after-upgrade", name="r", config={"a": 1})
    store.append_metrics(rid, [(0, 1.0, "loss", 0.25)])
    assert store.get_metrics(rid)["loss"].values.tolist() == [0.25]
    store.close()

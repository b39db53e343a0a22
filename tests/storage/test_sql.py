"""What only the SQL store does: SQLite settings, URLs, persistence, caches, forks, pickling."""

from __future__ import annotations

import math
import multiprocessing
import pickle
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

import tunelab
from tunelab.exceptions import StorageError, StudyNotFoundError
from tunelab.space import Float, Int
from tunelab.storage import SQLStorage, get_storage
from tunelab.trial import TrialState


def _fill(store: SQLStorage, study_id: int, n: int) -> None:
    for i in range(n):
        tid, _ = store.create_trial(study_id)
        store.set_param(tid, "x", Float(0, 1), i / max(n, 1))
        store.set_param(tid, "k", Int(0, 9), i % 10)
        store.finish_trial(tid, TrialState.COMPLETE, float(i))


def test_sqlite_file_settings(sqlite_url: str) -> None:
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    assert not path.parent.exists()
    store = SQLStorage(sqlite_url)
    assert path.is_file()
    with store._engine.connect() as conn:
        pragmas = {name: conn.execute(text(f"PRAGMA {name}")).scalar()
                   for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")}
    assert pragmas == {"journal_mode": "wal", "busy_timeout": 60000, "foreign_keys": 1, "synchronous": 1}
    assert store.shareable is True
    store.close()


def test_writes_use_begin_immediate_and_reads_do_not(sqlite_url: str) -> None:
    store = SQLStorage(sqlite_url)
    sid = store.create_study("s", "minimize")
    seen: list[str] = []
    event.listen(store._engine, "begin", lambda conn: seen.append(
        "write" if conn.get_execution_options().get("tunelab_write") else "read"))
    tid, _ = store.create_trial(sid)
    store.get_trials(sid)
    store.finish_trial(tid, TrialState.COMPLETE, 1.0)
    assert seen == ["write", "read", "write"]
    other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), timeout=0.1, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # no lock is left behind
    other.execute("ROLLBACK")
    other.close()
    store.close()


def test_data_survives_reopening_and_numbers_continue(sqlite_url: str) -> None:
    store = SQLStorage(sqlite_url)
    sid = store.create_study("kept", "maximize")
    _fill(store, sid, 3)
    store.set_study_attr(sid, "note", {"a": [1, 2]})
    store.close()
    again = get_storage(sqlite_url)
    assert isinstance(again, SQLStorage)
    sid2 = again.get_study_id("kept")
    assert [t.value for t in again.get_trials(sid2)] == [0.0, 1.0, 2.0]
    assert again.get_study_attrs(sid2) == {"note": {"a": [1, 2]}}
    assert again.create_trial(sid2)[1] == 3
    assert again.list_studies()[0].best_value == 2.0
    again.close()


def test_paths_are_accepted_by_get_storage(tmp_path: Path) -> None:
    for target in (tmp_path / "a" / "by-path.db", str(tmp_path / "b" / "by-str.db")):
        store = get_storage(target)
        assert isinstance(store, SQLStorage) and Path(target).exists()
        store.close()


def test_default_store_lives_in_tunelab_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNELAB_HOME", str(tmp_path / "home"))
    study = tunelab.create_study(name="default", sampler="random", seed=0)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3, show_progress_bar=False)
    assert (tmp_path / "home" / "tunelab.db").is_file()
    assert len(tunelab.load_study("default").trials) == 3


def test_in_memory_sqlite_works_but_is_not_shareable() -> None:
    store = SQLStorage("sqlite://")
    assert store.shareable is False
    sid = store.create_study("m", "minimize")
    _fill(store, sid, 2)
    assert store.n_trials(sid, states=(TrialState.COMPLETE,)) == 2
    store.close()


@pytest.mark.parametrize("url", ["not a url", "sqlite:::"])
def test_bad_url_is_a_storage_error(url: str) -> None:
    with pytest.raises(StorageError, match="`url` must be a database URL"):
        SQLStorage(url)


def test_postgres_urls_use_psycopg_and_hide_passwords() -> None:
    from tunelab.storage._engine import normalise_url

    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    with pytest.raises(StorageError, match="cannot open the store .*u:\\*\\*\\*@127.0.0.1:1/db"):
        SQLStorage("postgresql://u:secret@127.0.0.1:1/db", engine_kwargs={"connect_args": {"connect_timeout": 2}})


def test_options_are_passed_to_the_base_class(sqlite_url: str) -> None:
    with pytest.raises(ValueError, match="`heartbeat_interval` must be > 0"):
        SQLStorage(sqlite_url, heartbeat_interval=0)
    store = SQLStorage(sqlite_url, heartbeat_interval=2.0)
    assert (store.heartbeat_interval, store.grace_period) == (2.0, 6.0)
    store.close()


def _count_statements(store: SQLStorage) -> list[str]:
    statements: list[str] = []
    event.listen(store._engine, "before_cursor_execute",
                 lambda conn, cursor, stmt, *args: statements.append(stmt))
    return statements


def test_get_trials_fetches_only_trials_not_cached(storage_url: str) -> None:
    store = SQLStorage(storage_url)
    sid = store.create_study("cache", "minimize")
    _fill(store, sid, 30)
    running, _ = store.create_trial(sid)
    statements = _count_statements(store)
    first = store.get_trials(sid)
    assert len(first) == 31 and len(statements) == 5  # ids/states, then rows + 3 child tables
    statements.clear()
    again = store.get_trials(sid, states=(TrialState.COMPLETE,))
    assert again == first[:30] and all(a is b for a, b in zip(again, first[:30], strict=True))
    assert len(statements) == 1  # only ids and states: every finished trial is cached
    statements.clear()
    store.get_trials(sid)
    assert len(statements) == 5 and "IN (" in statements[1]  # the RUNNING trial is read again
    store.close()


def test_cache_sees_changes_made_by_another_store(storage_url: str) -> None:
    mine, theirs = SQLStorage(storage_url), SQLStorage(storage_url)
    sid = mine.create_study("shared", "minimize")
    tid, _ = mine.create_trial(sid)
    assert mine.get_trials(sid)[0].state == TrialState.RUNNING
    theirs.set_param(tid, "x", Float(0, 1), 0.5)
    theirs.finish_trial(tid, TrialState.COMPLETE, 0.5)
    assert [(t.state, t.params) for t in mine.get_trials(sid)] == [(TrialState.COMPLETE, {"x": 0.5})]
    theirs.delete_study(sid)
    with pytest.raises(StudyNotFoundError):
        mine.get_trials(sid)
    mine.close()
    theirs.close()


def test_complete_nan_value_reads_back_as_nan(storage_url: str) -> None:
    store = SQLStorage(storage_url)
    sid = store.create_study("nan", "minimize")
    tid, _ = store.create_trial(sid)
    store.finish_trial(tid, TrialState.COMPLETE, float("nan"))
    value = store.get_trial(tid).value
    assert value is not None and math.isnan(value)
    store.close()


def _child_writes(store: SQLStorage, study_id: int, queue: Any) -> None:
    try:
        store.reopen_after_fork()
        tid, number = store.create_trial(study_id)
        store.finish_trial(tid, TrialState.COMPLETE, 7.0)
        queue.put(number)
    except BaseException as err:  # reported to the parent
        queue.put(repr(err))


def test_forked_child_uses_fresh_connections(storage_url: str) -> None:
    store = SQLStorage(storage_url)
    sid = store.create_study("fork", "minimize")
    _fill(store, sid, 1)  # the parent's pool holds a connection now
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child_writes, args=(store, sid, queue))
    proc.start()
    assert queue.get(timeout=60) == 1
    proc.join(timeout=30)
    _fill(store, sid, 1)  # the parent's connections still work
    assert [t.value for t in store.get_trials(sid)] == [0.0, 7.0, 0.0]
    store.close()


def test_pickled_store_reopens_the_same_database(storage_url: str) -> None:
    store = SQLStorage(storage_url, heartbeat_interval=3.0)
    sid = store.create_study("pickled", "minimize")
    clone = pickle.loads(pickle.dumps(store))
    assert clone.get_study_id("pickled") == sid and clone.heartbeat_interval == 3.0
    clone.close()
    store.close()


def test_repr_and_url_hide_the_password() -> None:
    store = SQLStorage("sqlite://")
    assert repr(store) == "SQLStorage('sqlite://')"
    store.close()


@pytest.mark.slow
def test_per_trial_overhead_is_small(sqlite_url: str) -> None:
    store = SQLStorage(sqlite_url)
    sid = store.create_study("speed", "minimize")
    dists = [Float(0, 1) if i % 2 else Int(0, 100) for i in range(10)]
    start = time.process_time()
    for i in range(200):
        tid, _ = store.create_trial(sid)
        for j, dist in enumerate(dists):
            store.set_param(tid, f"p{j}", dist, 0.5 if j % 2 else 3)
        store.finish_trial(tid, TrialState.COMPLETE, float(i))
    per_trial = (time.process_time() - start) / 200
    assert per_trial < 0.015, f"{per_trial * 1000:.1f} ms of CPU per trial"  # target 5 ms; slack for CI
    start = time.process_time()
    for _ in range(10):
        store.get_trials(sid)
    assert (time.process_time() - start) / 10 < 0.02
    store.close()

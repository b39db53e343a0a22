"""Several processes on one study (SQLite and PostgreSQL), and a worker killed mid-trial."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
import traceback
import uuid
from typing import Any

import pytest

import tunelab
from tunelab.space import Float, Int
from tunelab.storage.sql import SQLStorage
from tunelab.trial import Trial, TrialState

N_PROCS, N_EACH = 8, 25
_CTX = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")


def _value(x: float, n: int) -> float:
    return round(x * 1000) + n * 0.5


def _direct_worker(url: str, name: str, worker: int, queue: Any) -> None:
    try:
        store = SQLStorage(url)
        sid = store.get_study_id(name)
        for i in range(N_EACH):
            tid, number = store.create_trial(sid)
            x = (worker * N_EACH + i) / 1000
            store.set_param(tid, "x", Float(0, 1), x)
            store.set_param(tid, "n", Int(0, 10), worker)
            store.set_intermediate(tid, 0, x)
            store.finish_trial(tid, TrialState.COMPLETE, _value(x, worker))
        store.close()
        queue.put(None)
    except BaseException:  # reported to the parent
        queue.put(traceback.format_exc())


def _optimize_worker(url: str, name: str, worker: int, queue: Any) -> None:
    try:
        study = tunelab.create_study(name=name, storage=url, load_if_exists=True, sampler="random", seed=worker)

        def objective(trial: Trial) -> float:
            return _value(trial.suggest_float("x", 0, 1), trial.suggest_int("n", 0, 10))

        study.optimize(objective, n_trials=N_EACH, show_progress_bar=False)
        queue.put(None)
    except BaseException:  # reported to the parent
        queue.put(traceback.format_exc())


def _run_workers(target: Any, url: str, name: str) -> None:
    queue = _CTX.Queue()
    procs = [_CTX.Process(target=target, args=(url, name, w, queue)) for w in range(N_PROCS)]
    for proc in procs:
        proc.start()
    errors = [queue.get(timeout=240) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    assert [e for e in errors if e is not None] == []
    assert [proc.exitcode for proc in procs] == [0] * N_PROCS


def _check_study(url: str, name: str) -> None:
    store = SQLStorage(url)
    trials = store.get_trials(store.get_study_id(name))
    assert len(trials) == N_PROCS * N_EACH
    assert sorted(t.number for t in trials) == list(range(N_PROCS * N_EACH))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert all(t.value == _value(t.params["x"], t.params["n"]) for t in trials)  # no value lost or mixed
    store.delete_study(store.get_study_id(name))
    store.close()


@pytest.mark.slow
def test_eight_processes_write_one_study_directly(storage_url: str) -> None:
    name = f"direct-{uuid.uuid4().hex[:8]}"
    SQLStorage(storage_url).create_study(name, "minimize")
    _run_workers(_direct_worker, storage_url, name)
    store = SQLStorage(storage_url)
    trials = store.get_trials(store.get_study_id(name))
    store.close()
    per_worker = sorted(t.params["n"] for t in trials)
    assert per_worker == sorted(list(range(N_PROCS)) * N_EACH)
    assert all(t.intermediate_values == {0: t.params["x"]} for t in trials)
    _check_study(storage_url, name)


@pytest.mark.slow
def test_eight_processes_optimize_one_study(storage_url: str) -> None:
    name = f"optimize-{uuid.uuid4().hex[:8]}"
    _run_workers(_optimize_worker, storage_url, name)
    _check_study(storage_url, name)


def _crashing_worker(url: str, name: str, started: Any) -> None:
    study = tunelab.load_study(name, storage=url, sampler="random")

    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 2:
            started.set()
            time.sleep(60)  # killed here
        return x

    study.optimize(objective, n_trials=5, show_progress_bar=False)


def _crash_mid_trial(url: str, name: str) -> None:
    tunelab.create_study(name=name, storage=url)
    started = _CTX.Event()
    proc = _CTX.Process(target=_crashing_worker, args=(url, name, started))
    proc.start()
    assert started.wait(60), "the worker never reached trial 2"
    os.kill(proc.pid or 0, signal.SIGKILL)
    proc.join(timeout=30)
    assert proc.exitcode == -signal.SIGKILL


@pytest.mark.slow
def test_killed_worker_leaves_completed_trials_and_a_failed_one(storage_url: str) -> None:
    name = f"crash-{uuid.uuid4().hex[:8]}"
    _crash_mid_trial(storage_url, name)
    study = tunelab.load_study(name, storage=storage_url)  # marks the dead trial FAIL
    states = [(t.number, t.state) for t in study.trials]
    assert states == [(0, TrialState.COMPLETE), (1, TrialState.COMPLETE), (2, TrialState.FAIL)]
    assert "died" in (study.trials[2].error or "")
    assert "x" in study.trials[2].params
    tunelab.delete_study(name, storage=storage_url)


@pytest.mark.slow
def test_failed_trial_is_retried_with_its_parameters(storage_url: str) -> None:
    name = f"retry-{uuid.uuid4().hex[:8]}"
    _crash_mid_trial(storage_url, name)
    store = SQLStorage(storage_url, failed_trial_callback=tunelab.RetryFailedTrialCallback(max_retry=1))
    study = tunelab.load_study(name, storage=store)
    crashed = study.trials[2]
    assert crashed.state == TrialState.FAIL
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1, show_progress_bar=False)
    retry = study.trials[3]
    assert retry.state == TrialState.COMPLETE
    assert retry.params == crashed.params and retry.value == crashed.params["x"]
    assert retry.system_attrs["retried_from"] == 2
    store.delete_study(store.get_study_id(name))
    store.close()

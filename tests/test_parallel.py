"""`optimize(n_jobs > 1)` on a SQL store: worker processes share the budget and the store."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import tunelab
from tunelab import TrialState


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'parallel.db'}"


def test_processes_run_exactly_n_trials_with_distinct_numbers_and_params(url: str) -> None:
    study = tunelab.create_study(storage=url, sampler="random", seed=3)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=30, n_jobs=3)
    trials = study.trials
    assert sorted(t.number for t in trials) == list(range(30))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    xs = [t.params["x"] for t in trials]
    assert len(set(xs)) == 30  # workers are reseeded: no two propose the same point


def test_trials_run_in_several_processes_at_once(url: str) -> None:
    study = tunelab.create_study(storage=url)

    def objective(trial: tunelab.Trial) -> float:
        trial.set_user_attr("pid", os.getpid())
        time.sleep(0.3)
        return 1.0

    start = time.perf_counter()
    study.optimize(objective, n_trials=4, n_jobs=2)
    elapsed = time.perf_counter() - start
    pids = {t.user_attrs["pid"] for t in study.trials}
    assert len(pids) == 2 and os.getpid() not in pids
    assert elapsed < 4 * 0.3 + 1.0  # overlap happened (a loose bound; timing is not the point)


def test_uncaught_exception_in_a_worker_stops_all_and_propagates(url: str) -> None:
    study = tunelab.create_study(storage=url)

    def objective(trial: tunelab.Trial) -> float:
        if trial.number == 2:
            raise KeyError("missing column")
        time.sleep(0.05)
        return 1.0

    with pytest.raises(KeyError, match="missing column"):
        study.optimize(objective, n_trials=50, n_jobs=2)
    trials = study.trials
    assert len(trials) < 50
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert [t.number for t in failed] == [2] and "KeyError" in (failed[0].error or "")
    assert not [t for t in trials if t.state == TrialState.RUNNING]


def test_stop_in_one_worker_stops_every_worker(url: str) -> None:
    study = tunelab.create_study(storage=url)

    def objective(trial: tunelab.Trial) -> float:
        if trial.number == 3:
            trial.study.stop()
        time.sleep(0.05)
        return 1.0

    study.optimize(objective, n_trials=200, n_jobs=2)
    assert 4 <= len(study.trials) < 20


def test_grid_in_processes_covers_the_grid(url: str) -> None:
    study = tunelab.tune(lambda c: c["a"] * c["b"], {"a": [1, 2, 3], "b": [1, 2]}, sampler="grid",
                         storage=url, n_jobs=2)
    points = {(t.params["a"], t.params["b"]) for t in study.trials}
    assert points == {(a, b) for a in (1, 2, 3) for b in (1, 2)}
    assert len(study.trials) <= 7  # at most one rare duplicate at the very end (documented)

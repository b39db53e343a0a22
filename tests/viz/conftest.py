"""Small real studies shared by the figure tests (in-memory, seeded, fast)."""

from __future__ import annotations

import pytest

import tunelab
from tunelab import TrialPruned


def _quadratic(trial: tunelab.Trial) -> float:
    x = trial.suggest_float("x", -2, 2)
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    return (x - 1) ** 2 + {"a": 0.0, "b": 0.5, "c": 1.0}[kind] + lr


@pytest.fixture(scope="session")
def mixed_study() -> tunelab.Study:
    """20 COMPLETE trials over a Float, a log Float and a Categorical."""
    study = tunelab.create_study(name="mixed", storage=":memory:", sampler="random", seed=0)
    study.optimize(_quadratic, n_trials=20)
    return study


@pytest.fixture(scope="session")
def pruned_study() -> tunelab.Study:
    """Trials that report 5 steps; odd trials are pruned at step 2."""
    study = tunelab.create_study(name="pruned", storage=":memory:", sampler="random", seed=1)

    def objective(trial: tunelab.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        for step in range(5):
            trial.report(x / (step + 1), step)
            if trial.number % 2 and step == 2:
                raise TrialPruned()
        return x / 5

    study.optimize(objective, n_trials=6)
    return study


@pytest.fixture()
def empty_study() -> tunelab.Study:
    return tunelab.create_study(name="empty", storage=":memory:")

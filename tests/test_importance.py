"""fANOVA-style importances: ranking, normalisation, fallback, conditional params, bad input."""

from __future__ import annotations

import numpy as np
import pytest

import tunelab
from tunelab.importance import _MIN_TRIALS_FOR_FOREST, param_importances


def _study(n_trials: int, seed: int = 0) -> tunelab.Study:
    study = tunelab.create_study(name="f", storage=":memory:", sampler="random", seed=seed)

    def objective(t: tunelab.Trial) -> float:
        x1, x2, x3 = (t.suggest_float(n, 0, 1) for n in ("x1", "x2", "x3"))
        return 10 * (x1 - 0.3) ** 2 * 4 + 3.0 * x2 + 0.0 * x3

    study.optimize(objective, n_trials=n_trials)
    return study


def test_strong_weak_and_irrelevant_parameters_are_ranked() -> None:
    result = param_importances(_study(80), n_trees=32)
    assert list(result) == ["x1", "x2", "x3"]
    assert sum(result.values()) == pytest.approx(1.0)
    assert result["x1"] > 0.6
    assert result["x2"] > 3 * result["x3"]
    assert result["x3"] < 0.03
    assert all(v >= 0 for v in result.values())


def test_importances_are_reproducible_for_a_seed_and_params_can_be_chosen() -> None:
    study = _study(40)
    assert param_importances(study, n_trees=8, seed=3) == param_importances(study, n_trees=8, seed=3)
    only = param_importances(study, params=["x3", "x1"], n_trees=8)
    assert list(only) == ["x1", "x3"]
    assert sum(only.values()) == pytest.approx(1.0)


def test_few_trials_use_the_rank_correlation_fallback() -> None:
    study = tunelab.create_study(storage=":memory:")
    rng = np.random.default_rng(0)
    for _ in range(_MIN_TRIALS_FOR_FOREST - 1):
        a, b = rng.random(), rng.random()
        study.enqueue_trial({"a": a, "b": b})
        trial = study.ask()
        trial.suggest_float("a", 0, 1)
        trial.suggest_float("b", 0, 1)
        study.tell(trial, 5 * a)  # monotone in a, independent of b
    result = param_importances(study)
    assert list(result) == ["a", "b"]
    assert result["a"] == pytest.approx(1 / (1 + result["b"] / result["a"]))
    assert result["a"] > 0.6


def test_constant_objective_gives_equal_shares() -> None:
    study = tunelab.create_study(storage=":memory:", seed=0)
    study.optimize(lambda t: 0 * t.suggest_float("a", 0, 1) + 0 * t.suggest_int("b", 1, 3) + 1.0, n_trials=12)
    assert param_importances(study) == {"a": 0.5, "b": 0.5}


def test_conditional_and_categorical_parameters() -> None:
    study = tunelab.create_study(storage=":memory:", sampler="random", seed=2)

    def objective(t: tunelab.Trial) -> float:
        model = t.suggest_categorical("model", ["svm", "tree"])
        noise = t.suggest_float("noise", 0, 1)
        if model == "svm":
            return 5.0 + t.suggest_float("C", 0.1, 10, log=True) * 0.01 + 0.01 * noise
        return float(t.suggest_int("depth", 1, 8)) * 0.01 + 0.01 * noise

    study.optimize(objective, n_trials=40)
    result = param_importances(study, n_trees=16)
    assert set(result) == {"model", "noise", "C", "depth"}
    assert sum(result.values()) == pytest.approx(1.0)
    # the jump of 5 between models is carried by "model" and, through the missing-value
    # sentinel, equally by C and depth (which exist only for one model each): together they
    # explain almost everything, and the small noise term least of all
    assert result["noise"] == min(result.values())
    assert result["model"] + result["C"] + result["depth"] > 0.95


def test_bad_inputs() -> None:
    study = _study(10)
    with pytest.raises(ValueError, match=r"`params` names \['x9'\] which no COMPLETE trial .* \['x1', 'x2', 'x3'\]"):
        param_importances(study, params=["x9"])
    with pytest.raises(ValueError, match="`params` must name at least one parameter"):
        param_importances(study, params=[])
    with pytest.raises(TypeError, match="list of parameter names"):
        param_importances(study, params="x1")
    with pytest.raises(ValueError, match="`n_trees` must be an int >= 1, got 0"):
        param_importances(study, n_trees=0)
    with pytest.raises(TypeError, match="`seed` must be an int"):
        param_importances(study, seed=1.5)  # type: ignore[arg-type]
    empty = tunelab.create_study(name="none", storage=":memory:")
    with pytest.raises(ValueError, match="study 'none' has no COMPLETE trial"):
        param_importances(empty)
    bare = tunelab.create_study(name="bare", storage=":memory:")
    bare.tell(bare.ask(), 1.0)
    with pytest.raises(ValueError, match="no sampled parameter"):
        param_importances(bare)

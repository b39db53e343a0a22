"""Tests of the TPE sampler: it optimises, is reproducible, and handles every kind of space."""

from __future__ import annotations

import numpy as np
import pytest

import tunelab
from benchmarks.functions import FUNCTIONS
from tunelab import Categorical, Float, Int, TrialState
from tunelab.samplers import RandomSampler
from tunelab.samplers.tpe import TPESampler, default_gamma


def _best(sampler, f, n_trials):
    study = tunelab.create_study(storage=":memory:", sampler=sampler)
    study.optimize(f.objective, n_trials=n_trials)
    return f.regret(study.best_value), study


def test_default_gamma_rule():
    assert [default_gamma(n) for n in (1, 10, 11, 100, 250, 10_000)] == [1, 1, 2, 10, 25, 25]


@pytest.mark.parametrize("multivariate", [True, False])
def test_beats_random_on_branin(multivariate):
    f = FUNCTIONS["branin"]
    tpe = [_best(TPESampler(seed=s, multivariate=multivariate), f, 60)[0] for s in range(5)]
    rnd = [_best(RandomSampler(seed=s), f, 60)[0] for s in range(5)]
    assert np.median(tpe) < 0.5 * np.median(rnd)
    assert np.median(tpe) < 0.4


def test_beats_random_on_a_5d_quadratic():
    space = {f"x{i}": Float(-5, 5) for i in range(5)}

    def objective(trial):
        return sum((trial.suggest(n, d) - 1.0) ** 2 for n, d in space.items())

    def best(sampler):
        study = tunelab.create_study(storage=":memory:", sampler=sampler)
        study.optimize(objective, n_trials=60)
        return study.best_value

    tpe = [best(TPESampler(seed=s)) for s in range(3)]
    rnd = [best(RandomSampler(seed=s)) for s in range(3)]
    assert np.median(tpe) < 0.5 * np.median(rnd)


def test_same_seed_same_sequence_and_other_seed_differs():
    f = FUNCTIONS["mixed"]
    runs = [_best(TPESampler(seed=s, n_startup_trials=5), f, 20)[1] for s in (3, 3, 4)]
    params = [[t.params for t in study.trials] for study in runs]
    assert params[0] == params[1]
    assert params[0] != params[2]


def test_mixed_space_values_stay_valid_and_improve():
    f = FUNCTIONS["mixed"]
    regret, study = _best(TPESampler(seed=0, n_startup_trials=8), f, 50)
    for t in study.trials:
        assert all(f.space[name].contains(v) for name, v in t.params.items())
        assert isinstance(t.params["n"], int)
    assert regret < 1.0


def test_conditional_space_models_each_branch_on_its_own_trials():
    def objective(trial):
        kind = trial.suggest_categorical("classifier", ["svm", "rf"])
        if kind == "svm":
            c = trial.suggest_float("C", 1e-3, 1e3, log=True)
            return abs(np.log10(c) - 1.0)
        depth = trial.suggest_int("depth", 1, 32)
        return 1.0 + abs(depth - 20) / 10

    study = tunelab.create_study(storage=":memory:", sampler=TPESampler(seed=1, n_startup_trials=6))
    study.optimize(objective, n_trials=50)
    for t in study.trials:
        expected = {"classifier", "C"} if t.params["classifier"] == "svm" else {"classifier", "depth"}
        assert set(t.params) == expected
    late = study.trials[25:]
    assert sum(t.params["classifier"] == "svm" for t in late) >= 15  # the better branch
    assert study.best_value < 0.2


def test_constant_liar_spreads_concurrent_trials():
    space = {"x": Float(0, 1), "y": Float(0, 1)}
    study = tunelab.create_study(storage=":memory:", sampler=TPESampler(seed=0, n_startup_trials=5))
    study.optimize(
        lambda t: (t.suggest("x", space["x"]) - 0.3) ** 2 + t.suggest("y", space["y"]), n_trials=12
    )
    first, second = study.ask(space), study.ask(space)
    assert first.params != second.params
    frozen = second.freeze()
    history = study.sampler._history(study, frozen)
    assert first.number in [t.number for t in history.bad]
    # without the liar the running trial is ignored
    plain = TPESampler(seed=0, n_startup_trials=5, constant_liar=False)
    assert first.number not in [t.number for t in plain._history(study, frozen).bad]


def test_pruned_trials_count_as_bad():
    study = tunelab.create_study(storage=":memory:", sampler=TPESampler(seed=0, n_startup_trials=3))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    trial.report(0.5, step=0)
    study.tell(trial, state=TrialState.PRUNED)
    nxt = study.ask()
    history = study.sampler._history(study, nxt.freeze())
    assert trial.number in [t.number for t in history.bad]
    assert len(history.good) == 1 and history.n_complete == 5


def _pruned_after_five(sampler, reported):
    """Five completed trials with values 1..5, then one pruned trial that reported ``reported``."""
    study = tunelab.create_study(storage=":memory:", sampler=sampler)
    for value in (1.0, 2.0, 3.0, 4.0, 5.0):
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        study.tell(trial, value)
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    if reported is not None:
        trial.report(reported, step=0)
    study.tell(trial, state=TrialState.PRUNED)
    return study, trial, study.sampler._history(study, study.ask().freeze())


def test_observed_pruned_trials_are_ranked_by_their_last_reported_value():
    study, pruned, history = _pruned_after_five(TPESampler(seed=0, n_startup_trials=3, observe_pruned=True), 0.5)
    assert [t.number for t in history.good] == [pruned.number]  # 0.5 beats every completed value
    assert history.n_complete == 6
    _, pruned, history = _pruned_after_five(TPESampler(seed=0, n_startup_trials=3, observe_pruned=True), 4.5)
    assert pruned.number in [t.number for t in history.bad] and [t.value for t in history.good] == [1.0]


def test_a_pruned_trial_without_a_reported_value_stays_bad_even_when_observed():
    _, pruned, history = _pruned_after_five(TPESampler(seed=0, n_startup_trials=3, observe_pruned=True), None)
    assert pruned.number in [t.number for t in history.bad] and history.n_complete == 5


def test_categorical_only_space_finds_the_best_choice():
    choices = [f"c{i}" for i in range(8)]
    study = tunelab.create_study(storage=":memory:", sampler=TPESampler(seed=2, n_startup_trials=8))
    study.optimize(lambda t: abs(choices.index(t.suggest_categorical("k", choices)) - 5), n_trials=40)
    late = [t.params["k"] for t in study.trials[20:]]
    assert late.count("c5") >= 8
    assert study.best_params == {"k": "c5"}


def test_maximize_direction():
    study = tunelab.create_study(
        storage=":memory:", direction="maximize", sampler=TPESampler(seed=0, n_startup_trials=5)
    )
    study.optimize(lambda t: -((t.suggest_float("x", -10, 10) - 4) ** 2), n_trials=40)
    assert abs(study.best_params["x"] - 4) < 0.5
    late = [t.params["x"] for t in study.trials[20:]]
    assert np.median(np.abs(np.array(late) - 4)) < 3


def test_int_log_step_and_scipy_parameters_are_valid():
    from scipy.stats import loguniform

    space = {
        "n": Int(1, 1000, log=True),
        "s": Float(0, 1, step=0.1),
        "k": Int(0, 10, step=2),
        "lr": loguniform(1e-4, 1e-1),
    }

    def objective(trial):
        p = trial.params
        return abs(np.log10(p["n"]) - 2) + abs(p["s"] - 0.7) + abs(p["k"] - 4) + abs(np.log10(p["lr"]) + 2)

    sampler = TPESampler(seed=0, n_startup_trials=5)
    study = tunelab.create_study(storage=":memory:", sampler=sampler)
    for _ in range(30):
        trial = study.ask(space)
        study.tell(trial, objective(trial))
    dists = study.trials[0].distributions
    for t in study.trials:
        assert all(dists[name].contains(v) for name, v in t.params.items())
    assert study.best_value < 1.5


def test_univariate_mode_and_qmc_startup():
    f = FUNCTIONS["hartmann6"]
    sampler = TPESampler(seed=0, multivariate=False, startup="qmc", n_startup_trials=8)
    regret, study = _best(sampler, f, 30)
    assert regret < 2.0
    first = [t.params["x0"] for t in study.trials[:8]]
    assert len(set(first)) == 8


def test_startup_is_random_and_no_model_before_it():
    sampler = TPESampler(seed=0, n_startup_trials=100)
    study = tunelab.create_study(storage=":memory:", sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10)
    assert sampler.infer_relative_space(study, study.ask().freeze()) == {}


def test_custom_gamma_and_weights_are_used():
    calls = []

    def weights(n):
        calls.append(n)
        return np.ones(n)

    sampler = TPESampler(seed=0, n_startup_trials=4, gamma=lambda n: 2, weights=weights)
    study = tunelab.create_study(storage=":memory:", sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=8)
    assert 2 in calls  # two good trials
    bad = TPESampler(seed=0, n_startup_trials=1, weights=lambda n: -np.ones(n))
    study = tunelab.create_study(storage=":memory:", sampler=bad)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    with pytest.raises(ValueError, match=r"`weights\(1\)` must return 1 finite non-negative numbers"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n_startup_trials": -1}, ValueError, "`n_startup_trials` must be an int >= 0, got -1."),
        ({"n_startup_trials": 2.5}, ValueError, "`n_startup_trials` must be an int >= 0, got 2.5."),
        ({"n_ei_candidates": 0}, ValueError, "`n_ei_candidates` must be an int >= 1, got 0."),
        ({"prior_weight": 0}, ValueError, "`prior_weight` must be a finite number > 0, got 0."),
        ({"prior_weight": float("nan")}, ValueError, "`prior_weight` must be a finite number > 0"),
        ({"gamma": 0.1}, TypeError, "`gamma` must be a callable or None, got 0.1."),
        ({"weights": "linear"}, TypeError, "`weights` must be a callable or None"),
        ({"multivariate": "yes"}, TypeError, "`multivariate` must be True or False, got 'yes'."),
        ({"constant_liar": 1}, TypeError, "`constant_liar` must be True or False, got 1."),
        ({"observe_pruned": "yes"}, TypeError, "`observe_pruned` must be True or False, got 'yes'."),
        ({"startup": "sobol"}, ValueError, "`startup` must be 'random' or 'qmc', got 'sobol'."),
        ({"seed": "0"}, TypeError, "`seed` must be an int or None"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        TPESampler(**kwargs)


def test_sampler_name_resolves_and_pickles():
    import pickle

    sampler = tunelab.samplers.get_sampler("tpe", seed=3)
    assert isinstance(sampler, TPESampler) and sampler.seed == 3
    study = tunelab.create_study(storage=":memory:", sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 0, 3), n_trials=12)
    clone = pickle.loads(pickle.dumps(sampler))
    assert clone._encoded == {} and clone._rows == {} and clone.n_startup_trials == 10
    assert {"x": Float(0, 1), "n": Int(0, 3)} == study.sampler._intersection(study, study.trials)
    assert isinstance(Categorical(["a"]), Categorical)

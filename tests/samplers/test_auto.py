"""Tests of the default sampler: the choice rule, delegation, determinism and what the study records."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import tunelab
from benchmarks.functions import FUNCTIONS
from tests.contracts.sampler_contract import SamplerContract
from tunelab import Categorical, Float, Int
from tunelab.samplers import RandomSampler, get_sampler
from tunelab.samplers.auto import AutoSampler, SpaceSummary, choose_sampler, summarize_space
from tunelab.samplers.gp import GPSampler
from tunelab.samplers.tpe import TPESampler


class TestAutoSamplerContract(SamplerContract):
    def make_sampler(self, seed):
        return AutoSampler(seed=seed)


# -- the rule ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dims", "cats", "conditional", "n", "expected"),
    [
        (2, 0, False, 0, "qmc"),
        (2, 0, False, 9, "qmc"),
        (2, 0, False, 10, "gp"),
        (6, 0, False, 100, "gp"),
        (20, 0, False, 50, "gp"),
        (21, 0, False, 50, "tpe"),  # too many dimensions
        (4, 1, False, 50, "gp"),  # one categorical among floats: GP's categorical kernel
        (4, 3, False, 50, "tpe"),  # more categorical than numeric
        (12, 5, False, 50, "tpe"),  # more than 4 categoricals
        (4, 1, True, 50, "tpe"),  # conditional parameters
        (6, 0, False, 299, "gp"),
        (6, 0, False, 300, "tpe"),  # long run
        (0, 0, False, 50, "tpe"),  # nothing to model jointly
        (3, 0, True, 5, "qmc"),  # start-up comes first
    ],
)
def test_choice_rule(dims, cats, conditional, n, expected):
    assert choose_sampler(SpaceSummary(dims, cats, conditional), n) == expected


@pytest.mark.parametrize(
    ("dims", "cats", "ints", "expected"),
    [
        (4, 0, 3, "tpe"),  # a tree ensemble's space: mostly integers
        (4, 1, 2, "tpe"),  # integers and a categorical outnumber the float
        (4, 1, 1, "gp"),  # two floats, an int and a categorical: as many floats as the rest
        (4, 0, 2, "gp"),
        (3, 0, 3, "tpe"),  # integers only
    ],
)
def test_integer_heavy_spaces_go_to_tpe(dims, cats, ints, expected):
    assert choose_sampler(SpaceSummary(dims, cats, False, n_integer=ints), 50) == expected


def test_choice_rule_thresholds_are_parameters():
    s = SpaceSummary(8, 0, False)
    assert choose_sampler(s, 5, n_startup_trials=3) == "gp"
    assert choose_sampler(s, 50, max_gp_dims=7) == "tpe"
    assert choose_sampler(s, 50, max_gp_trials=50) == "tpe"


def test_summarize_space_sees_conditionals_and_categoricals():
    study = tunelab.create_study(storage=":memory:", sampler="random", seed=0)

    def objective(trial):
        kind = trial.suggest_categorical("kind", ["a", "b"])
        x = trial.suggest_float("x", 0, 1)
        trial.suggest_int("const", 3, 3)  # single-valued: not a dimension
        return x + (trial.suggest_float("c", 0, 1) if kind == "a" else 0.0)

    study.optimize(objective, n_trials=12)
    summary = summarize_space(study.trials)
    assert (summary.n_dims, summary.n_categorical, summary.conditional) == (2, 1, True)
    assert summary.n_continuous == 1 and summary.n_integer == 0


def test_summarize_space_counts_integers_and_stepped_floats():
    study = tunelab.create_study(storage=":memory:", sampler="random", seed=0)
    study.optimize(lambda t: t.suggest_int("n", 1, 9) + t.suggest_float("s", 0, 1, step=0.25)
                   + t.suggest_float("x", 0, 1), n_trials=3)
    summary = summarize_space(study.trials)
    assert (summary.n_integer, summary.n_float, summary.n_discrete) == (2, 1, 2)


# -- on real studies --------------------------------------------------------------------------
def _run(space, n_trials, objective=None, **kwargs):
    study = tunelab.create_study(storage=":memory:", sampler=AutoSampler(seed=0, **kwargs))
    fn = objective or (lambda t: sum(float(hash(str(t.suggest(n, d))) % 7) for n, d in space.items()))
    study.optimize(fn, n_trials=n_trials)
    return study


def _history(study):
    return [(h["trial"], h["sampler"].split("-> ")[1]) for h in study.system_attrs["sampler_history"]]


def test_small_continuous_space_goes_from_qmc_to_gp_and_the_study_records_it():
    study = _run({"x": Float(-2, 2), "y": Float(0, 1)}, 13)
    assert study.sampler.describe() == "AutoSampler(seed=0) -> GPSampler"
    assert study.system_attrs["sampler"] == "AutoSampler(seed=0) -> GPSampler"
    assert _history(study) == [(0, "QMCSampler"), (10, "GPSampler")]
    first_ten = [t.params["x"] for t in study.trials[:10]]
    assert len(set(first_ten)) == 10


def test_conditional_space_goes_to_tpe():
    def objective(trial):
        kind = trial.suggest_categorical("kind", ["svm", "rf"])
        if kind == "svm":
            return trial.suggest_float("C", 1e-3, 1e3, log=True)
        return trial.suggest_int("trees", 10, 100) / 100

    study = _run({}, 14, objective)
    assert _history(study) == [(0, "QMCSampler"), (10, "TPESampler")]
    for t in study.trials:  # a conditional parameter only where its parent choice is active
        assert ("C" in t.params) == (t.params["kind"] == "svm")
        assert ("trees" in t.params) == (t.params["kind"] == "rf")


def test_categorical_heavy_and_high_dimensional_spaces_go_to_tpe():
    cats = {f"c{i}": Categorical(("a", "b", "c")) for i in range(3)} | {"x": Float(0, 1)}
    assert _history(_run(cats, 11))[-1] == (10, "TPESampler")
    wide = {f"x{i}": Float(0, 1) for i in range(6)}
    assert _history(_run(wide, 11, max_gp_dims=5))[-1] == (10, "TPESampler")


def test_pruned_trials_count_toward_the_start_up():
    assert choose_sampler(SpaceSummary(2, 0, False), 3, n_pruned=7) == "gp"
    assert choose_sampler(SpaceSummary(2, 0, False), 3, n_pruned=6) == "qmc"

    def objective(trial):  # a study pruned so hard that only every fourth trial completes
        x = trial.suggest_float("x", 0, 1) + trial.suggest_float("y", 0, 1)
        if trial.number % 4:
            raise tunelab.TrialPruned()
        return x

    study = _run({}, 14, objective)
    assert sum(t.state == tunelab.TrialState.COMPLETE for t in study.trials[:10]) == 3
    assert _history(study) == [(0, "QMCSampler"), (10, "GPSampler")]


def test_long_study_switches_from_gp_to_tpe_and_stays():
    study = _run({"x": Float(0, 1), "n": Int(1, 5)}, 18, n_startup_trials=4, max_gp_trials=8)
    assert _history(study) == [(0, "QMCSampler"), (4, "GPSampler"), (8, "TPESampler")]


@pytest.mark.parametrize(
    ("problem", "standalone"),
    [("branin", GPSampler), ("hartmann6", GPSampler),
     ("mixed", lambda seed: TPESampler(seed=seed, startup="qmc"))],
)
def test_auto_proposes_exactly_what_its_choice_would_alone(problem, standalone):
    # Same start-up design and seeds: AutoSampler in GP mode is GPSampler point for point (and
    # in TPE mode, TPESampler with a QMC start-up), so the benchmark compares choices, not luck.
    f = FUNCTIONS[problem]

    def params(sampler, seed):
        study = tunelab.create_study(storage=":memory:", sampler=sampler, seed=seed)
        study.optimize(f.objective, n_trials=13)
        return [t.params for t in study.trials]

    auto = AutoSampler(seed=3, max_gp_dims=20 if standalone is GPSampler else 2)  # 4-D mixed: TPE
    assert params(auto, 3) == params(standalone(seed=3), 3)


def test_same_seed_same_sequence_other_seed_differs():
    f = FUNCTIONS["mixed"]

    def params(seed):
        study = tunelab.create_study(storage=":memory:", sampler="auto", seed=seed)
        study.optimize(f.objective, n_trials=14)
        return [t.params for t in study.trials]

    assert params(5) == params(5)
    assert params(5) != params(6)


def test_reseed_reaches_every_sub_sampler():
    sampler = AutoSampler(seed=1)
    study = tunelab.create_study(storage=":memory:", sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=11)
    sampler.reseed(9)
    assert sampler.seed == 9
    assert {s.seed for s in sampler._subs.values()} == {9}
    assert set(sampler._subs) == {"qmc", "gp"}
    assert sampler._sub("tpe").seed == 9  # created after the reseed: same seed


def test_default_and_auto_name_resolve_to_auto_sampler_and_it_pickles():
    assert isinstance(get_sampler(None, seed=2), AutoSampler)
    assert get_sampler("AUTO", seed=2).describe() == "AutoSampler(seed=2) -> QMCSampler"
    study = _run({"x": Float(0, 1)}, 11)
    clone = pickle.loads(pickle.dumps(study.sampler))
    assert clone.describe() == study.sampler.describe()


@pytest.mark.parametrize("name", ["auto", "tpe", "gp"])
def test_get_sampler_passes_observe_pruned_to_the_model_based_samplers(name):
    assert get_sampler(name, seed=0, observe_pruned=True).observe_pruned is True
    assert get_sampler(name, seed=0).observe_pruned is False


def test_observe_pruned_reaches_both_models_and_counts_pruned_trials_toward_max_gp_trials():
    sampler = AutoSampler(seed=0, observe_pruned=True, n_startup_trials=4, max_gp_trials=8)
    assert sampler._sub("gp").observe_pruned and sampler._sub("tpe").observe_pruned
    assert sampler.describe() == "AutoSampler(seed=0, observe_pruned=True) -> QMCSampler"

    def objective(trial):  # every other trial is pruned after reporting its value
        value = trial.suggest_float("x", 0, 1) + trial.suggest_float("y", 0, 1)
        if trial.number % 2:
            trial.report(value, step=0)
            raise tunelab.TrialPruned()
        return value

    study = tunelab.create_study(storage=":memory:", sampler=sampler)
    study.optimize(objective, n_trials=12)
    assert _history(study) == [(0, "QMCSampler"), (4, "GPSampler"), (8, "TPESampler")]
    plain = _run({}, 12, objective, n_startup_trials=4, max_gp_trials=8)
    assert _history(plain) == [(0, "QMCSampler"), (4, "GPSampler")]  # only 6 COMPLETE: still the GP


def test_observe_pruned_must_be_a_bool():
    with pytest.raises(TypeError, match="`observe_pruned` must be True or False, got 'yes'"):
        AutoSampler(observe_pruned="yes")


def test_loaded_study_appends_to_the_history():
    store = tunelab.get_storage(":memory:")
    study = tunelab.create_study(name="s", storage=store, sampler="random", seed=0)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    again = tunelab.load_study("s", storage=store, sampler="auto", seed=0)
    again.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert [h["sampler"] for h in again.system_attrs["sampler_history"]] == [
        "RandomSampler(seed=0)", "AutoSampler(seed=0) -> QMCSampler"]
    assert again.system_attrs["sampler_history"][1]["trial"] == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_startup_trials": 0}, "`n_startup_trials` must be an int >= 1, got 0."),
        ({"max_gp_dims": "5"}, "`max_gp_dims` must be an int >= 1, got '5'."),
        ({"max_gp_trials": True}, "`max_gp_trials` must be an int >= 1, got True."),
    ],
)
def test_bad_arguments_are_rejected(kwargs, message):
    with pytest.raises(ValueError) as err:
        AutoSampler(seed=0, **kwargs)
    assert str(err.value) == message


def test_bad_seed_is_rejected():
    with pytest.raises(TypeError, match="`seed` must be an int or None"):
        AutoSampler(seed=1.5)


# -- never worse than random ------------------------------------------------------------------
@pytest.mark.parametrize("problem", ["branin", "hartmann6", "mixed"])
def test_never_worse_than_random_at_fixed_seeds(problem):
    f = FUNCTIONS[problem]
    for seed in range(3):
        best = {}
        for name in ("auto", "random"):
            study = tunelab.create_study(storage=":memory:", sampler=name, seed=seed)
            study.optimize(f.objective, n_trials=40)
            best[name] = f.regret(study.best_value)
        assert best["auto"] <= best["random"], (problem, seed, best)
        assert best["auto"] < 0.5 * best["random"] or best["auto"] < 1e-3


def test_auto_start_up_is_better_spread_than_random():
    """The QMC start-up covers [0, 1]^2 with a smaller largest gap than random draws."""
    def spread(sampler):
        study = tunelab.create_study(storage=":memory:", sampler=sampler)
        study.optimize(lambda t: t.suggest_float("a", 0, 1) + t.suggest_float("b", 0, 1), n_trials=8)
        pts = np.array([[t.params["a"], t.params["b"]] for t in study.trials[1:8]])
        return min(np.linalg.norm(p - q) for i, p in enumerate(pts) for q in pts[i + 1:])

    assert spread(AutoSampler(seed=0)) > spread(RandomSampler(seed=0))


def test_parallel_workers_share_one_auto_sampler():
    """Threads (in-memory store) ask concurrently; every trial is valid and the GP takes over."""
    f = FUNCTIONS["branin"]
    study = tunelab.create_study(storage=":memory:", sampler="auto", seed=0)
    study.optimize(f.objective, n_trials=16, n_jobs=2)
    assert len(study.trials) == 16
    assert all(t.state == tunelab.TrialState.COMPLETE for t in study.trials)
    assert all(f.space["x0"].contains(t.params["x0"]) for t in study.trials)
    assert study.system_attrs["sampler"].endswith("-> GPSampler")
    assert len({(t.params["x0"], t.params["x1"]) for t in study.trials}) == 16

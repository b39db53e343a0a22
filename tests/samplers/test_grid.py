"""GridSampler: exhaustive, each point once, stops the study when done."""

from __future__ import annotations

import itertools
import pickle
from typing import Any

import pytest

import tunelab
from tests.contracts.sampler_contract import SamplerContract
from tunelab import Categorical, Float, Int, TrialState
from tunelab.exceptions import GridExhaustedError, SpaceError
from tunelab.samplers import GridSampler, Sampler, get_sampler
from tunelab.space import Distribution

A = [1, 2, 3]
B = ["w", "x", "y", "z"]


class TestGridSamplerContract(SamplerContract):
    def space(self) -> dict[str, Distribution]:
        return {
            "lr": Categorical((1e-4, 1e-3, 1e-2)),
            "frac": Float(0.0, 1.0, step=0.25),
            "x": Float(-3.0, 3.0, step=1.5),
            "depth": Int(1, 9, step=2),
            "units": Categorical((8, 64, 512)),
            "kind": Categorical(("svm", "rf", None)),
            "C": Categorical((0.1, 10.0)),
            "trees": Int(10, 100, step=90),
        }

    def enqueued(self) -> dict[str, Any]:
        return {"lr": 1e-3, "frac": 0.5, "x": 0.0, "depth": 3, "units": 64, "kind": "rf", "trees": 100}

    def make_sampler(self, seed: int | None) -> Sampler:
        return GridSampler(self.space(), seed=seed, shuffle=True)


def grid_study(sampler: GridSampler, **kwargs: Any) -> tunelab.Study:
    return tunelab.create_study(storage=":memory:", sampler=sampler, **kwargs)


def ab_objective(trial: tunelab.Trial) -> float:
    a = trial.suggest_int("a", 1, 3)
    b = trial.suggest_categorical("b", B)
    return a * 10 + B.index(b)


# -- exhaustion ---------------------------------------------------------------------------------
def test_3x4_grid_runs_exactly_12_trials_and_stops() -> None:
    study = grid_study(GridSampler({"a": A, "b": B}))
    study.optimize(ab_objective, n_trials=None)
    assert len(study.trials) == 12
    visited = [(t.params["a"], t.params["b"]) for t in study.trials]
    assert visited == list(itertools.product(A, B))  # row-major, in the dict's key order
    assert study.sampler.exhausted(study)


def test_a_larger_budget_also_stops_at_the_grid_size() -> None:
    study = grid_study(GridSampler({"a": A, "b": B}))
    study.optimize(ab_objective, n_trials=100)
    assert len(study.trials) == 12
    assert sorted((t.params["a"], t.params["b"]) for t in study.trials) == sorted(itertools.product(A, B))


def test_key_order_decides_the_visiting_order() -> None:
    study = grid_study(GridSampler({"b": B[:2], "a": A[:2]}))
    study.optimize(ab_objective)
    assert [(t.params["b"], t.params["a"]) for t in study.trials] == list(itertools.product(B[:2], A[:2]))


def test_continuing_an_exhausted_study_runs_nothing_and_ask_raises() -> None:
    study = grid_study(GridSampler({"a": [1, 2]}))
    study.optimize(lambda t: t.suggest_categorical("a", [1, 2]))
    study.optimize(lambda t: t.suggest_categorical("a", [1, 2]), n_trials=5)
    assert len(study.trials) == 2
    with pytest.raises(GridExhaustedError, match="has evaluated every point"):
        study.ask()


def test_a_study_resumed_with_a_fresh_sampler_continues_where_it_stopped() -> None:
    store = tunelab.get_storage(":memory:")
    first = tunelab.create_study(name="g", storage=store, sampler=GridSampler({"a": A, "b": B}))
    first.optimize(ab_objective, n_trials=5)
    again = tunelab.load_study("g", storage=store, sampler=GridSampler({"a": A, "b": B}))
    again.optimize(ab_objective)
    visited = [(t.params["a"], t.params["b"]) for t in again.trials]
    assert visited == list(itertools.product(A, B))


def test_tune_with_grid_visits_every_point_once() -> None:
    seen: list[tuple[int, int]] = []

    def fn(config: dict[str, Any]) -> float:
        seen.append((config["a"], config["b"]))
        return config["a"] + config["b"]

    study = tunelab.tune(fn, {"a": [1, 2], "b": [3, 4]}, sampler="grid", storage=":memory:")
    assert seen == [(1, 3), (1, 4), (2, 3), (2, 4)]
    assert len(study.trials) == 4 and study.best_params == {"a": 1, "b": 3}


# -- each point once, in every state ---------------------------------------------------------------
def test_failed_and_pruned_trials_hold_their_points() -> None:
    def objective(trial: tunelab.Trial) -> float:
        a = trial.suggest_int("a", 1, 3)
        b = trial.suggest_categorical("b", B)
        if b == "w":
            raise RuntimeError("boom")
        if b == "x":
            raise tunelab.TrialPruned()
        return float(a)

    study = grid_study(GridSampler({"a": A, "b": B}))
    study.optimize(objective, catch=(RuntimeError,))
    assert len(study.trials) == 12
    states = {(t.params["a"], t.params["b"]): t.state for t in study.trials}
    assert states[(2, "w")] == TrialState.FAIL and states[(2, "x")] == TrialState.PRUNED
    assert states[(2, "y")] == TrialState.COMPLETE


def test_running_trials_hold_their_points_across_processes() -> None:
    store = tunelab.get_storage(":memory:")
    space = {"a": A, "b": B}
    here = tunelab.create_study(name="p", storage=store, sampler=GridSampler(space))
    running = here.ask(space)  # stores its params, stays RUNNING
    # another process: its own Study object and its own sampler over the same store
    there = tunelab.load_study("p", storage=store, sampler=GridSampler(space))
    other = there.ask(space)
    assert running.params == {"a": 1, "b": "w"}
    assert other.params == {"a": 1, "b": "x"}


def test_trials_started_elsewhere_without_params_are_skipped() -> None:
    store = tunelab.get_storage(":memory:")
    space = {"a": [1, 2, 3]}
    here = tunelab.create_study(name="p", storage=store, sampler=GridSampler(space))
    early = here.ask()  # holds a=1 in this process only: nothing stored yet
    there = tunelab.load_study("p", storage=store, sampler=GridSampler(space))
    late = there.ask()
    assert late.suggest_categorical("a", [1, 2, 3]) == 2  # skips the point `early` holds
    assert early.suggest_categorical("a", [1, 2, 3]) == 1
    third = there.ask()
    assert third.suggest_categorical("a", [1, 2, 3]) == 3
    assert there.sampler.exhausted(there) and here.sampler.exhausted(here)


def test_unseen_running_trials_count_towards_exhaustion() -> None:
    store = tunelab.get_storage(":memory:")
    here = tunelab.create_study(name="p", storage=store, sampler=GridSampler({"a": [1, 2]}))
    here.ask()
    there = tunelab.load_study("p", storage=store, sampler=GridSampler({"a": [1, 2]}))
    assert not there.sampler.exhausted(there)
    there.ask()
    assert there.sampler.exhausted(there)
    with pytest.raises(GridExhaustedError):
        there.ask()


def test_threads_share_the_grid_without_repeats() -> None:
    study = grid_study(GridSampler({"a": A, "b": B}))
    study.optimize(ab_objective, n_jobs=2)
    assert sorted((t.params["a"], t.params["b"]) for t in study.trials) == sorted(itertools.product(A, B))


def test_asked_trials_get_distinct_points_before_suggesting() -> None:
    study = grid_study(GridSampler({"a": A, "b": B}))
    trials = [study.ask() for _ in range(3)]  # nothing suggested yet: held in this process
    values = [(t.suggest_int("a", 1, 3), t.suggest_categorical("b", B)) for t in trials]
    assert values == [(1, "w"), (1, "x"), (1, "y")]


def test_enqueued_grid_point_is_not_visited_twice() -> None:
    study = grid_study(GridSampler({"a": A, "b": B}))
    study.enqueue_trial({"a": 3, "b": "z"})
    study.enqueue_trial({"a": 2})  # partial: the first free b for a=2
    study.optimize(ab_objective)
    visited = [(t.params["a"], t.params["b"]) for t in study.trials]
    assert visited[:3] == [(3, "z"), (2, "w"), (1, "w")]
    assert sorted(visited) == sorted(itertools.product(A, B))


def test_numbers_match_across_int_and_float_suggestions() -> None:
    study = grid_study(GridSampler({"a": [1, 2], "b": [0.5, 1]}))
    study.optimize(lambda t: t.suggest_float("a", 0, 3) + t.suggest_float("b", 0, 1))
    assert [(t.params["a"], t.params["b"]) for t in study.trials] == [
        (1.0, 0.5),
        (1.0, 1.0),
        (2.0, 0.5),
        (2.0, 1.0),
    ]


def test_shuffle_is_seeded_and_still_exhaustive() -> None:
    def order(seed: int) -> list[tuple[int, str]]:
        study = grid_study(GridSampler({"a": A, "b": B}, shuffle=True), seed=seed)
        study.optimize(ab_objective)
        return [(t.params["a"], t.params["b"]) for t in study.trials]

    assert order(0) == order(0)
    assert order(0) != order(1)
    assert sorted(order(0)) == sorted(itertools.product(A, B))
    assert order(0) != list(itertools.product(A, B))


# -- errors -------------------------------------------------------------------------------------
def test_parameter_outside_the_grid_fails_the_trial_with_the_reason_stored() -> None:
    def objective(trial: tunelab.Trial) -> float:
        trial.suggest_int("a", 1, 3)
        return trial.suggest_float("lr", 0.0, 1.0)

    study = grid_study(GridSampler({"a": A}))
    with pytest.raises(SpaceError, match="parameter 'lr' is not in the grid"):
        study.optimize(objective)
    (trial,) = study.trials
    assert trial.state == TrialState.FAIL
    assert "parameter 'lr' is not in the grid (grid parameters: 'a')" in (trial.error or "")
    assert "add 'lr' to the grid's search_space" in (trial.error or "")


def test_failing_trials_with_catch_move_on_through_the_grid() -> None:
    study = grid_study(GridSampler({"a": A}))
    study.optimize(lambda t: t.suggest_int("a", 1, 3) + t.suggest_float("lr", 0, 1), catch=(SpaceError,))
    assert len(study.trials) == 3 and all(t.state == TrialState.FAIL for t in study.trials)
    assert [t.params["a"] for t in study.trials] == A


def test_suggested_range_must_contain_the_grid_value() -> None:
    study = grid_study(GridSampler({"a": [1, 5]}))
    trial = study.ask()
    assert trial.suggest_int("a", 0, 2) == 1
    second = study.ask()
    with pytest.raises(SpaceError, match=r"does not contain the grid value 5.*grid values: \[1, 5\]"):
        second.suggest_int("a", 0, 2)


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ({"x": Float(0, 1)}, "`x` cannot be searched by GridSampler.*continuous"),
        ({}, "must name at least one parameter"),
        ({"x": []}, "the grid values of `x` are invalid.*must not be empty"),
        ({"x": [1, 1]}, "must not repeat a value"),
        ({"x": [1, 1.0]}, "must be distinct"),
        ({"x": [object()]}, "must hold only None, bool, int, float or str"),
        ({"x": 3}, "`x` must be a list of values or an Int, Categorical or stepped Float"),
        ({"": [1]}, "parameter names must be non-empty str"),
    ],
)
def test_invalid_grids_are_refused(space: dict[str, Any], message: str) -> None:
    with pytest.raises(SpaceError, match=message):
        GridSampler(space)


def test_other_bad_arguments() -> None:
    with pytest.raises(SpaceError, match="`search_space` must be a dict"):
        GridSampler([("a", [1])])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`shuffle` must be a bool"):
        GridSampler({"a": [1]}, shuffle=1)  # type: ignore[arg-type]
    with pytest.raises(IndexError, match=r"`index` must lie in \[0, 1\]"):
        GridSampler({"a": [1, 2]}).point(2)


def test_get_sampler_grid_needs_a_space() -> None:
    with pytest.raises(SpaceError, match="GridSampler needs a search space: pass one to tunelab.tune"):
        get_sampler("grid")
    with pytest.raises(SpaceError, match="GridSampler needs a search space"):
        tunelab.create_study(storage=":memory:", sampler="grid")
    assert get_sampler("grid", space={"a": [1, 2]}, seed=3).seed == 3


# -- geometry -----------------------------------------------------------------------------------
def test_size_len_points_and_space() -> None:
    sampler = GridSampler({"lr": Float(0.1, 0.3, step=0.1), "n": Int(1, 2), "k": Categorical(("a",))})
    assert sampler.grid_size == len(sampler) == 6
    assert [round(sampler.point(i)["lr"], 10) for i in range(0, 6, 2)] == [0.1, 0.2, 0.3]
    assert sampler.search_space["k"] == Categorical(("a",))
    assert sampler.describe() == "GridSampler(3 x 2 x 1 = 6 points, shuffle=False, seed=None)"


def test_pickled_sampler_keeps_its_order() -> None:
    sampler = GridSampler({"a": A, "b": B}, seed=4, shuffle=True)
    clone = pickle.loads(pickle.dumps(sampler))
    first, second = grid_study(sampler), grid_study(clone)
    first.optimize(ab_objective)
    second.optimize(ab_objective)
    assert [t.params for t in first.trials] == [t.params for t in second.trials]


@pytest.mark.slow
def test_worker_processes_cover_the_grid(tmp_path: Any) -> None:
    study = tunelab.create_study(
        storage=f"sqlite:///{tmp_path / 'grid.db'}", sampler=GridSampler({"a": A, "b": B})
    )
    study.optimize(ab_objective, n_jobs=2)
    visited = [(t.params["a"], t.params["b"]) for t in study.trials]
    assert set(visited) == set(itertools.product(A, B))
    assert len(visited) <= 13  # the last point may, rarely, be given to two workers at once

"""Studies and trials through the public API, on the in-memory store."""

from __future__ import annotations

import pytest

import tunelab
from tunelab import Categorical, Float, Int, TrialPruned, TrialState
from tunelab.exceptions import (
    ConflictingDistributionError,
    DuplicatedStudyError,
    SpaceError,
    StudyNotFoundError,
    TrialFinishedError,
    TunelabWarning,
)


def memory_study(**kwargs: object) -> tunelab.Study:
    return tunelab.create_study(storage=":memory:", **kwargs)  # type: ignore[arg-type]


def test_define_by_run_conditional_space_records_only_used_params() -> None:
    study = memory_study(seed=1)

    def objective(trial: tunelab.Trial) -> float:
        kind = trial.suggest_categorical("kind", ["svm", "rf"])
        if kind == "svm":
            return trial.suggest_float("C", 1e-3, 1e3, log=True)
        return float(trial.suggest_int("depth", 2, 16))

    study.optimize(objective, n_trials=30)
    for t in study.trials:
        expected = {"kind", "C"} if t.params["kind"] == "svm" else {"kind", "depth"}
        assert set(t.params) == expected
        assert t.state == TrialState.COMPLETE
    assert {t.params["kind"] for t in study.trials} == {"svm", "rf"}


def test_best_trial_follows_direction() -> None:
    for direction, expected in (("minimize", 0.0), ("maximize", 4.0)):
        study = memory_study(direction=direction)
        for value in (2.0, 0.0, 4.0):
            study.tell(study.ask(), value)
        assert study.best_value == expected
        assert study.best_trial.value == expected


def test_best_trial_without_complete_trials_is_a_clear_error() -> None:
    study = memory_study()
    with pytest.raises(ValueError, match="no COMPLETE trial yet"):
        _ = study.best_trial


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), None, "0.5", [1.0], True])
def test_unusable_objective_values_mark_the_trial_fail_with_the_reason(bad: object) -> None:
    study = memory_study()
    with pytest.warns(TunelabWarning, match="failed"):
        study.optimize(lambda t: bad, n_trials=1)  # type: ignore[arg-type,return-value]
    (trial,) = study.trials
    assert trial.state == TrialState.FAIL
    assert trial.value is None
    assert trial.error and ("finite number" in trial.error or "NaN and inf" in trial.error)


def test_numpy_scalar_is_a_valid_value() -> None:
    np = pytest.importorskip("numpy")
    study = memory_study()
    study.optimize(lambda t: np.float32(0.25), n_trials=1)
    assert study.best_value == 0.25


def test_exception_without_catch_fails_trial_and_propagates() -> None:
    study = memory_study()

    def objective(trial: tunelab.Trial) -> float:
        trial.suggest_float("x", 0, 1)
        raise RuntimeError("diverged")

    with pytest.raises(RuntimeError, match="diverged"):
        study.optimize(objective, n_trials=5)
    (trial,) = study.trials
    assert trial.state == TrialState.FAIL
    assert "RuntimeError: diverged" in (trial.error or "")
    assert "x" in trial.params


def test_exception_with_catch_keeps_going() -> None:
    study = memory_study()
    calls = []

    def objective(trial: tunelab.Trial) -> float:
        calls.append(trial.number)
        if trial.number % 2 == 0:
            raise ValueError("bad fold")
        return 1.0

    study.optimize(objective, n_trials=4, catch=(ValueError,))
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.COMPLETE] * 2
    with pytest.raises(TypeError, match="`catch` must be an exception class"):
        study.optimize(objective, n_trials=1, catch=("ValueError",))  # type: ignore[arg-type]


def test_pruned_trial_keeps_last_intermediate_value() -> None:
    study = memory_study()

    def objective(trial: tunelab.Trial) -> float:
        for step in range(3):
            trial.report(1.0 / (step + 1), step)
        raise TrialPruned()

    study.optimize(objective, n_trials=1)
    (trial,) = study.trials
    assert trial.state == TrialState.PRUNED
    assert trial.intermediate_values == {0: 1.0, 1: 0.5, 2: pytest.approx(1 / 3)}
    assert trial.value == pytest.approx(1 / 3)


def test_report_validation_and_duplicate_step_warning() -> None:
    trial = memory_study().ask()
    with pytest.raises(TypeError, match="`step` must be an int >= 0"):
        trial.report(1.0, -1)
    with pytest.raises(TypeError, match="`value` must be a real number"):
        trial.report("high", 0)  # type: ignore[arg-type]
    trial.report(1.0, 0)
    with pytest.warns(TunelabWarning, match="already reported step 0"):
        trial.report(2.0, 0)
    assert trial.freeze().intermediate_values == {0: 1.0}


def test_nan_report_prunes() -> None:
    trial = memory_study().ask()
    trial.report(float("nan"), 0)
    assert trial.should_prune()


def test_conflicting_distribution_in_one_study_is_an_error() -> None:
    study = memory_study()
    study.tell(study.ask({"x": Float(0, 1)}), 1.0)
    trial = study.ask()
    with pytest.raises(ConflictingDistributionError, match="'x'"):
        trial.suggest_int("x", 0, 1)
    with pytest.raises(ConflictingDistributionError):
        trial.suggest_float("x", 0, 2)
    same = study.ask()
    assert 0 <= same.suggest_float("x", 0, 1) <= 1


def test_same_name_twice_in_one_trial_returns_the_same_value_or_fails() -> None:
    trial = memory_study().ask()
    first = trial.suggest_float("x", 0, 1)
    assert trial.suggest_float("x", 0, 1) == first
    with pytest.raises(ConflictingDistributionError):
        trial.suggest_categorical("x", ["a"])


def test_suggest_validation_errors_name_the_problem() -> None:
    trial = memory_study().ask()
    with pytest.raises(SpaceError, match="low <= high"):
        trial.suggest_float("a", 5, 1)
    with pytest.raises(SpaceError, match="low > 0"):
        trial.suggest_float("b", 0, 1, log=True)
    with pytest.raises(SpaceError, match="multiple of `step`"):
        trial.suggest_int("c", 0, 10, step=3)
    with pytest.raises(SpaceError, match="must not be empty"):
        trial.suggest_categorical("d", [])
    with pytest.raises(SpaceError, match="duplicates"):
        trial.suggest_categorical("e", ["a", "a"])
    with pytest.raises(SpaceError, match="can be\\s+stored|stored"):
        trial.suggest_categorical("f", [object()])
    assert trial.params == {}


def test_ask_tell_by_number_and_finished_trials_are_immutable() -> None:
    study = memory_study()
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    frozen = study.tell(trial.number, 0.5)
    assert frozen.state == TrialState.COMPLETE and frozen.value == 0.5
    with pytest.raises(TrialFinishedError):
        study.tell(trial, 0.1)
    with pytest.raises(TrialFinishedError):
        trial.suggest_float("y", 0, 1)
    with pytest.raises(ValueError, match="no trial number 7"):
        study.tell(7, 1.0)


def test_tell_explicit_states() -> None:
    study = memory_study()
    assert study.tell(study.ask(), state=TrialState.FAIL, error="oom").error == "oom"
    assert study.tell(study.ask(), state=TrialState.PRUNED).value is None
    with pytest.raises(ValueError, match="`state` must be"):
        study.tell(study.ask(), 1.0, state=TrialState.WAITING)


def test_enqueue_trial_runs_first_with_fixed_params_and_user_attrs() -> None:
    study = memory_study(seed=0)
    study.enqueue_trial({"x": 0.5, "n": 3}, user_attrs={"source": "manual"})
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 1, 5), n_trials=2)
    first = study.trials[0]
    assert first.params == {"x": 0.5, "n": 3}
    assert first.user_attrs == {"source": "manual"}
    assert len(study.trials) == 2


def test_enqueued_value_outside_the_distribution_fails_the_trial() -> None:
    study = memory_study()
    study.enqueue_trial({"x": 7.0})
    with pytest.raises(SpaceError, match="`x` must lie in"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert study.trials[0].state == TrialState.FAIL


def test_ask_with_static_space_and_tune() -> None:
    study = memory_study(seed=3)
    trial = study.ask({"lr": Float(1e-4, 1e-1, log=True), "depth": Int(1, 4), "k": Categorical(["a", "b"])})
    assert set(trial.params) == {"lr", "depth", "k"}
    result = tunelab.tune(lambda c: (c["x"] - 0.3) ** 2, {"x": Float(0, 1)}, n_trials=40,
                          storage=":memory:", seed=0)
    assert len(result.trials) == 40
    assert abs(result.best_params["x"] - 0.3) < 0.1


def test_tune_argument_errors() -> None:
    with pytest.raises(ValueError, match="`n_trials` or `timeout`"):
        tunelab.tune(lambda c: 0.0, {"x": Float(0, 1)}, storage=":memory:")
    with pytest.raises(TypeError, match="unexpected keyword"):
        tunelab.tune(lambda c: 0.0, {"x": Float(0, 1)}, n_trials=1, storage=":memory:", bogus=1)
    with pytest.raises(SpaceError, match="must be a Float"):
        tunelab.tune(lambda c: 0.0, {"x": 3}, n_trials=1, storage=":memory:")


def test_create_load_delete_and_name_errors() -> None:
    store = tunelab.get_storage(":memory:")
    study = tunelab.create_study(name="s", storage=store, direction="maximize")
    study.tell(study.ask(), 1.0)
    with pytest.raises(DuplicatedStudyError, match="load_if_exists=True"):
        tunelab.create_study(name="s", storage=store, direction="maximize")
    again = tunelab.create_study(name="s", storage=store, direction="maximize", load_if_exists=True)
    assert len(again.trials) == 1
    with pytest.raises(ValueError, match="direction 'maximize'"):
        tunelab.create_study(name="s", storage=store, direction="minimize", load_if_exists=True)
    with pytest.raises(ValueError, match="`direction` must be"):
        tunelab.create_study(storage=store, direction="up")  # type: ignore[arg-type]
    assert tunelab.load_study("s", storage=store).best_value == 1.0
    tunelab.delete_study("s", storage=store)
    with pytest.raises(StudyNotFoundError, match="no study named 's'"):
        tunelab.load_study("s", storage=store)


def test_optimize_argument_errors() -> None:
    study = memory_study()
    for kwargs, message in [({"n_trials": -1}, "`n_trials`"), ({"timeout": 0}, "`timeout`"),
                            ({"n_jobs": 0}, "`n_jobs`"), ({"n_trials": 1.5}, "`n_trials`")]:
        with pytest.raises(ValueError, match=message):
            study.optimize(lambda t: 1.0, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="callable"):
        study.optimize(3, n_trials=1)  # type: ignore[arg-type]
    assert study.trials == []


def test_timeout_stop_and_callbacks() -> None:
    study = memory_study()
    seen: list[int] = []

    def callback(study: tunelab.Study, trial: tunelab.FrozenTrial) -> None:
        seen.append(trial.number)
        if trial.number == 2:
            study.stop()

    study.optimize(lambda t: 1.0, n_trials=10, callbacks=[callback])
    assert seen == [0, 1, 2]
    study.optimize(lambda t: 1.0, timeout=0.05)
    assert len(study.trials) > 3


def test_threads_with_memory_storage_run_every_trial_once() -> None:
    study = memory_study(seed=0)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=40, n_jobs=4)
    numbers = [t.number for t in study.trials]
    assert sorted(numbers) == list(range(40))
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_same_seed_same_sequence_different_seed_differs() -> None:
    def run(seed: int) -> list[float]:
        study = memory_study(seed=seed)
        study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 1, 9), n_trials=8)
        return [t.params["x"] for t in study.trials]

    assert run(5) == run(5)
    assert run(5) != run(6)


def test_trials_dataframe_has_params_and_states() -> None:
    study = memory_study(seed=0)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    frame = study.trials_dataframe()
    assert list(frame["number"]) == [0, 1, 2]
    assert set(frame["state"]) == {"COMPLETE"}
    assert frame["params_x"].between(0, 1).all()


def test_user_attrs_must_be_json() -> None:
    study = memory_study()
    trial = study.ask()
    with pytest.raises(TypeError, match="JSON-serialisable"):
        trial.set_user_attr("model", object())
    study.set_user_attr("dataset", "iris")
    assert study.user_attrs == {"dataset": "iris"}


def test_progress_bar_shows_count_and_best_on_request(capsys: pytest.CaptureFixture[str]) -> None:
    study = memory_study(name="bar", seed=0)
    study.optimize(lambda t: t.suggest_int("n", 3, 3) * 1.5, n_trials=5, show_progress_bar=True)
    err = capsys.readouterr().err
    assert "bar" in err and "5/5" in err and "best 4.5" in err
    study.optimize(lambda t: 1.0, n_trials=2)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("pruner", "observed"), [("folds", True), ("median", False), (None, False)])
def test_a_fold_pruner_makes_a_named_sampler_learn_from_pruned_trials(pruner: str | None, observed: bool) -> None:
    study = tunelab.create_study(storage=":memory:", sampler="tpe", pruner=pruner, seed=0)
    assert study.sampler.observe_pruned is observed
    loaded = tunelab.load_study(study.name, storage=study.storage, sampler="gp", pruner=pruner)
    assert loaded.sampler.observe_pruned is observed


def test_a_fold_pruner_leaves_a_sampler_object_as_it_is() -> None:
    from tunelab.samplers.tpe import TPESampler

    study = tunelab.create_study(storage=":memory:", sampler=TPESampler(seed=0), pruner="folds")
    assert study.sampler.observe_pruned is False

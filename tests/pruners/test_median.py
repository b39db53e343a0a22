"""Median and percentile pruners on hand-built histories (tabulated learning curves)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

import tunelab
from tunelab import TrialState
from tunelab.pruners import MedianPruner, NopPruner, PercentilePruner, Pruner, get_pruner

Curve = Sequence[float]


def history(
    curves: Sequence[Curve],
    *,
    direction: str = "minimize",
    state: TrialState = TrialState.COMPLETE,
    study: tunelab.Study | None = None,
) -> tunelab.Study:
    """A study whose finished trials reported ``curves`` (one value per step)."""
    study = study or tunelab.create_study(storage=":memory:", direction=direction)  # type: ignore[arg-type]
    for curve in curves:
        trial = study.ask()
        for step, value in enumerate(curve):
            trial.report(value, step)
        if state == TrialState.COMPLETE:
            study.tell(trial, curve[-1] if math.isfinite(curve[-1]) else 0.0)
        else:
            study.tell(trial, state=state)
    return study


def decide(pruner: Pruner, study: tunelab.Study, curve: Curve, steps: Sequence[int] | None = None) -> bool:
    """Would ``pruner`` stop a RUNNING trial that reported ``curve`` (at ``steps``)?"""
    trial = study.ask()
    for step, value in zip(steps or range(len(curve)), curve, strict=True):
        trial.report(value, step)
    decision = pruner.prune(study, trial.freeze())
    study.tell(trial, state=TrialState.FAIL)  # keep the candidate out of later histories
    return decision


FLAT = [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0], [3.0, 3.0, 3.0]]  # median 2.0 at every step


# -- the rule, both directions --------------------------------------------------------------------
@pytest.mark.parametrize(("value", "pruned"), [(2.5, True), (1.5, False), (2.0, False)])
def test_minimize_prunes_above_the_median(value: float, pruned: bool) -> None:
    study = history(FLAT)
    assert decide(MedianPruner(n_startup_trials=3), study, [value]) is pruned


@pytest.mark.parametrize(("value", "pruned"), [(1.5, True), (2.5, False), (2.0, False)])
def test_maximize_prunes_below_the_median(value: float, pruned: bool) -> None:
    study = history(FLAT, direction="maximize")
    assert decide(MedianPruner(n_startup_trials=3), study, [value]) is pruned


def test_the_median_is_taken_at_the_trials_last_step() -> None:
    study = history([[5.0, 1.0, 0.5], [5.0, 2.0, 0.6], [5.0, 3.0, 0.7]])
    pruner = MedianPruner(n_startup_trials=0)
    assert decide(pruner, study, [4.0]) is False  # step 0: median 5
    assert decide(pruner, study, [4.0, 2.5]) is True  # step 1: median 2
    assert decide(pruner, study, [4.0, 1.5, 0.65]) is True  # step 2: median 0.6 < best 0.65
    assert decide(pruner, study, [4.0, 1.5, 0.55]) is False


def test_best_value_so_far_counts_not_the_latest() -> None:
    study = history(FLAT)
    pruner = MedianPruner(n_startup_trials=0)
    assert decide(pruner, study, [1.0, 5.0]) is False  # minimize: best 1.0 < median 2.0
    max_study = history(FLAT, direction="maximize")
    assert decide(pruner, max_study, [3.0, 0.0]) is False  # maximize: best 3.0 > median 2.0


@pytest.mark.parametrize(
    ("direction", "value", "pruned"),
    [("minimize", 2.5, True), ("minimize", 1.5, False), ("maximize", 3.5, True), ("maximize", 4.5, False)],
)
def test_percentile_keeps_the_best_quarter(direction: str, value: float, pruned: bool) -> None:
    study = history([[v] for v in (1.0, 2.0, 3.0, 4.0, 5.0)], direction=direction)
    # 25th percentile is 2.0 (minimize); maximize compares with the 75th, 4.0
    assert decide(PercentilePruner(25.0, n_startup_trials=0), study, [value]) is pruned


def test_median_is_the_50th_percentile() -> None:
    study = history([[v] for v in (1.0, 2.0, 3.0, 4.0, 5.0)])
    for value in (2.9, 3.0, 3.1):
        assert decide(MedianPruner(n_startup_trials=0), study, [value]) == decide(
            PercentilePruner(50, n_startup_trials=0), study, [value]
        )
    assert decide(MedianPruner(n_startup_trials=0), study, [3.1]) is True


# -- when not to prune --------------------------------------------------------------------------
def test_no_pruning_before_n_startup_trials_completed() -> None:
    study = history(FLAT)
    assert decide(MedianPruner(n_startup_trials=4), study, [100.0]) is False
    history([[2.0]], study=study)
    assert decide(MedianPruner(n_startup_trials=4), study, [100.0]) is True


def test_no_pruning_during_warmup() -> None:
    study = history(FLAT)
    pruner = MedianPruner(n_startup_trials=0, n_warmup_steps=2)
    assert decide(pruner, study, [9.0]) is False
    assert decide(pruner, study, [9.0, 9.0]) is False
    assert decide(pruner, study, [9.0, 9.0, 9.0]) is True


def test_only_the_first_step_of_each_interval_is_checked() -> None:
    study = history([[2.0] * 8, [2.0] * 8, [2.0] * 8])
    pruner = MedianPruner(n_startup_trials=0, n_warmup_steps=1, interval_steps=3)
    checked = [decide(pruner, study, [9.0] * (step + 1)) for step in range(8)]
    # windows start at steps 1, 4, 7 (after warm-up); only those steps are checked
    assert checked == [False, True, False, False, True, False, False, True]


def test_irregular_steps_are_checked_once_per_window() -> None:
    study = history([[2.0] * 10] * 3)
    pruner = MedianPruner(n_startup_trials=0, interval_steps=4)
    assert decide(pruner, study, [9.0], steps=[5]) is True  # first report in window [4, 8)
    assert decide(pruner, study, [9.0, 9.0], steps=[5, 6]) is False  # window already checked
    assert decide(pruner, study, [9.0, 9.0], steps=[5, 9]) is True  # new window [8, 12)


def test_too_few_trials_at_the_step() -> None:
    study = history([[1.0, 1.0], [2.0], [3.0]])  # only one trial reached step 1
    assert decide(MedianPruner(n_startup_trials=0, n_min_trials=2), study, [0.0, 9.0]) is False
    assert decide(MedianPruner(n_startup_trials=0, n_min_trials=1), study, [0.0, 9.0]) is False  # best 0.0
    assert decide(MedianPruner(n_startup_trials=0, n_min_trials=1), study, [9.0, 9.0]) is True


def test_a_step_no_completed_trial_reported_is_not_pruned() -> None:
    study = history(FLAT)
    assert decide(MedianPruner(n_startup_trials=0), study, [9.0], steps=[50]) is False


def test_pruned_failed_and_running_trials_do_not_count() -> None:
    study = history(FLAT)
    history([[100.0, 100.0]] * 5, state=TrialState.PRUNED, study=study)
    history([[-100.0]] * 5, state=TrialState.FAIL, study=study)
    running = study.ask()
    running.report(-100.0, 0)
    pruner = MedianPruner(n_startup_trials=3)
    assert decide(pruner, study, [2.5]) is True
    assert decide(pruner, study, [1.5]) is False
    assert decide(pruner, study, [0.0, 100.0]) is False  # only PRUNED trials reached step 1


def test_nan_values_of_other_trials_are_ignored() -> None:
    study = history([[1.0], [float("nan")], [3.0], [float("nan")]])
    # median over the two finite values (1, 3) is 2
    assert decide(MedianPruner(n_startup_trials=0), study, [2.5]) is True
    assert decide(MedianPruner(n_startup_trials=0), study, [1.5]) is False


def test_nothing_reported_is_never_pruned() -> None:
    study = history(FLAT)
    trial = study.ask()
    assert MedianPruner(n_startup_trials=0).prune(study, trial.freeze()) is False


# -- through optimize ---------------------------------------------------------------------------
CURVES = {
    0: [1.0, 0.8, 0.6, 0.5],
    1: [1.2, 0.9, 0.7, 0.6],
    2: [3.0, 2.9, 2.8, 2.7],
    3: [1.1, 0.7, 0.5, 0.4],
    4: [2.0, 1.9, 1.8, 1.7],
}


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_optimize_prunes_the_bad_learning_curves(direction: str) -> None:
    sign = 1.0 if direction == "minimize" else -1.0

    def objective(trial: tunelab.Trial) -> float:
        curve = CURVES[trial.suggest_int("curve", 0, 4)]
        for step, value in enumerate(curve):
            trial.report(sign * value, step)
            if trial.should_prune():
                raise tunelab.TrialPruned()
        return sign * curve[-1]

    study = tunelab.create_study(
        storage=":memory:", direction=direction, pruner=MedianPruner(n_startup_trials=2)
    )
    for index in CURVES:
        study.enqueue_trial({"curve": index})
    study.optimize(objective, n_trials=len(CURVES))
    states = [t.state for t in study.trials]
    assert states == [
        TrialState.COMPLETE,
        TrialState.COMPLETE,
        TrialState.PRUNED,
        TrialState.COMPLETE,
        TrialState.PRUNED,
    ]
    assert study.trials[2].last_step == 0 and study.trials[4].last_step == 0


def test_create_study_accepts_the_median_name() -> None:
    study = tunelab.create_study(storage=":memory:", pruner="median")
    assert isinstance(study.pruner, MedianPruner) and study.pruner.n_startup_trials == 5


# -- arguments ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_startup_trials": -1}, "`n_startup_trials` must be an int >= 0, got -1."),
        ({"n_startup_trials": 1.5}, "`n_startup_trials` must be an int >= 0, got 1.5."),
        ({"n_warmup_steps": -2}, "`n_warmup_steps` must be an int >= 0, got -2."),
        ({"interval_steps": 0}, "`interval_steps` must be an int >= 1, got 0."),
        ({"n_min_trials": 0}, "`n_min_trials` must be an int >= 1, got 0."),
        ({"n_min_trials": True}, "`n_min_trials` must be an int >= 1, got True."),
    ],
)
def test_invalid_arguments_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as info:
        MedianPruner(**kwargs)  # type: ignore[arg-type]
    assert str(info.value) == message
    with pytest.raises(ValueError, match="must be an int"):
        PercentilePruner(10, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("percentile", [-1, 100.5, float("nan"), "50", None, True])
def test_invalid_percentile_is_refused(percentile: object) -> None:
    with pytest.raises(ValueError, match=r"`percentile` must be a number in \[0, 100\]"):
        PercentilePruner(percentile)  # type: ignore[arg-type]


def test_get_pruner_resolves_names_and_objects() -> None:
    assert isinstance(get_pruner(None), NopPruner) and isinstance(get_pruner("None"), NopPruner)
    assert isinstance(get_pruner("median"), MedianPruner)
    custom = PercentilePruner(10)
    assert get_pruner(custom) is custom
    with pytest.raises(
        ValueError, match="`pruner` must be a Pruner, None or one of 'none', 'median', 'folds', got 'asha'"
    ):
        get_pruner("asha")
    with pytest.raises(TypeError, match="`pruner` must be a Pruner, None or a name"):
        get_pruner(3)  # type: ignore[arg-type]

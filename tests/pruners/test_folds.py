"""FoldPruner: the paired fold-by-fold rule, on hand-built fold scores and inside TuneSearchCV."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

import tunelab
from tunelab import TrialState
from tunelab.pruners import FoldPruner, get_pruner
from tunelab.pruners.folds import fold_scores


def running_means(scores: Sequence[float]) -> list[float]:
    return list(np.cumsum(scores) / np.arange(1, len(scores) + 1))


def cv_history(per_trial: Sequence[Sequence[float]], direction: str = "maximize") -> tunelab.Study:
    """A study whose COMPLETE trials reported the running means of ``per_trial`` fold scores."""
    study = tunelab.create_study(storage=":memory:", direction=direction)  # type: ignore[arg-type]
    for scores in per_trial:
        trial = study.ask()
        for step, value in enumerate(running_means(scores)):
            trial.report(value, step)
        study.tell(trial, float(np.mean(scores)))
    return study


def decide(pruner: FoldPruner, study: tunelab.Study, scores: Sequence[float]) -> bool:
    trial = study.ask()
    for step, value in enumerate(running_means(scores)):
        trial.report(value, step)
    decision = pruner.prune(study, trial.freeze())
    study.tell(trial, state=TrialState.FAIL)
    return decision


# Five folds; the incumbent (0.90 mean) and two others whose differences to it vary by ~0.02 per fold.
HISTORY = [
    [0.92, 0.88, 0.90, 0.91, 0.89],
    [0.90, 0.85, 0.89, 0.88, 0.88],
    [0.89, 0.87, 0.86, 0.90, 0.87],
]


def test_fold_scores_undo_the_running_mean() -> None:
    scores = [0.9, 0.7, 0.8, 0.6]
    assert fold_scores(dict(enumerate(running_means(scores)))) == pytest.approx(scores)
    assert fold_scores({0: 0.5, 2: 0.7}).tolist() == [0.5]  # stops at the first gap
    assert fold_scores({}).size == 0


@pytest.mark.parametrize(
    ("scores", "pruned"),
    [
        ([0.80], True),  # far behind the incumbent's 0.92 on fold 0
        ([0.93], False),  # ahead
        ([0.915], False),  # behind by less than the fold noise
        ([0.91, 0.86, 0.88], True),  # behind on every fold: the mean gap is beyond the noise
        ([0.92, 0.88, 0.90, 0.91], False),  # level with the incumbent
    ],
)
def test_without_a_lead_rule_prunes_only_candidates_clearly_behind(scores: list[float], pruned: bool) -> None:
    study = cv_history(HISTORY)
    assert decide(FoldPruner(tolerance=0.5, n_startup_trials=3, lead_from=None), study, scores) is pruned


@pytest.mark.parametrize(
    ("scores", "pruned"),
    [
        ([0.92], False),  # level after one fold: one fold is too little to judge
        ([0.915], False),  # slightly behind after one fold, within the noise
        ([0.80], True),  # clearly behind after one fold
        ([0.92, 0.88], True),  # level after two folds: only noise could make it win
        ([0.92, 0.88, 0.90, 0.91], True),
        ([0.90, 0.89], True),  # behind on the mean, though ahead on fold 1
        ([0.92, 0.89], False),  # leads
        ([0.91, 0.90, 0.90], False),  # leads on the mean though behind on fold 0
    ],
)
def test_from_lead_from_folds_on_a_candidate_goes_on_only_while_it_leads(scores: list[float], pruned: bool) -> None:
    study = cv_history(HISTORY)
    assert decide(FoldPruner(n_startup_trials=3), study, scores) is pruned


def test_level_means_that_differ_only_by_rounding_count_as_level() -> None:
    # The incumbent's folds in another order: the same mean, running means rounded differently.
    study = cv_history(HISTORY)
    assert decide(FoldPruner(n_startup_trials=3, lead_from=3), study, [0.90, 0.92, 0.88]) is True
    assert decide(FoldPruner(n_startup_trials=3, lead_from=1), study, [0.92 + 1e-9]) is False


def test_tolerance_zero_prunes_anything_behind_and_large_tolerance_almost_nothing() -> None:
    study = cv_history(HISTORY)
    assert decide(FoldPruner(tolerance=0.0, n_startup_trials=3), study, [0.915]) is True
    assert decide(FoldPruner(tolerance=50.0, n_startup_trials=3), study, [0.85]) is False


def test_minimize_direction_is_mirrored() -> None:
    losses = [[1 - s for s in scores] for scores in HISTORY]
    study = cv_history(losses, direction="minimize")
    assert decide(FoldPruner(n_startup_trials=3), study, [0.20]) is True
    assert decide(FoldPruner(n_startup_trials=3), study, [0.05]) is False


def test_no_pruning_before_startup_or_at_the_last_fold() -> None:
    study = cv_history(HISTORY)
    assert decide(FoldPruner(n_startup_trials=4), study, [0.5]) is False
    assert decide(FoldPruner(n_startup_trials=3), study, [0.5, 0.5, 0.5, 0.5, 0.5]) is False
    assert decide(FoldPruner(n_startup_trials=3, n_folds=10), study, [0.5, 0.5, 0.5, 0.5, 0.5]) is True


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tolerance": -0.1}, "`tolerance` must be a number >= 0.0"),
        ({"tolerance": "big"}, "`tolerance` must be a number >= 0.0"),
        ({"n_startup_trials": 0}, "`n_startup_trials` must be an int >= 1"),
        ({"n_folds": 1}, "`n_folds` must be None or an int >= 2"),
        ({"lead_from": 0}, "`lead_from` must be None or an int >= 1"),
        ({"lead_from": 2.0}, "`lead_from` must be None or an int >= 1"),
        ({"lead_from": True}, "`lead_from` must be None or an int >= 1"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FoldPruner(**kwargs)


def test_the_name_folds_resolves_to_the_fold_pruner() -> None:
    assert isinstance(get_pruner("folds"), FoldPruner)
    assert isinstance(get_pruner(" Folds "), FoldPruner)


def test_tune_search_cv_with_fold_pruning_fits_far_fewer_folds_and_keeps_a_good_best() -> None:
    from sklearn.datasets import load_breast_cancer
    from sklearn.tree import DecisionTreeClassifier

    from tunelab.sklearn import TuneSearchCV

    X, y = load_breast_cancer(return_X_y=True)
    space = {"max_depth": tunelab.Int(1, 12), "min_samples_leaf": tunelab.Int(1, 80)}
    kwargs = dict(sampler="random", n_trials=30, cv=5, random_state=0)
    full = TuneSearchCV(DecisionTreeClassifier(random_state=0), space, **kwargs).fit(X, y)
    pruned = TuneSearchCV(DecisionTreeClassifier(random_state=0), space, pruner="folds", **kwargs).fit(X, y)
    fitted = sum(np.isfinite(pruned.cv_results_[f"split{k}_test_score"]).sum() for k in range(5))
    assert fitted <= 0.7 * 30 * 5
    assert pruned.cv_results_["state"][pruned.best_index_] == "COMPLETE"
    # Same candidates (same seed, random sampler): pruning may only lose candidates, never invent scores.
    assert pruned.best_score_ <= full.best_score_
    assert pruned.best_score_ >= full.best_score_ - 0.02

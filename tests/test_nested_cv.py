"""nested_cv: outer scores, their statistics, the optimism gap and the kept studies."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest
from scipy import stats
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.tree import DecisionTreeClassifier

import tunelab
from tunelab.sklearn import NestedCVResult, SearchCVError, TuneSearchCV, nested_cv


def _search(**kwargs: Any) -> TuneSearchCV:
    space = {"max_depth": [1, 2, 3, 5, None], "min_samples_leaf": [1, 5, 20]}
    return TuneSearchCV(DecisionTreeClassifier(random_state=0), space, sampler="grid", cv=3, **kwargs)


def test_outer_scores_match_cross_val_score_of_the_search() -> None:
    X, y = load_iris(return_X_y=True)
    outer = StratifiedKFold(4, shuffle=True, random_state=0)
    result = nested_cv(_search(scoring="accuracy"), X, y, outer_cv=outer)
    expected = cross_val_score(_search(scoring="accuracy"), X, y, cv=outer, scoring="accuracy")
    np.testing.assert_allclose(result.outer_scores, expected)
    assert result.mean == pytest.approx(expected.mean())
    assert result.std == pytest.approx(expected.std(ddof=1))
    half = stats.t.ppf(0.975, 3) * expected.std(ddof=1) / np.sqrt(4)
    assert result.ci95 == pytest.approx((expected.mean() - half, expected.mean() + half))
    assert result.optimism_gap == pytest.approx(np.mean(result.inner_best_scores) - expected.mean())
    assert len(result.best_params) == 4 and set(result.best_params[0]) == {"max_depth", "min_samples_leaf"}
    assert result.scoring == "accuracy"


def test_each_outer_fold_keeps_its_study() -> None:
    X, y = load_iris(return_X_y=True)
    result = nested_cv(_search(study_name="iris"), X, y, outer_cv=3)
    assert [s.name for s in result.studies] == ["iris-outer0", "iris-outer1", "iris-outer2"]
    assert all(len(s.trials) == 15 for s in result.studies)
    assert [s.best_value for s in result.studies] == pytest.approx(list(result.inner_best_scores))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.mean = 0.0  # type: ignore[misc]


def test_each_outer_fold_keeps_its_fitted_search() -> None:
    X, y = load_iris(return_X_y=True)
    outer = StratifiedKFold(3, shuffle=True, random_state=0)
    result = nested_cv(_search(scoring="accuracy"), X, y, outer_cv=outer)
    assert len(result.searches) == 3
    for k, (_, test) in enumerate(outer.split(X, y)):
        search = result.searches[k]
        assert search.best_score_ == pytest.approx(result.inner_best_scores[k])
        assert search.best_params_ == result.best_params[k]
        assert len(search.cv_results_["params"]) == 15
        assert search.best_estimator_.score(X[test], y[test]) == pytest.approx(result.outer_scores[k])


def test_optimism_gap_is_positive_on_average_over_seeds() -> None:
    # Labels are coin flips: every candidate's true accuracy is 0.5, so best_score_ (the best of
    # ten noisy estimates) is biased upwards while the outer folds are not.
    gaps, outer = [], []
    for seed in range(5):
        rng = np.random.default_rng(seed)
        X, y = rng.normal(size=(100, 5)), rng.integers(0, 2, size=100)
        result = nested_cv(_search(), X, y, outer_cv=3)
        gaps.append(result.optimism_gap)
        outer.append(result.mean)
    assert np.mean(gaps) > 0.02
    assert abs(np.mean(outer) - 0.5) < 0.1


def test_works_with_scikit_learn_searches_and_an_outer_metric() -> None:
    X, y = load_iris(return_X_y=True)
    grid = GridSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [1, 3]}, cv=3)
    result = nested_cv(grid, X, y, outer_cv=3, scoring="balanced_accuracy")
    assert result.scoring == "balanced_accuracy" and result.studies == (None, None, None)
    assert "optimism gap" in str(result)


def test_bad_inputs_are_refused_before_fitting() -> None:
    X, y = load_iris(return_X_y=True)
    with pytest.raises(SearchCVError, match="refit"):
        nested_cv(_search(refit=False), X, y)
    with pytest.raises(SearchCVError, match="scorer name"):
        nested_cv(_search(), X, y, scoring="acc")
    with pytest.raises(SearchCVError, match="smallest class"):
        nested_cv(_search(), X[:60], y[:60] * 0 + (np.arange(60) < 2), outer_cv=5)
    with pytest.raises(SearchCVError, match="search estimator"):
        nested_cv(object(), X, y)
    rng = np.random.default_rng(123)  # data of its own: sealing is remembered for the whole process
    X_new, y_new = rng.normal(size=(30, 4)), np.arange(30) % 2
    sealed = tunelab.holdout.seal(X_new, y_new, name="nested", storage=tunelab.get_storage(":memory:"))
    with pytest.raises(tunelab.holdout.SealedSetError, match="nested_cv refuses"):
        nested_cv(_search(), sealed, y_new)
    with pytest.raises(tunelab.holdout.SealedSetError, match="equals the X of sealed set 'nested'"):
        nested_cv(_search(), X_new.copy(), y_new)


def test_figure_shows_optimistic_and_nested_estimates() -> None:
    pytest.importorskip("plotly")
    outer, inner = (0.8, 0.9, 0.85), (0.9, 0.92, 0.91)
    result = NestedCVResult(outer, 0.85, 0.05, (0.73, 0.97), inner, ({}, {}, {}), 0.06, "acc")
    fig = result.figure()  # drawn by tunelab.viz.plot_scores_with_error_bars
    assert [trace.type for trace in fig.data] == ["bar", "scatter"]
    assert list(fig.data[0].x) == ["optimistic: best_score_", "nested CV: outer score"]
    assert list(fig.data[0].y) == pytest.approx([0.91, 0.85])
    half_widths = [stats.t.ppf(0.975, 2) * stats.sem(s) for s in (inner, outer)]
    assert list(fig.data[0].error_y.array) == pytest.approx(half_widths)
    assert sorted(fig.data[1].y) == sorted(inner + outer)  # every fold as a point
    assert "+0.0600" in fig.layout.title.text and "95% CI" in fig.layout.title.text
    assert fig.layout.yaxis.title.text == "acc"
    single = NestedCVResult((0.8,), 0.8, math.nan, (math.nan, math.nan), (0.9,), ({},), 0.1, "acc").figure()
    assert list(single.data[0].error_y.array) == [0.0, 0.0] and "± std" in single.layout.title.text

"""Figures from plain arrays (metric curves, scores with error bars) and coverage of studies."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy import stats

import tunelab
from tunelab.viz import plot_grid_vs_random_coverage, plot_metric_curves, plot_scores_with_error_bars
from tunelab.viz.metric_curves import ema


# -- metric curves -----------------------------------------------------------------------------------
def test_metric_curves_accept_every_series_form() -> None:
    runs = {
        "list": [3.0, 2.0, 1.0],
        "dict": {2: 0.5, 0: 1.5, 1: 1.0},
        "pair": ([0, 10, 20], [4.0, 3.0, 2.5]),
    }
    fig = plot_metric_curves(runs, metric_name="loss")
    assert [t.name for t in fig.data] == ["list", "dict", "pair"]
    assert fig.data[0].x.tolist() == [0, 1, 2]
    assert fig.data[1].x.tolist() == [0, 1, 2] and fig.data[1].y.tolist() == [1.5, 1.0, 0.5]
    assert fig.data[2].x.tolist() == [0, 10, 20]
    assert len({t.line.color for t in fig.data}) == 3
    assert fig.layout.xaxis.title.text == "Step" and fig.layout.yaxis.title.text == "loss"


def test_metric_curves_smoothing_and_time_axis() -> None:
    start = dt.datetime(2024, 1, 1, 12, 0, 0)
    times = [start + dt.timedelta(seconds=s) for s in (0, 1.5, 4)]
    fig = plot_metric_curves({"run": ([0, 1, 2], [1.0, 0.0, 0.0], times)}, smoothing=0.5, x_axis="time")
    raw, smooth = fig.data
    assert raw.x.tolist() == [0.0, 1.5, 4.0]
    assert raw.opacity == pytest.approx(0.3) and not raw.showlegend
    assert smooth.name == "run (smoothed)"
    np.testing.assert_allclose(smooth.y, [1.0, 1 / 3, 1 / 7])
    assert fig.layout.xaxis.title.text == "Time (s)"


def test_ema_skips_nan_and_zero_smoothing_is_identity() -> None:
    out = ema([1.0, float("nan"), 3.0], 0.5)
    assert out[0] == 1.0 and np.isnan(out[1]) and out[2] == pytest.approx((0.25 + 1.5) / 0.75)
    np.testing.assert_allclose(ema([1.0, 5.0, 2.0], 0.0), [1.0, 5.0, 2.0])


@pytest.mark.parametrize(
    ("runs", "kwargs", "error", "match"),
    [
        ({}, {}, TypeError, "non-empty dict run_name -> series"),
        ({"a": [1.0]}, {"smoothing": 1.0}, ValueError, r"`smoothing` must be a number in \[0, 1\), got 1.0"),
        ({"a": [1.0]}, {"x_axis": "epoch"}, ValueError, "`x_axis` must be 'step' or 'time', got 'epoch'"),
        ({"a": [1.0]}, {"x_axis": "time"}, ValueError, "run 'a' has none: give \\(steps, values, times\\)"),
        ({"a": ([0, 1], [1.0])}, {}, ValueError, "run 'a': steps, values and times must have one length, got 2, 1"),
        ({"a": ["x", "y"]}, {}, TypeError, "run 'a': `values` must be numbers"),
        ({"a": []}, {}, ValueError, "run 'a' has no points"),
        ({"a": 3.0}, {}, TypeError, "run 'a' must be a dict step -> value"),
    ],
)
def test_metric_curves_bad_inputs(runs: object, kwargs: dict[str, object], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        plot_metric_curves(runs, **kwargs)  # type: ignore[arg-type]


# -- scores with error bars ------------------------------------------------------------------------------
def test_scores_with_std_error_bars_and_points() -> None:
    scores = {"svm": [0.8, 0.82, 0.84], "rf": [0.9, 0.86]}
    fig = plot_scores_with_error_bars(scores, metric_name="accuracy")
    bar, points = fig.data
    assert list(bar.x) == ["svm", "rf"]
    np.testing.assert_allclose(bar.y, [0.82, 0.88])
    np.testing.assert_allclose(bar.error_y.array, [np.std([0.8, 0.82, 0.84], ddof=1), np.std([0.9, 0.86], ddof=1)])
    assert list(points.x) == ["svm"] * 3 + ["rf"] * 2
    assert fig.layout.yaxis.title.text == "accuracy"


def test_scores_with_confidence_intervals() -> None:
    values = [0.7, 0.75, 0.8, 0.72]
    fig = plot_scores_with_error_bars({"a": values}, error="ci", confidence=0.9, show_points=False)
    half = stats.t.ppf(0.95, 3) * np.std(values, ddof=1) / 2
    assert fig.data[0].error_y.array[0] == pytest.approx(half)
    assert fig.layout.title.text == "score: mean 90% CI"
    single = plot_scores_with_error_bars({"one": [0.5]})
    assert single.data[0].error_y.array[0] == 0.0


@pytest.mark.parametrize(
    ("scores", "kwargs", "error", "match"),
    [
        ({}, {}, TypeError, "non-empty dict label -> list of scores"),
        ({"a": []}, {}, ValueError, "scores of 'a' must be a non-empty list of finite numbers"),
        ({"a": [1.0, float("nan")]}, {}, ValueError, "finite numbers"),
        ({"a": ["x"]}, {}, TypeError, "scores of 'a' must be a list of numbers"),
        ({"a": [1.0]}, {"error": "ci"}, ValueError, "at least 2 scores; 'a' has 1"),
        ({"a": [1.0, 2.0]}, {"error": "sem"}, ValueError, "`error` must be 'std' or 'ci', got 'sem'"),
        ({"a": [1.0, 2.0]}, {"error": "ci", "confidence": 95}, ValueError, r"`confidence` must be a number in \(0, 1\)"),
    ],
)
def test_scores_bad_inputs(scores: object, kwargs: dict[str, object], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        plot_scores_with_error_bars(scores, **kwargs)  # type: ignore[arg-type]


# -- coverage ---------------------------------------------------------------------------------------------
def test_grid_vs_random_coverage_counts_distinct_values() -> None:
    grid = tunelab.tune(lambda c: c["x"] + c["y"], {"x": [0.0, 0.5, 1.0], "y": [0.0, 0.5, 1.0]},
                        sampler="grid", storage=":memory:", name="grid")
    rand = tunelab.tune(lambda c: c["x"] + c["y"], {"x": tunelab.Float(0, 1), "y": tunelab.Float(0, 1)},
                        n_trials=9, sampler="random", storage=":memory:", name="random", seed=0)
    fig = plot_grid_vs_random_coverage([grid, rand], ["x", "y"])
    assert [t.name for t in fig.data] == ["grid", "random"]
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["grid: 9 points, 3 × 3 distinct values", "random: 9 points, 9 × 9 distinct values"]
    np.testing.assert_allclose(sorted(fig.data[1].x), sorted(t.params["x"] for t in rand.trials))
    assert fig.data[1].xaxis == "x2"
    # a numeric grid is drawn at its values, on the same x axis as the random study
    assert sorted(set(fig.data[0].x)) == [0.0, 0.5, 1.0]
    assert fig.layout.xaxis2.matches == "x"
    words = tunelab.tune(lambda c: len(c["k"]) + c["x"], {"k": ["a", "bb"], "x": [1.0, 2.0]},
                         sampler="grid", storage=":memory:", name="words")
    labelled = plot_grid_vs_random_coverage([words])
    assert list(labelled.layout.xaxis.ticktext) == ["a", "bb"]


def test_coverage_bad_inputs(mixed_study: tunelab.Study, empty_study: tunelab.Study) -> None:
    with pytest.raises(TypeError, match="non-empty list of studies"):
        plot_grid_vs_random_coverage([])
    with pytest.raises(ValueError, match="'empty' has no trial with sampled parameters"):
        plot_grid_vs_random_coverage([empty_study])
    with pytest.raises(ValueError, match=r"\['z'\], never sampled .* \['x', 'lr', 'kind'\]"):
        plot_grid_vs_random_coverage([mixed_study], ["x", "z"])

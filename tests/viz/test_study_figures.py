"""Contour, parallel coordinates, slice, intermediate values, timeline and importances."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import tunelab
from tunelab.viz import contour as contour_module
from tunelab.viz import (
    plot_contour,
    plot_intermediate_values,
    plot_parallel_coordinate,
    plot_param_importances,
    plot_slice,
    plot_timeline,
)
from tunelab.viz._common import STATE_COLOURS


def _complete(study: tunelab.Study) -> list[tunelab.FrozenTrial]:
    return study.get_trials((tunelab.TrialState.COMPLETE,))


# -- contour ---------------------------------------------------------------------------------------
def test_contour_interpolates_and_draws_the_trials(mixed_study: tunelab.Study) -> None:
    fig = plot_contour(mixed_study, ["x", "lr"], n_grid=20)
    surface, points = fig.data
    assert type(surface).__name__ == "Contour" and type(points).__name__ == "Scatter"
    trials = _complete(mixed_study)
    np.testing.assert_allclose(points.x, [t.params["x"] for t in trials])
    np.testing.assert_allclose(points.y, [t.params["lr"] for t in trials])
    np.testing.assert_allclose(points.marker.color, [t.value for t in trials])
    assert np.asarray(surface.z).shape == (20, 20)
    assert fig.layout.xaxis.title.text == "x" and fig.layout.yaxis.title.text == "lr"
    assert fig.layout.yaxis.type == "log"
    # the grid spans the trials, log-spaced along the log parameter
    lrs = [t.params["lr"] for t in trials]
    assert surface.y[0] == pytest.approx(min(lrs)) and surface.y[-1] == pytest.approx(max(lrs))
    assert surface.y[1] / surface.y[0] == pytest.approx(surface.y[2] / surface.y[1])


def test_contour_surface_matches_a_linear_function_inside_the_hull() -> None:
    study = tunelab.create_study(storage=":memory:", seed=4)
    study.optimize(lambda t: 2 * t.suggest_float("a", 0, 1) + t.suggest_float("b", 0, 1), n_trials=30)
    info = contour_module._info(study, n_grid=15)
    mx, my = np.meshgrid(info.grid_x, info.grid_y)
    inside = ~np.isnan(info.grid_z)
    assert inside.sum() > 50
    np.testing.assert_allclose(info.grid_z[inside], (2 * mx + my)[inside], atol=1e-9)


def test_contour_categorical_axis_has_choice_labels(mixed_study: tunelab.Study) -> None:
    fig = plot_contour(mixed_study, ["kind", "x"], kind="scatter")
    assert len(fig.data) == 1
    assert list(fig.layout.xaxis.ticktext) == ["a", "b", "c"]
    assert list(fig.layout.xaxis.tickvals) == [0, 1, 2]
    kinds = [t.params["kind"] for t in _complete(mixed_study)]
    assert list(fig.data[0].x) == [["a", "b", "c"].index(k) for k in kinds]


def test_contour_bad_inputs(mixed_study: tunelab.Study, empty_study: tunelab.Study) -> None:
    with pytest.raises(ValueError, match=r"\['depth'\], never sampled .* sampled parameters: \['x', 'lr', 'kind'\]"):
        plot_contour(mixed_study, ["x", "depth"])
    with pytest.raises(ValueError, match="exactly 2 distinct parameters"):
        plot_contour(mixed_study, ["x"])
    with pytest.raises(ValueError, match="exactly 2 distinct"):
        plot_contour(mixed_study, ["x", "x"])
    with pytest.raises(ValueError, match="`kind` must be 'interpolate' or 'scatter', got 'surface'"):
        plot_contour(mixed_study, ["x", "lr"], kind="surface")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`n_grid` must be an int >= 2, got 1"):
        plot_contour(mixed_study, ["x", "lr"], n_grid=1)
    with pytest.raises(ValueError, match="no COMPLETE trial"):
        plot_contour(empty_study, ["x", "y"])
    one = tunelab.create_study(storage=":memory:", seed=0)
    one.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    with pytest.raises(ValueError, match=r"sampled 1 parameter\(s\) \['x'\]; this figure needs 2"):
        plot_contour(one)
    with pytest.raises(TypeError, match="list of parameter names"):
        plot_contour(mixed_study, "x")  # type: ignore[arg-type]


def test_contour_of_conditional_params_never_sampled_together() -> None:
    study = tunelab.create_study(name="cond", storage=":memory:", seed=0)

    def objective(t: tunelab.Trial) -> float:
        if t.suggest_categorical("model", ["svm", "tree"]) == "svm":
            return t.suggest_float("C", 0.1, 10)
        return float(t.suggest_int("depth", 1, 5))

    study.optimize(objective, n_trials=10)
    with pytest.raises(ValueError, match="no COMPLETE trial of study 'cond' sampled both 'C' and 'depth'"):
        plot_contour(study, ["C", "depth"])


# -- parallel coordinates and slice ------------------------------------------------------------------
def test_parallel_coordinate_dimensions_come_from_the_trials(mixed_study: tunelab.Study) -> None:
    fig = plot_parallel_coordinate(mixed_study, ["lr", "kind"], target_name="loss")
    (trace,) = fig.data
    assert type(trace).__name__ == "Parcoords"
    value_dim, lr_dim, kind_dim = trace.dimensions
    trials = _complete(mixed_study)
    assert value_dim.label == "loss"
    np.testing.assert_allclose(value_dim.values, [t.value for t in trials])
    np.testing.assert_allclose(lr_dim.values, np.log10([t.params["lr"] for t in trials]))
    assert all(text.startswith("1e") for text in lr_dim.ticktext)
    assert list(kind_dim.ticktext) == ["a", "b", "c"]
    np.testing.assert_allclose(trace.line.color, [t.value for t in trials])


def test_parallel_coordinate_bad_input(mixed_study: tunelab.Study, empty_study: tunelab.Study) -> None:
    with pytest.raises(ValueError, match="'momentum'"):
        plot_parallel_coordinate(mixed_study, ["momentum"])
    with pytest.raises(ValueError, match="no COMPLETE trial"):
        plot_parallel_coordinate(empty_study)


def test_slice_has_one_panel_per_parameter(mixed_study: tunelab.Study) -> None:
    fig = plot_slice(mixed_study)
    assert [t.name for t in fig.data] == ["x", "lr", "kind"]
    trials = _complete(mixed_study)
    np.testing.assert_allclose(fig.data[0].x, [t.params["x"] for t in trials])
    np.testing.assert_allclose(fig.data[0].y, [t.value for t in trials])
    assert fig.data[1].xaxis == "x2" and fig.layout.xaxis2.type == "log"
    assert list(fig.layout.xaxis3.ticktext) == ["a", "b", "c"]
    assert fig.layout.xaxis.title.text == "x" and fig.layout.yaxis.title.text == "Objective value"
    assert len(plot_slice(mixed_study, ["kind"]).data) == 1
    with pytest.raises(ValueError, match="never sampled"):
        plot_slice(mixed_study, ["nope"])


# -- intermediate values and timeline ------------------------------------------------------------------
def test_intermediate_values_colour_pruned_and_complete_trials(pruned_study: tunelab.Study) -> None:
    fig = plot_intermediate_values(pruned_study)
    assert len(fig.data) == 6
    by_number = {t.meta: t for t in fig.data}
    for trial in pruned_study.trials:
        trace = by_number[trial.number]
        expected_state = "PRUNED" if trial.number % 2 else "COMPLETE"
        assert trial.state.value == expected_state
        assert trace.legendgroup == expected_state
        assert trace.line.color == STATE_COLOURS[expected_state]
        assert list(trace.x) == sorted(trial.intermediate_values)
        assert list(trace.y) == [trial.intermediate_values[s] for s in sorted(trial.intermediate_values)]
    assert len(by_number[1].x) == 3 and len(by_number[0].x) == 5
    assert STATE_COLOURS["PRUNED"] != STATE_COLOURS["COMPLETE"]
    assert sorted(t.name for t in fig.data if t.showlegend) == ["COMPLETE", "PRUNED"]
    assert fig.layout.xaxis.title.text == "Step"


def test_intermediate_values_without_reports_is_an_error(mixed_study: tunelab.Study) -> None:
    with pytest.raises(ValueError, match=r"no trial with intermediate values; call trial.report"):
        plot_intermediate_values(mixed_study)


def test_timeline_has_a_bar_per_started_trial_by_state(pruned_study: tunelab.Study) -> None:
    fig = plot_timeline(pruned_study)
    assert [t.name for t in fig.data] == ["COMPLETE", "PRUNED"]
    assert all(t.orientation == "h" for t in fig.data)
    assert sorted(fig.data[0].y.tolist() + fig.data[1].y.tolist()) == list(range(6))
    trials = {t.number: t for t in pruned_study.trials}
    for bar in fig.data:
        for number, base, length in zip(bar.y, bar.base, bar.x, strict=True):
            trial = trials[int(number)]
            assert base == trial.datetime_start
            assert length == pytest.approx(trial.duration.total_seconds() * 1e3)


def test_timeline_running_trials_and_bad_input(empty_study: tunelab.Study) -> None:
    with pytest.raises(ValueError, match="no started trial"):
        plot_timeline(empty_study)
    empty_study.enqueue_trial({"x": 0.5})  # WAITING: no bar
    with pytest.raises(ValueError, match="no started trial"):
        plot_timeline(empty_study)
    empty_study.ask()
    fig = plot_timeline(empty_study)
    assert [t.name for t in fig.data] == ["RUNNING"]


# -- importances -------------------------------------------------------------------------------------
def test_param_importances_bar_chart(mixed_study: tunelab.Study) -> None:
    from tunelab.importance import param_importances

    fig = plot_param_importances(mixed_study, n_trees=16)
    (bar,) = fig.data
    assert bar.orientation == "h"
    shares = param_importances(mixed_study, n_trees=16)
    assert list(bar.y) == list(shares)[::-1]  # most important on top
    np.testing.assert_allclose(bar.x, list(shares.values())[::-1])
    assert bar.y[-1] == "x"
    with pytest.raises(ValueError, match="`n_trees` must be an int >= 1, got 0"):
        plot_param_importances(mixed_study, n_trees=0)
    with pytest.raises(ValueError, match="never sampled|no COMPLETE trial of study 'mixed' sampled"):
        plot_param_importances(mixed_study, params=["y"])


# -- plotly is optional ----------------------------------------------------------------------------
def test_info_works_without_plotly_and_figures_name_the_extra(
    mixed_study: tunelab.Study, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "plotly.graph_objects", None)
    info = contour_module._info(mixed_study, ["x", "lr"], n_grid=5)
    assert info.grid_z.shape == (5, 5)
    with pytest.raises(ImportError, match=r"tunelab.viz needs plotly: pip install 'tunelab\[viz\]'"):
        plot_contour(mixed_study, ["x", "lr"])

"""Optimisation history and EDF: values and best-so-far lines come from the trials."""

from __future__ import annotations

import numpy as np
import pytest

import tunelab
from tunelab.viz import plot_edf, plot_optimization_history
from tunelab.viz.history import _info


def _values(study: tunelab.Study) -> np.ndarray:
    return np.array([t.value for t in study.get_trials((tunelab.TrialState.COMPLETE,))])


def test_history_traces_hold_trial_values_and_running_minimum(mixed_study: tunelab.Study) -> None:
    fig = plot_optimization_history(mixed_study)
    assert [type(t).__name__ for t in fig.data] == ["Scatter", "Scatter"]
    points, best = fig.data
    values = _values(mixed_study)
    np.testing.assert_allclose(points.y, values)
    np.testing.assert_allclose(best.y, np.minimum.accumulate(values))
    assert list(points.x) == list(range(20))
    assert best.name == "mixed (best)"
    assert fig.layout.xaxis.title.text == "Trial"
    assert fig.layout.yaxis.title.text == "Objective value"


def test_history_is_direction_aware_and_skips_failed_trials() -> None:
    study = tunelab.create_study(name="max", storage=":memory:", direction="maximize")
    study.tell(study.ask(), 1.0)
    study.tell(study.ask(), 3.0)
    with pytest.warns(tunelab.exceptions.TunelabWarning, match="NaN"):
        study.tell(study.ask(), float("nan"))
    study.tell(study.ask(), 2.0)
    study.tell(study.ask(), 5.0)
    info = _info(study)
    assert info.direction == "maximize"
    assert info.series[0].numbers.tolist() == [0, 1, 3, 4]
    assert info.series[0].best.tolist() == [1.0, 3.0, 3.0, 5.0]
    fig = plot_optimization_history(study)
    np.testing.assert_allclose(fig.data[1].y, np.maximum.accumulate([1.0, 3.0, 2.0, 5.0]))
    assert fig.layout.title.text == "Optimisation history (maximize)"


def test_several_studies_are_overlaid_with_a_legend_by_name() -> None:
    studies = []
    for sampler in ("random", "qmc"):
        s = tunelab.create_study(name=sampler, storage=":memory:", sampler=sampler, seed=3)
        s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=6)
        studies.append(s)
    fig = plot_optimization_history(studies, log_y=True)
    assert [t.name for t in fig.data] == ["random", "random (best)", "qmc", "qmc (best)"]
    assert fig.data[0].marker.color != fig.data[2].marker.color
    assert fig.layout.yaxis.type == "log"


def test_history_bad_inputs(empty_study: tunelab.Study, mixed_study: tunelab.Study) -> None:
    with pytest.raises(ValueError, match="'empty' has no COMPLETE trial"):
        plot_optimization_history(empty_study)
    with pytest.raises(TypeError, match="must be a Study or a non-empty list"):
        plot_optimization_history([])
    with pytest.raises(TypeError, match="must be a Study or a non-empty list of studies, got {'a': 1}"):
        plot_optimization_history({"a": 1})  # type: ignore[arg-type]
    other = tunelab.create_study(name="up", storage=":memory:", direction="maximize")
    other.tell(other.ask(), 1.0)
    with pytest.raises(ValueError, match="share one direction.*'up': maximize"):
        plot_optimization_history([mixed_study, other])
    negative = tunelab.create_study(storage=":memory:")
    negative.tell(negative.ask(), -1.0)
    with pytest.raises(ValueError, match="`log_y=True` needs positive values"):
        plot_optimization_history(negative, log_y=True)


def test_edf_is_the_empirical_cdf_of_each_study(mixed_study: tunelab.Study) -> None:
    other = tunelab.create_study(name="other", storage=":memory:", seed=2)
    other.optimize(lambda t: t.suggest_float("x", 0, 3), n_trials=4)
    fig = plot_edf([mixed_study, other])
    assert [t.name for t in fig.data] == ["mixed", "other"]
    np.testing.assert_allclose(fig.data[0].x, np.sort(_values(mixed_study)))
    np.testing.assert_allclose(fig.data[0].y, np.arange(1, 21) / 20)
    assert fig.data[1].y.tolist() == [0.25, 0.5, 0.75, 1.0]
    assert fig.data[0].line.shape == "hv"
    assert fig.layout.xaxis.title.text == "Objective value"


def test_edf_bad_inputs(empty_study: tunelab.Study) -> None:
    with pytest.raises(ValueError, match="no COMPLETE trial"):
        plot_edf(empty_study)
    with pytest.raises(TypeError):
        plot_edf("study")  # type: ignore[arg-type]

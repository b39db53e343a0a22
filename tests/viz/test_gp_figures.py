"""The GP surrogate in 1-D and active learning vs Bayesian optimisation."""

from __future__ import annotations

import numpy as np
import pytest

import tunelab
from tunelab.samplers.gp import GPSampler
from tunelab.viz import plot_active_learning_vs_bo, plot_gp_surrogate_1d


def _objective(trial: tunelab.Trial) -> float:
    x = trial.suggest_float("x", -2.0, 2.0)
    return float(np.sin(3 * x) + 0.3 * x**2)


def _gp_study(acquisition: str, n_trials: int = 6) -> tunelab.Study:
    sampler = GPSampler(acquisition, seed=0, n_startup_trials=3, n_candidates=64)  # type: ignore[arg-type]
    study = tunelab.create_study(name=acquisition, storage=":memory:", sampler=sampler)
    study.optimize(_objective, n_trials=n_trials)
    return study


@pytest.fixture(scope="module")
def bo_study() -> tunelab.Study:
    return _gp_study("logei")


@pytest.fixture(scope="module")
def active_study() -> tunelab.Study:
    return _gp_study("uncertainty")


def test_surrogate_figure_draws_mean_band_observations_and_acquisition(bo_study: tunelab.Study) -> None:
    fig = plot_gp_surrogate_1d(bo_study, n_points=40)
    band, mean, obs, acq, nxt = fig.data
    assert [t.name for t in fig.data] == ["±2σ", "mean", "observations", "acquisition", "next point"]
    grid = np.linspace(-2, 2, 40)
    np.testing.assert_allclose(mean.x, grid)
    surrogate = bo_study.sampler.surrogate(bo_study)
    expected_mean, expected_std = surrogate.predict([{"x": v} for v in grid])
    np.testing.assert_allclose(mean.y, expected_mean)
    np.testing.assert_allclose(band.y[:40], expected_mean + 2 * expected_std)
    np.testing.assert_allclose(acq.y, surrogate.acquisition([{"x": v} for v in grid]))
    trials = bo_study.get_trials((tunelab.TrialState.COMPLETE,))
    np.testing.assert_allclose(obs.x, [t.params["x"] for t in trials])
    np.testing.assert_allclose(obs.y, [t.value for t in trials])
    assert nxt.y[0] == pytest.approx(np.max(acq.y))
    assert acq.yaxis == "y2" and mean.yaxis == "y"
    assert fig.layout.xaxis2.title.text == "x"
    assert fig.layout.yaxis2.title.text == "acquisition (logei)"


def test_surrogate_figure_bad_inputs(mixed_study: tunelab.Study) -> None:
    with pytest.raises(TypeError, match="RandomSampler, which exposes no surrogate; use .*GPSampler"):
        plot_gp_surrogate_1d(mixed_study)
    two_d = tunelab.create_study(name="2d", storage=":memory:",
                                 sampler=GPSampler(seed=0, n_startup_trials=2, n_candidates=16))
    two_d.optimize(lambda t: t.suggest_float("a", 0, 1) + t.suggest_float("b", 0, 1), n_trials=3)
    with pytest.raises(ValueError, match=r"exactly one non-constant Float parameter .* got \{'a': 'Float', 'b': 'Float'\}"):
        plot_gp_surrogate_1d(two_d)
    empty = tunelab.create_study(name="e", storage=":memory:", sampler=GPSampler(seed=0))
    with pytest.raises(ValueError, match="'e' has no COMPLETE trial"):
        plot_gp_surrogate_1d(empty)


def test_active_learning_vs_bo_side_by_side(active_study: tunelab.Study, bo_study: tunelab.Study) -> None:
    fig = plot_active_learning_vs_bo(active_study, bo_study, n_points=30)
    assert len(fig.data) == 10
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["Active learning: uncertainty (6 trials)", "Bayesian optimisation: logei (6 trials)"]
    left = [t for t in fig.data if t.xaxis in ("x", "x3")]
    right = [t for t in fig.data if t.xaxis in ("x2", "x4")]
    assert len(left) == len(right) == 5
    # the uncertainty acquisition is the posterior std itself
    surrogate = active_study.sampler.surrogate(active_study)
    _, std = surrogate.predict([{"x": v} for v in np.linspace(-2, 2, 30)])
    acq_left = next(t for t in left if t.name == "acquisition")
    np.testing.assert_allclose(acq_left.y, std, rtol=1e-6, atol=1e-9)
    assert sum(bool(t.showlegend) for t in fig.data) == 5


def test_active_learning_vs_bo_needs_the_same_parameter(bo_study: tunelab.Study) -> None:
    other = tunelab.create_study(name="y", storage=":memory:",
                                 sampler=GPSampler(seed=0, n_startup_trials=2, n_candidates=16))
    other.optimize(lambda t: t.suggest_float("y", 0, 1), n_trials=3)
    with pytest.raises(ValueError, match="same parameter .* got 'y' \\(active_study\\) and 'x' \\(bo_study\\)"):
        plot_active_learning_vs_bo(other, bo_study)
    with pytest.raises(TypeError, match="`active_study` must be a tunelab Study"):
        plot_active_learning_vs_bo(None, bo_study)  # type: ignore[arg-type]

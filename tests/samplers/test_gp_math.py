"""Array-level tests of tunelab.samplers._gp and _gp_acqf: kernel, GP, acquisitions, optimiser."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ndtr

from tunelab.samplers import _gp, _gp_acqf
from tunelab.samplers._gp import Column

CONT = Column("continuous")


def _kernel_matrix(X: np.ndarray, w: np.ndarray, is_cat: np.ndarray) -> np.ndarray:
    return _gp.matern52(_gp._scaled_r2(X, X, w, is_cat))


def test_kernel_is_symmetric_psd_with_unit_diagonal() -> None:
    rng = np.random.default_rng(0)
    cols = [CONT, Column("categorical", n_choices=4), CONT]
    X = _gp.snap(rng.random((40, 3)), cols)
    is_cat = np.array([False, True, False])
    K = _kernel_matrix(X, np.array([3.0, 1.0, 0.5]), is_cat)
    np.testing.assert_allclose(K, K.T)
    np.testing.assert_allclose(np.diag(K), 1.0)
    assert np.linalg.eigvalsh(K).min() > -1e-10
    # Categorical columns: only equality matters, not the distance between indices.
    a, b, c = np.array([[0.5, 0.0, 0.5]]), np.array([[0.5, 1.0, 0.5]]), np.array([[0.5, 3.0, 0.5]])
    w = np.ones(3)
    assert _gp._scaled_r2(a, b, w, is_cat)[0, 0] == _gp._scaled_r2(a, c, w, is_cat)[0, 0] == 1.0


def test_output_warp_is_monotone_standardised_and_less_skewed() -> None:
    from scipy.stats import skew

    y = -np.exp(np.random.default_rng(0).normal(0.0, 1.5, 200))  # a long tail of bad values
    w = _gp.warp_outputs(y)
    order = np.argsort(y)
    assert np.all(np.diff(w[order]) >= 0)  # same ranking: the best observation stays the best
    assert abs(skew(w)) < 0.2 * abs(skew(y))


@pytest.mark.parametrize("y", [[3.0, 3.0, 3.0], [1.0, 2.0], [1.0, 1.0, 2.0, 2.0], [0.0, 1e300, -1e300]])
def test_output_warp_only_standardises_degenerate_values(y: list[float]) -> None:
    w = _gp.warp_outputs(np.array(y))
    assert np.all(np.isfinite(w))
    assert np.all(np.diff(w[np.argsort(y, kind="stable")]) >= 0)


def test_matern_decreases_with_distance() -> None:
    values = _gp.matern52(np.linspace(0, 9, 10))
    assert np.all(np.diff(values) < 0)
    assert values[0] == 1.0


def test_gp_interpolates_noiseless_data_and_std_grows_away() -> None:
    rng = np.random.default_rng(1)
    X = rng.random((15, 2))
    y = np.sin(4 * X[:, 0]) + X[:, 1] ** 2
    gp = _gp.fit_gp(X, y, [CONT, CONT], deterministic=True, rng=rng)
    mean, std = gp.predict(X)
    np.testing.assert_allclose(mean, y, atol=1e-3)
    assert std.max() < 1e-2
    far = np.array([[1e3, 1e3]])
    near = X[:1] + 0.05
    assert gp.predict(far)[1][0] > gp.predict(near)[1][0] > std[0]
    # Far from the data the prior comes back: std ~ signal std in y's units.
    assert gp.predict(far)[1][0] == pytest.approx(math.sqrt(gp.signal_var) * np.std(y), rel=0.05)


def test_gp_gradients_match_finite_differences() -> None:
    rng = np.random.default_rng(2)
    cols = [CONT, Column("categorical", n_choices=3), CONT]
    X = _gp.snap(rng.random((20, 3)), cols)
    gp = _gp.fit_gp(X, X[:, 0] - X[:, 2] ** 2 + 0.3 * X[:, 1], cols, rng=rng)
    x = np.array([[0.3, 1.0, 0.6]])
    _, _, dmean, dstd = gp.predict(x, grad=True)
    for k in (0, 2):
        step = np.zeros_like(x)
        step[0, k] = 1e-6
        m1, s1 = gp.predict(x + step)
        m0, s0 = gp.predict(x - step)
        assert dmean[0, k] == pytest.approx((m1 - m0)[0] / 2e-6, rel=1e-4, abs=1e-6)
        assert dstd[0, k] == pytest.approx((s1 - s0)[0] / 2e-6, rel=1e-4, abs=1e-6)
    assert dmean[0, 1] == dstd[0, 1] == 0.0


def test_marginal_likelihood_gradient_is_analytic() -> None:
    rng = np.random.default_rng(3)
    X = rng.random((12, 2))
    y = np.cos(3 * X[:, 0]) * X[:, 1]
    D = _gp._diff_sq(X, X, np.zeros(2, dtype=bool))
    theta = np.array([0.5, 1.5, 0.1, -5.0])
    _, grad = _gp._neg_log_posterior(theta, D, (y - y.mean()) / y.std(), False)
    for k in range(4):
        e = np.zeros(4)
        e[k] = 1e-6
        hi = _gp._neg_log_posterior(theta + e, D, (y - y.mean()) / y.std(), False)[0]
        lo = _gp._neg_log_posterior(theta - e, D, (y - y.mean()) / y.std(), False)[0]
        assert grad[k] == pytest.approx((hi - lo) / 2e-6, rel=1e-4, abs=1e-5)


def test_condition_on_collapses_std_at_pending_points() -> None:
    X = np.array([[0.1], [0.9]])
    gp = _gp.fit_gp(X, np.array([0.0, 1.0]), [CONT], deterministic=True)
    pending = np.array([[0.5]])
    before = gp.predict(pending)
    after = gp.condition_on(pending, before[0]).predict(pending)
    assert after[0][0] == pytest.approx(before[0][0], abs=1e-6)
    assert after[1][0] < 0.1 * before[1][0]


def test_log_h_matches_closed_form_ei_and_stays_finite() -> None:
    z = np.linspace(-10, 5, 301)
    closed = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi) + z * ndtr(z)
    np.testing.assert_allclose(_gp_acqf.log_h(z), np.log(closed), rtol=1e-6)
    far = _gp_acqf.log_h(np.array([-40.0, -1e3, -1e9]))
    assert np.all(np.isfinite(far))
    assert np.all(np.diff(_gp_acqf.log_h(np.linspace(-1e5, 10, 5000))) > 0)  # monotone everywhere
    # Asymptote log h(z) ~ -z²/2 - log √(2π) - 2 log|z| for very negative z.
    assert far[0] == pytest.approx(-800 - 0.5 * math.log(2 * math.pi) - 2 * math.log(40), abs=1e-2)


def test_log_ei_equals_log_of_closed_form_expected_improvement() -> None:
    mean, std, best = np.array([0.2, 1.0, -1.0]), np.array([0.5, 0.3, 1.0]), 0.4
    z = (mean - best) / std
    ei = std * (np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi) + z * ndtr(z))
    value, _, _ = _gp_acqf.acquisition("logei", mean, std, best)
    np.testing.assert_allclose(value, np.log(ei), rtol=1e-8)
    far, dmean, dstd = _gp_acqf.acquisition("logei", np.array([-40.0]), np.array([1.0]), 0.0)
    assert np.isfinite(far[0]) and np.isfinite(dmean[0]) and dmean[0] > 0


def test_acquisition_shapes_and_values() -> None:
    mean, std = np.array([0.0, 1.0, 2.0]), np.array([1.0, 0.5, 0.1])
    for kind in ("logei", "ucb", "pi", "uncertainty"):
        out = _gp_acqf.acquisition(kind, mean, std, best=1.5, beta=4.0)  # type: ignore[arg-type]
        assert [a.shape for a in out] == [(3,)] * 3
        assert np.all(np.isfinite(out[0]))
    np.testing.assert_allclose(_gp_acqf.acquisition("ucb", mean, std, 1.5, beta=4.0)[0], [2.0, 2.0, 2.2])
    np.testing.assert_allclose(_gp_acqf.acquisition("uncertainty", mean, std, 1.5)[0], std)
    np.testing.assert_allclose(
        np.exp(_gp_acqf.acquisition("pi", mean, std, 1.5)[0]), ndtr((mean - 1.5) / std)
    )
    assert np.isfinite(_gp_acqf.acquisition("pi", np.array([-50.0]), np.array([1.0]), 0.0)[0][0])
    with pytest.raises(ValueError, match="`kind` must be one of"):
        _gp_acqf.acquisition("ei", mean, std, 1.5)  # type: ignore[arg-type]


def test_ucb_beta_grows_with_t() -> None:
    betas = [_gp_acqf.ucb_beta(3, t) for t in (1, 10, 100)]
    assert betas == sorted(betas) and betas[0] > 0
    assert betas[1] == pytest.approx(0.4 * math.log(3 * 100 * math.pi**2 / 0.6))


def test_snap_rounds_to_grids_and_indices() -> None:
    cols = [Column("discrete", grid=(0.1, 0.5, 0.9)), Column("categorical", n_choices=2), CONT]
    X = _gp.snap(np.array([[0.0, 0.49, 1.2], [0.71, 0.5, -0.1], [1.0, 1.0, 0.3]]), cols)
    assert X.tolist() == [[0.1, 0.0, 1.0], [0.9, 1.0, 0.0], [0.9, 1.0, 0.3]]


def test_optimize_acquisition_respects_discrete_and_categorical_columns() -> None:
    cols = [CONT, Column("discrete", grid=(0.125, 0.375, 0.625, 0.875)), Column("categorical", n_choices=3)]
    target = np.array([0.42, 0.6, 2.0])

    def fn(X: np.ndarray, grad: bool) -> tuple[np.ndarray, np.ndarray]:
        diff = X - target
        return -np.sum(diff**2, axis=1), -2 * diff

    x, value = _gp_acqf.optimize_acquisition(fn, cols, np.random.default_rng(0), n_candidates=64)
    assert x[0] == pytest.approx(0.42, abs=1e-4)
    assert x[1] == 0.625 and x[2] == 2.0
    assert value == pytest.approx(-(0.025**2), abs=1e-6)


def test_optimize_acquisition_is_deterministic_for_a_seed() -> None:
    fn = lambda X, grad: (-np.sum((X - 0.7) ** 2, 1), -2 * (X - 0.7))  # noqa: E731
    a = _gp_acqf.optimize_acquisition(fn, [CONT] * 3, np.random.default_rng(4), n_candidates=32, n_refine=0)
    b = _gp_acqf.optimize_acquisition(fn, [CONT] * 3, np.random.default_rng(4), n_candidates=32, n_refine=0)
    np.testing.assert_array_equal(a[0], b[0])


def test_subset_keeps_the_best_and_caps_size() -> None:
    y = np.random.default_rng(0).random(1000)
    idx = _gp.subset_indices(y, 300, np.random.default_rng(1))
    assert len(idx) == len(set(idx.tolist())) == 300
    assert set(np.argsort(-y)[:90].tolist()) <= set(idx.tolist())
    np.testing.assert_array_equal(_gp.subset_indices(y[:50], 300, np.random.default_rng(1)), np.arange(50))

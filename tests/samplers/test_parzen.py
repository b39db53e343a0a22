"""Tests of the array-level Parzen estimators behind TPE."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tunelab.samplers._parzen import (
    Dim,
    ProductEstimator,
    _log_ndtr_diff,
    default_weights,
    fit_parzen,
)
from tunelab.space import Int

RNG = np.random.default_rng(123)


def _grid_integral(est, n: int = 20001) -> float:
    x = np.linspace(0.0, 1.0, n)
    return float(np.trapezoid(np.exp(est.log_pdf(x[:, None])), x))


@pytest.mark.parametrize("multivariate", [False, True])
@pytest.mark.parametrize("obs", [[0.5], [0.0, 1.0], [0.01, 0.02, 0.03, 0.99], list(RNG.random(40))])
def test_continuous_pdf_integrates_to_one(obs, multivariate):
    est = fit_parzen(np.array(obs)[:, None], np.ones(len(obs)), [Dim.continuous()], multivariate=multivariate)
    assert _grid_integral(est) == pytest.approx(1.0, abs=2e-3)


def test_empty_observations_give_prior_only():
    est = fit_parzen(np.zeros((0, 1)), np.ones(0), [Dim.continuous()])
    assert est.n_components == 1
    assert _grid_integral(est) == pytest.approx(1.0, abs=1e-4)
    # The prior is a broad Gaussian at 0.5: a bit higher in the middle than at the edges.
    mid, edge = est.log_pdf(np.array([[0.5], [0.0]]))
    assert mid > edge


def test_two_dimensional_joint_pdf_integrates_to_one():
    X = RNG.random((15, 2))
    est = fit_parzen(X, np.ones(15), [Dim.continuous(), Dim.continuous()])
    g = np.linspace(0, 1, 401)
    xx, yy = np.meshgrid(g, g)
    p = np.exp(est.log_pdf(np.column_stack([xx.ravel(), yy.ravel()]))).reshape(xx.shape)
    total = np.trapezoid(np.trapezoid(p, g, axis=1), g)
    assert total == pytest.approx(1.0, abs=5e-3)


@pytest.mark.parametrize("size", [1, 2, 7, 50])
def test_discrete_pmf_sums_to_one(size):
    dim = Dim.discrete(size)
    centres = (np.arange(size) + 0.5) / size
    obs = centres[RNG.integers(0, size, 6)]
    est = fit_parzen(obs[:, None], np.ones(6), [dim], multivariate=False)
    assert float(np.exp(est.log_pdf(centres[:, None])).sum()) == pytest.approx(1.0, abs=1e-9)


def test_log_int_bins_match_space_encoding_and_sum_to_one():
    dist = Int(1, 1000, log=True)
    dim = Dim.discrete(1000, log_range=(1, 1000))
    values = np.arange(1, 1001)
    units = np.array([dist.to_unit(v) for v in values])
    lo, hi, centre = dim.bins(units)
    assert np.allclose(centre, units)
    assert np.allclose(lo[1:], hi[:-1]) and lo[0] == pytest.approx(0) and hi[-1] == pytest.approx(1)
    assert [dist.from_unit(u) for u in (lo[10] + 1e-9, hi[10] - 1e-9)] == [11, 11]
    obs = units[[2, 5, 400]]
    est = fit_parzen(obs[:, None], np.ones(3), [dim], multivariate=False)
    assert float(np.exp(est.log_pdf(units[:, None])).sum()) == pytest.approx(1.0, abs=1e-9)


def test_discrete_samples_are_bin_centres_with_matching_frequencies():
    est = fit_parzen(np.array([[0.125], [0.125], [0.875]]), np.ones(3), [Dim.discrete(4)])
    draws = est.sample(np.random.default_rng(0), 20000)[:, 0]
    centres = np.array([0.125, 0.375, 0.625, 0.875])
    assert set(np.round(draws, 6)) <= set(centres)
    freq = np.array([(np.isclose(draws, c)).mean() for c in centres])
    pmf = np.exp(est.log_pdf(centres[:, None]))
    assert np.allclose(freq, pmf, atol=0.015)


def test_continuous_samples_follow_the_density():
    est = fit_parzen(np.array([[0.1], [0.15], [0.7]]), np.ones(3), [Dim.continuous()])
    draws = est.sample(np.random.default_rng(1), 40000)[:, 0]
    assert ((draws >= 0) & (draws <= 1)).all()
    edges = np.linspace(0, 1, 11)
    hist = np.histogram(draws, edges)[0] / len(draws)
    x = np.linspace(0, 1, 10001)
    p = np.exp(est.log_pdf(x[:, None]))
    expected = [
        np.trapezoid(p[(x >= a) & (x <= b)], x[(x >= a) & (x <= b)])
        for a, b in zip(edges, edges[1:], strict=False)
    ]
    assert np.allclose(hist, expected, atol=0.01)


def test_categorical_pmf_smoothing_and_sampling():
    obs = np.array([[0.0], [0.0], [0.0], [2.0]])
    est = fit_parzen(obs, np.ones(4), [Dim.categorical(3)], prior_weight=1.0)
    pmf = np.exp(est.log_pdf(np.array([[0.0], [1.0], [2.0]])))
    assert pmf.sum() == pytest.approx(1.0)
    # kernels (onehot + 1/5) / 1.6, plus a uniform prior; all weights 1/5
    assert pmf[1] == pytest.approx((4 * (0.2 / 1.6) + 1 / 3) / 5)
    assert pmf[0] > pmf[2] > pmf[1] > 0
    draws = est.sample(np.random.default_rng(2), 20000)[:, 0]
    assert set(draws) <= {0.0, 1.0, 2.0}
    assert np.allclose(np.bincount(draws.astype(int), minlength=3) / 20000, pmf, atol=0.015)


def test_weights_shift_mass_towards_heavier_observations():
    X = np.array([[0.1], [0.9]])
    light = fit_parzen(X, np.array([1.0, 0.1]), [Dim.continuous()])
    lp = light.log_pdf(np.array([[0.1], [0.9]]))
    assert lp[0] > lp[1]


def test_far_tail_discrete_mass_is_finite():
    # a narrow kernel at 0 gives the last of 1000 bins a tiny but representable mass
    est = fit_parzen(np.array([[0.0005]] * 200), np.ones(200), [Dim.discrete(1000)], multivariate=False)
    lp = est.log_pdf(np.array([[0.9995]]))
    assert np.isfinite(lp).all()
    a = np.array([30.0, -40.0, 0.0])
    b = np.array([31.0, -39.0, 1e-9])
    out = _log_ndtr_diff(a, b)
    assert np.isfinite(out).all()
    assert out[2] == pytest.approx(math.log(1e-9 / math.sqrt(2 * math.pi)), rel=1e-6)


def test_multivariate_bandwidth_shrinks_with_n_and_respects_magic_clip():
    dims = [Dim.continuous()] * 3
    small = fit_parzen(RNG.random((50, 3)), np.ones(50), dims, bandwidth="scott")
    tiny = fit_parzen(RNG.random((4, 3)), np.ones(4), dims, bandwidth="scott")
    assert tiny.sigmas[0, 0] == pytest.approx(1 / 6)  # 0.2 * 4 ** (-1/7) < magic clip 1/6
    big = fit_parzen(RNG.random((500, 3)), np.ones(500), dims, bandwidth="scott")
    assert small.sigmas[0, 0] == pytest.approx(0.2 * 50 ** (-1 / 7))
    assert big.sigmas[0, 0] < small.sigmas[0, 0]
    assert (big.sigmas >= 0.01 - 1e-12).all()
    assert (small.sigmas[-1] == 1.0).all()  # the prior component


def test_univariate_bandwidth_is_the_larger_neighbour_gap():
    est = fit_parzen(np.array([[0.2], [0.3], [0.6]]), np.ones(3), [Dim.continuous()], magic_clip=False)
    assert est.sigmas[:3, 0].tolist() == pytest.approx([0.1, 0.3, 0.3])
    ends = fit_parzen(
        np.array([[0.2], [0.3], [0.6]]),
        np.ones(3),
        [Dim.continuous()],
        magic_clip=False,
        consider_endpoints=True,
    )
    assert ends.sigmas[:3, 0].tolist() == pytest.approx([0.2, 0.3, 0.4])


def test_mixed_joint_estimator_shapes_and_ranges():
    dims = [Dim.continuous(), Dim.discrete(5), Dim.categorical(4)]
    X = np.column_stack([RNG.random(10), (RNG.integers(0, 5, 10) + 0.5) / 5, RNG.integers(0, 4, 10)])
    est = fit_parzen(X, default_weights(10), dims)
    S = est.sample(np.random.default_rng(3), 200)
    assert S.shape == (200, 3)
    assert ((S[:, 0] >= 0) & (S[:, 0] <= 1)).all()
    assert set(np.round(S[:, 1] * 5 - 0.5, 9)) <= set(range(5))
    assert set(S[:, 2]) <= {0.0, 1.0, 2.0, 3.0}
    assert np.isfinite(est.log_pdf(S)).all()


def test_product_estimator_uses_separate_observations():
    a = fit_parzen(np.array([[0.1], [0.12]]), np.ones(2), [Dim.continuous()])
    b = fit_parzen(np.array([[1.0]]), np.ones(1), [Dim.categorical(2)])
    prod = ProductEstimator([a, b])
    X = np.array([[0.1, 1.0], [0.9, 0.0]])
    expected = a.log_pdf(X[:, :1]) + b.log_pdf(X[:, 1:])
    assert np.allclose(prod.log_pdf(X), expected)
    assert prod.sample(np.random.default_rng(0), 7).shape == (7, 2)


def test_default_weights_ramp():
    assert default_weights(0).shape == (0,)
    w = default_weights(100)
    assert (np.diff(w) >= 0).all() and w[-25:].tolist() == [1.0] * 25 and w[0] == pytest.approx(0.01)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weights": np.ones(2)}, "`weights` must be 3 finite non-negative numbers"),
        ({"weights": np.array([1.0, -1.0, 1.0])}, "`weights` must be 3"),
        ({"weights": np.ones(3), "prior_weight": 0.0}, "`prior_weight` must be > 0, got 0.0"),
        ({"weights": np.ones(3), "bandwidth": "silverman"}, "`bandwidth` must be 'gap' or 'scott'"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        fit_parzen(np.zeros((3, 1)), dims=[Dim.continuous()], **kwargs)

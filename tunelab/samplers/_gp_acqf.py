"""Acquisition functions and their optimiser, on arrays (no Study/Trial imports).

Acquisitions are *maximised* (callers orient ``y`` so that larger is better): log expected
improvement through the stable ``log_h`` of Ament et al. 2023 ("Unexpected improvements to
expected improvement"), UCB with a growing β, log probability of improvement, and the posterior
standard deviation (pure exploration, the active-learning acquisition).

The optimiser scores scrambled-Sobol candidates (plus perturbations of the best points) snapped
to the model encoding, refines the best few by L-BFGS-B in the continuous columns with
discrete/categorical columns fixed, then tries neighbour moves in the discrete columns.

Example:
    >>> value, _, _ = acquisition("logei", np.array([-40.0]), np.array([1.0]), best=0.0)
    >>> bool(np.isfinite(value[0]))
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import scipy.optimize
import scipy.special
from scipy.stats import qmc

from tunelab.samplers._gp import Column, GaussianProcess, snap

__all__ = ["acquisition", "gp_acquisition", "log_h", "optimize_acquisition", "ucb_beta"]

_C1 = 0.5 * math.log(2.0 * math.pi)
_C2 = 0.5 * math.log(0.5 * math.pi)
AcqKind = Literal["logei", "ucb", "pi", "uncertainty"]


def _log1mexp(x: np.ndarray) -> np.ndarray:
    """``log(1 - exp(x))`` for ``x < 0``, accurate on both sides of ``-log 2``."""
    x = np.minimum(x, -1e-300)
    out: np.ndarray = np.where(x > -math.log(2.0), np.log(-np.expm1(x)), np.log1p(-np.exp(x)))
    return out


def log_h(z: np.ndarray) -> np.ndarray:
    """``log(φ(z) + z Φ(z))``, the log of EI's shape function, finite for any finite z.

    Uses the erfcx form of Ament et al. 2023 for ``z <= -1`` and the asymptote
    ``-z²/2 - log √(2π) - 2 log|z|`` beyond ``-1/√eps``.

    Example:
        >>> bool(np.isfinite(log_h(np.array([-1e4, -40.0, 0.0, 5.0]))).all())
        True
    """
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    big = z > -1.0
    zb = z[big]
    out[big] = np.log(scipy.special.ndtr(zb) * zb + np.exp(-0.5 * zb * zb - _C1))
    mid = (~big) & (z > -1.0 / math.sqrt(np.finfo(float).eps))
    zm = z[mid]
    tail = np.log(scipy.special.erfcx(-zm / math.sqrt(2.0)) * np.abs(zm)) + _C2
    out[mid] = -0.5 * zm * zm - _C1 + _log1mexp(tail)
    far = ~(big | mid)
    out[far] = -0.5 * z[far] ** 2 - _C1 - 2.0 * np.log(np.abs(z[far]))
    return out


def ucb_beta(n_dims: int, t: int, delta: float = 0.1) -> float:
    """UCB exploration weight ``β_t = 0.2 · 2 log(d t² π² / (6 δ))`` (Srinivas et al., scaled).

    Example:
        >>> round(ucb_beta(2, 10), 3)
        3.239
    """
    t = max(int(t), 1)
    return 0.2 * 2.0 * math.log(max(n_dims, 1) * t * t * math.pi**2 / (6.0 * delta))


def acquisition(
    kind: AcqKind, mean: np.ndarray, std: np.ndarray, best: float, beta: float = 2.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Acquisition value and its derivatives with respect to ``mean`` and ``std`` (to maximise).

    ``logei``: ``log EI = log_h(z) + log σ`` with ``z = (μ − best)/σ``; ``pi``: ``log Φ(z)``;
    ``ucb``: ``μ + √β σ``; ``uncertainty``: ``σ``.

    Example:
        >>> a, da_dm, da_ds = acquisition("ucb", np.array([1.0]), np.array([0.5]), 0.0, beta=4.0)
        >>> a.tolist(), da_dm.tolist(), da_ds.tolist()
        ([2.0], [1.0], [2.0])
    """
    mean, std = np.asarray(mean, float), np.asarray(std, float)
    if kind == "ucb":
        root = math.sqrt(beta)
        return mean + root * std, np.ones_like(mean), np.full_like(std, root)
    if kind == "uncertainty":
        return std.copy(), np.zeros_like(mean), np.ones_like(std)
    z = (mean - best) / std
    if kind == "logei":
        value = log_h(z)
        dz = np.exp(scipy.special.log_ndtr(z) - value)  # h'(z) = Φ(z)
        return value + np.log(std), dz / std, (1.0 - dz * z) / std
    if kind == "pi":
        value = scipy.special.log_ndtr(z)
        dz = np.exp(-0.5 * z * z - _C1 - value)
        return value, dz / std, -dz * z / std
    raise ValueError(f"`kind` must be one of 'logei', 'ucb', 'pi', 'uncertainty', got {kind!r}.")


AcqFn = Callable[[np.ndarray, bool], tuple[np.ndarray, np.ndarray]]


def gp_acquisition(gp: GaussianProcess, kind: AcqKind, best: float, beta: float = 2.0) -> AcqFn:
    """Wrap a GP and an acquisition kind as ``f(X, grad) -> (values, gradients)``.

    Example:
        >>> from tunelab.samplers._gp import fit_gp
        >>> gp = fit_gp(np.array([[0.2], [0.8]]), np.array([0.0, 1.0]), [Column("continuous")])
        >>> values, grads = gp_acquisition(gp, "logei", best=1.0)(np.array([[0.5]]), True)
        >>> values.shape, grads.shape
        ((1,), (1, 1))
    """

    def fn(X: np.ndarray, grad: bool) -> tuple[np.ndarray, np.ndarray]:
        if not grad:
            mean, std = gp.predict(X)
            return acquisition(kind, mean, std, best, beta)[0], np.zeros_like(X)
        mean, std, dmean, dstd = gp.predict(X, grad=True)
        a, da_dm, da_ds = acquisition(kind, mean, std, best, beta)
        return a, da_dm[:, None] * dmean + da_ds[:, None] * dstd

    return fn


def _candidates(
    columns: Sequence[Column], n: int, rng: np.random.Generator, centers: np.ndarray | None
) -> np.ndarray:
    d = len(columns)
    sobol = qmc.Sobol(d, scramble=True, seed=rng)
    U = sobol.random_base2(max(int(math.ceil(math.log2(max(n, 2)))), 1))[:n]
    parts = [snap(U, columns)]
    if centers is not None and len(centers):
        cat = np.array([c.kind == "categorical" for c in columns])
        cont = ~cat
        base = np.array(centers, dtype=float, copy=True)
        for k in np.flatnonzero(cat):  # choice index -> the middle of its unit bin, as snap expects
            base[:, k] = (base[:, k] + 0.5) / columns[int(k)].n_choices
        reps = max(n // (4 * len(centers)), 1)
        for scale in (0.1, 0.01):
            local = np.repeat(base, reps, axis=0)
            local[:, cont] += rng.normal(0.0, scale, (len(local), int(cont.sum())))
            parts.append(snap(local, columns))
        if d > 4:  # high-D: also move only a few coordinates at a time (as TuRBO does)
            local = np.repeat(base, 2 * reps, axis=0)
            mask = rng.random((len(local), d)) < 3.0 / d
            local[:, cont] += mask[:, cont] * rng.normal(0.0, 0.2, (len(local), int(cont.sum())))
            local[:, cat] = np.where(mask[:, cat], rng.random((len(local), int(cat.sum()))), local[:, cat])
            parts.append(snap(local, columns))
    return np.vstack(parts)


def _refine(fn: AcqFn, X0: np.ndarray, cont: np.ndarray, maxiter: int) -> np.ndarray:
    """Joint L-BFGS-B on the continuous columns of every start (the sum separates)."""
    fixed = X0.copy()
    shape = (len(X0), int(cont.sum()))

    def f(z: np.ndarray) -> tuple[float, np.ndarray]:
        X = fixed.copy()
        X[:, cont] = z.reshape(shape)
        value, g = fn(X, True)
        return -float(np.sum(value)), -g[:, cont].ravel()

    res = scipy.optimize.minimize(
        f,
        X0[:, cont].ravel(),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, 1.0)] * (shape[0] * shape[1]),
        options={"maxiter": maxiter},
    )
    out = fixed.copy()
    out[:, cont] = res.x.reshape(shape)
    return out


def _local_discrete(
    fn: AcqFn, x: np.ndarray, value: float, columns: Sequence[Column]
) -> tuple[np.ndarray, float]:
    """One pass of neighbour moves in discrete columns and choice swaps in categorical ones."""
    moves = []
    for k, col in enumerate(columns):
        if col.kind == "discrete" and len(col.grid) > 1:
            grid = np.asarray(col.grid)
            i = int(np.argmin(np.abs(grid - x[k])))
            moves += [(k, grid[j]) for j in (i - 1, i + 1) if 0 <= j < len(grid)]
        elif col.kind == "categorical":
            moves += [(k, float(c)) for c in range(col.n_choices) if c != x[k]]
    if not moves:
        return x, value
    X = np.repeat(x[None, :], len(moves), axis=0)
    for row, (k, v) in enumerate(moves):
        X[row, k] = v
    values = fn(X, False)[0]
    i = int(np.argmax(values))
    return (X[i], float(values[i])) if values[i] > value else (x, value)


def optimize_acquisition(
    fn: AcqFn,
    columns: Sequence[Column],
    rng: np.random.Generator,
    *,
    n_candidates: int = 2048,
    n_refine: int = 5,
    centers: np.ndarray | None = None,
    maxiter: int = 100,
) -> tuple[np.ndarray, float]:
    """Maximise ``fn`` over the encoded space: QMC candidates, then L-BFGS-B from the best few.

    Scrambled-Sobol candidates (plus Gaussian perturbations of ``centers``, e.g. the best
    observations) are snapped to the grids, scored, the best ``n_refine`` refined by L-BFGS-B in
    the continuous columns with discrete/categorical columns held fixed, then one pass of
    neighbour moves in the discrete columns.

    Returns:
        The best point ``(d,)`` in the model encoding and its acquisition value.

    Example:
        >>> fn = lambda X, grad: (-np.sum((X - 0.3) ** 2, 1), -2 * (X - 0.3))
        >>> x, v = optimize_acquisition(fn, [Column("continuous")] * 2,
        ...                             np.random.default_rng(0), n_candidates=64)
        >>> np.round(x, 3).tolist()
        [0.3, 0.3]
    """
    X = _candidates(columns, n_candidates, rng, centers)
    values = fn(X, False)[0]
    cont = np.array([c.kind == "continuous" for c in columns])
    if cont.any() and n_refine > 0:
        _, first = np.unique(X, axis=0, return_index=True)
        top = first[np.argsort(-values[first])[:n_refine]]
        refined = _refine(fn, X[top], cont, maxiter)
        X = np.vstack([X, refined])
        values = np.concatenate([values, fn(refined, False)[0]])
    values = np.where(np.isfinite(values), values, -np.inf)
    i = int(np.argmax(values))
    return _local_discrete(fn, X[i], float(values[i]), columns)

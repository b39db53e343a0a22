"""Hyperparameter importances: which parameters explain the variation of the objective.

:func:`param_importances` fits a tree ensemble (scikit-learn's random forest) to the
COMPLETE trials, with every parameter encoded in the unit interval through its
distribution's ``to_unit`` (categoricals by their ordinal code, which trees can split into
any subset), and then estimates each parameter's **main effect** the way functional ANOVA
does (Hutter et al., 2014, "An Efficient Approach for Assessing Hyperparameter Importance"):

.. math::

    f_j(u) = \\mathbb{E}_{x_{-j}}\\left[\\hat f(x_j = u, x_{-j})\\right], \\qquad
    V_j = \\operatorname{Var}_u\\left[f_j(u)\\right],

with the expectation over the other parameters approximated by the observed trials (a
Monte-Carlo estimate) and ``u`` running over a grid of the parameter's unit interval (every
value for discrete and categorical parameters). The importance of ``j`` is its share
``V_j / sum_k V_k``. A parameter missing from some trials (conditional on another choice) is
encoded by a sentinel outside ``[0, 1]``, which enters the grid with the weight of the trials
that lack it.

With fewer than 8 COMPLETE trials a forest is not worth fitting:
the importances are then the normalised absolute Spearman correlations between each
parameter's code and the value.

Example:
    >>> import tunelab
    >>> study = tunelab.create_study(storage=":memory:", seed=0)
    >>> study.optimize(lambda t: 10 * t.suggest_float("a", 0, 1) + 0.1 * t.suggest_float("b", 0, 1),
    ...                n_trials=30)
    >>> importances = param_importances(study, n_trees=16)
    >>> list(importances)
    ['a', 'b']
    >>> round(sum(importances.values()), 6)
    1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from tunelab._history import complete_trials, sampled_distributions
from tunelab._imports import require
from tunelab.space import Categorical, Distribution, Float, Int

if TYPE_CHECKING:
    from tunelab.study import Study
    from tunelab.trial import FrozenTrial

__all__ = ["param_importances"]

_MIN_TRIALS_FOR_FOREST = 8  # below this many COMPLETE trials: rank correlations, not a forest

_MISSING = -1.0  # code of a parameter a trial does not have (outside the unit interval)
_GRID = 33  # grid points along a continuous parameter's unit interval


def _select(found: dict[str, Distribution], params: Sequence[str] | None, study: Study) -> list[str]:
    if params is None:
        return list(found)
    if isinstance(params, str) or not isinstance(params, Sequence):
        raise TypeError(f"`params` must be a list of parameter names or None, got {params!r}.")
    unknown = [p for p in params if p not in found]
    if unknown:
        raise ValueError(
            f"`params` names {unknown} which no COMPLETE trial of study {study.name!r} sampled; "
            f"sampled parameters: {list(found)}."
        )
    if not params:
        raise ValueError("`params` must name at least one parameter, got [].")
    return list(dict.fromkeys(params))


def _encode(trials: Sequence[FrozenTrial], names: Sequence[str],
            dists: dict[str, Distribution]) -> np.ndarray:
    """Trials as a ``(n_trials, n_params)`` matrix of unit codes, ``-1`` where missing."""
    X = np.full((len(trials), len(names)), _MISSING)
    for i, t in enumerate(trials):
        for j, name in enumerate(names):
            if name in t.params:
                X[i, j] = dists[name].to_unit(t.params[name])
    return X


def _grid(dist: Distribution, column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grid of unit codes for one parameter and the weight of each grid point."""
    discrete = isinstance(dist, (Categorical, Int)) or (isinstance(dist, Float) and dist.step is not None)
    values = dist.grid_values() if discrete and not dist.single else None
    if values is not None and len(values) <= _GRID:
        codes = np.array(sorted({dist.to_unit(v) for v in values}))
    else:
        codes = (np.arange(_GRID) + 0.5) / _GRID
    missing = float(np.mean(column == _MISSING))
    weights = np.full(len(codes), (1.0 - missing) / len(codes))
    if missing > 0:
        codes = np.append(codes, _MISSING)
        weights = np.append(weights, missing)
    return codes, weights


def _rank(a: np.ndarray) -> np.ndarray:
    order = np.argsort(a, kind="mergesort")
    ranks = np.empty(len(a))
    ranks[order] = np.arange(len(a))
    # average ranks over ties so that constant columns give zero correlation
    for value in np.unique(a):
        tied = a == value
        ranks[tied] = ranks[tied].mean()
    return ranks


def _spearman(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    ry = _rank(y)
    scores = np.zeros(X.shape[1])
    for j in range(X.shape[1]):
        rx = _rank(X[:, j])
        if np.ptp(rx) == 0 or np.ptp(ry) == 0:
            continue
        scores[j] = abs(float(np.corrcoef(rx, ry)[0, 1]))
    return scores


def _forest_main_effects(X: np.ndarray, y: np.ndarray, dists: list[Distribution],
                         n_trees: int, seed: int) -> np.ndarray:
    ensemble = require("sklearn.ensemble", extra="sklearn", feature="tunelab.importance")
    forest = ensemble.RandomForestRegressor(
        n_estimators=n_trees, max_features=1.0, min_samples_leaf=1, random_state=seed, n_jobs=1,
    )
    forest.fit(X, y)
    n = X.shape[0]
    variances = np.zeros(X.shape[1])
    for j, dist in enumerate(dists):
        codes, weights = _grid(dist, X[:, j])
        stacked = np.repeat(X[None, :, :], len(codes), axis=0)  # (k, n, d)
        stacked[:, :, j] = codes[:, None]
        effect = forest.predict(stacked.reshape(-1, X.shape[1])).reshape(len(codes), n).mean(axis=1)
        mean = float(np.sum(weights * effect))
        variances[j] = float(np.sum(weights * (effect - mean) ** 2))
    return variances


def _normalise(names: Sequence[str], scores: np.ndarray) -> dict[str, float]:
    scores = np.clip(np.nan_to_num(scores, nan=0.0), 0.0, None)
    total = float(scores.sum())
    shares = scores / total if total > 0 else np.full(len(names), 1.0 / len(names))
    pairs = sorted(zip(names, shares.tolist(), strict=True), key=lambda p: (-p[1], p[0]))
    return {name: float(share) for name, share in pairs}


def param_importances(
    study: Study, params: Sequence[str] | None = None, n_trees: int = 64, seed: int = 0
) -> dict[str, float]:
    """Share of the objective's variance that each parameter explains on its own (fANOVA-style).

    Args:
        study: A study with at least one COMPLETE trial.
        params: Parameters to rate; None rates every parameter a COMPLETE trial sampled.
        n_trees: Trees in the random forest (>= 1); more is steadier and slower.
        seed: Seed of the forest, for reproducible importances.

    Returns:
        Parameter name → importance in ``[0, 1]``, summing to 1, sorted from most important.
        If the objective never varies, every parameter gets the same share.

    Raises:
        ValueError: The study has no COMPLETE trial, or ``params`` names a parameter no
            COMPLETE trial sampled.
        ImportError: scikit-learn is missing and there are enough trials to fit a forest.

    Example:
        >>> import tunelab
        >>> study = tunelab.create_study(storage=":memory:", seed=1)
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2 + 0 * t.suggest_int("n", 1, 3),
        ...                n_trials=20)
        >>> max(param_importances(study, n_trees=8), key=param_importances(study, n_trees=8).get)
        'x'
    """
    if isinstance(n_trees, bool) or not isinstance(n_trees, int) or n_trees < 1:
        raise ValueError(f"`n_trees` must be an int >= 1, got {n_trees!r}.")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"`seed` must be an int, got {seed!r}.")
    trials = complete_trials(study)
    found = dict(sorted(sampled_distributions(trials).items()))
    if not found:
        raise ValueError(f"study {study.name!r} has COMPLETE trials but no sampled parameter to rate.")
    names = _select(found, params, study)
    X = _encode(trials, names, found)
    y = np.array([float(t.value) for t in trials])  # type: ignore[arg-type]
    if len(trials) < _MIN_TRIALS_FOR_FOREST or float(np.ptp(y)) == 0.0:
        return _normalise(names, _spearman(X, y))
    return _normalise(names, _forest_main_effects(X, y, [found[n] for n in names], n_trees, seed))

"""Tree-structured Parzen estimator (TPE) sampling: history → good/bad split → Parzen models.

The completed trials are split by the gamma rule into the best ``gamma(n)`` ("good") and the
rest ("bad"); pruned trials, and running ones under the constant liar, join the bad side. With
``observe_pruned=True`` a pruned trial is ranked with the completed ones at its last reported
value instead (right when that value estimates the final one, as for fold-level pruning).
Two Parzen mixtures are fitted in the unit encoding of the space (:mod:`tunelab.samplers._parzen`):
``l(x)`` on the good trials and ``g(x)`` on the bad. ``n_ei_candidates`` points drawn from
``l`` are scored by ``log l(x) - log g(x)`` (maximising it maximises expected improvement,
Bergstra et al., 2011) and the best is proposed.

* **Multivariate mode** (default) models the relative space jointly (Falkner et al., 2018):
  the parameters every finished trial shares with the same distribution. Parameters outside
  it (conditional ones, new ones) go through the univariate path.
* **Univariate path**: each parameter is modelled alone on the trials where it exists, so a
  parameter that only exists under ``classifier == "svm"`` is modelled on the SVM trials.
* **Geometry**: log, int and step parameters come from :meth:`Distribution.to_unit`; ints
  and steps are discrete (each value owns its bin, see ``_parzen``) and candidates are
  decoded with ``from_unit``, so they are always valid values. Categorical parameters use
  smoothed categorical kernels. scipy.stats distributions are continuous in their CDF
  encoding (the prior then follows the distribution itself).
* **Start-up**: until ``n_startup_trials`` trials have completed, random or QMC sampling.

Example:
    >>> import tunelab
    >>> sampler = TPESampler(n_startup_trials=5, seed=0)
    >>> study = tunelab.create_study(storage=":memory:", sampler=sampler)
    >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 2) ** 2, n_trials=30)
    >>> abs(study.best_params["x"] - 2) < 0.5
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tunelab.samplers._parzen import Dim, default_weights, fit_parzen
from tunelab.samplers.base import Sampler, is_observed
from tunelab.space import Categorical, Distribution, Float, Int

if TYPE_CHECKING:
    from tunelab.study import Study
    from tunelab.trial import FrozenTrial, TrialState

__all__ = ["TPESampler", "default_gamma"]

_STARTUPS = ("random", "qmc")
_MISSING: Any = object()


def default_gamma(n: int) -> int:
    """Number of "good" trials among ``n`` completed: ``min(ceil(0.1 n), 25)`` (Hyperopt, Optuna).

    Example:
        >>> default_gamma(9), default_gamma(100), default_gamma(1000)
        (1, 10, 25)
    """
    return min(math.ceil(0.1 * n), 25)


def _dim(dist: Distribution) -> Dim:
    if isinstance(dist, Categorical):
        return Dim.categorical(len(dist.choices))
    if isinstance(dist, Int):
        size = (dist.high - dist.low) // dist.step + 1
        return Dim.discrete(size, (dist.low, dist.high) if dist.log else None)
    if isinstance(dist, Float) and dist.step is not None:
        return Dim.discrete(int(round((dist.high - dist.low) / dist.step)) + 1)
    return Dim.continuous()


def _encode(dist: Distribution, value: Any) -> float:
    return float(dist.index(value)) if isinstance(dist, Categorical) else float(dist.to_unit(value))


def _decode(dist: Distribution, x: float) -> Any:
    return dist.choices[int(x)] if isinstance(dist, Categorical) else dist.from_unit(float(x))


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"`{name}` must be an int >= {minimum}, got {value!r}.")
    return int(value)


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"`{name}` must be True or False, got {value!r}.")
    return value


class _History:
    """One trial's view of the study: the good/bad split and how to encode trial values."""

    def __init__(self, good: list[FrozenTrial], bad: list[FrozenTrial], finished: list[FrozenTrial],
                 n_complete: int) -> None:
        self.good, self.bad, self.finished, self.n_complete = good, bad, finished, n_complete


class TPESampler(Sampler):
    """Tree-structured Parzen estimator sampler, univariate or multivariate.

    Args:
        n_startup_trials: Completed (see ``observe_pruned``) trials sampled by ``startup``
            before TPE takes over (>= 0).
        n_ei_candidates: Candidates drawn from ``l(x)`` per proposal (>= 1).
        gamma: ``n_complete -> n_good``; None is :func:`default_gamma`.
        multivariate: Model the shared part of the space jointly (True) or each parameter
            alone (False).
        prior_weight: Weight of the prior component in each mixture (> 0).
        consider_endpoints: Count the range ends as neighbours in univariate bandwidths.
        weights: ``n -> (n,)`` weights of observations ordered oldest first; None is
            :func:`tunelab.samplers._parzen.default_weights` (old trials ramp down after 25).
        constant_liar: RUNNING trials count as bad, so parallel workers spread out.
        startup: ``"random"`` or ``"qmc"`` (scrambled Sobol') for the start-up trials.
        seed: Seed of the sampler's generator; None draws one.
        observe_pruned: Rank PRUNED trials with the completed ones at their last reported value
            (see :func:`~tunelab.samplers.base.is_observed`) instead of filing them as bad.

    Raises:
        ValueError: An argument is out of range; TypeError: it has the wrong type.

    Example:
        >>> TPESampler(n_startup_trials=5, seed=1).describe()
        'TPESampler(n_startup_trials=5, multivariate=True, constant_liar=True, seed=1)'
    """

    def __init__(
        self,
        n_startup_trials: int = 10,
        n_ei_candidates: int = 24,
        gamma: Callable[[int], int] | None = None,
        multivariate: bool = True,
        prior_weight: float = 1.0,
        consider_endpoints: bool = False,
        weights: Callable[[int], np.ndarray] | None = None,
        constant_liar: bool = True,
        startup: str = "random",
        seed: int | None = None,
        observe_pruned: bool = False,
    ) -> None:
        super().__init__(seed)
        self.n_startup_trials = _check_int("n_startup_trials", n_startup_trials, 0)
        self.n_ei_candidates = _check_int("n_ei_candidates", n_ei_candidates, 1)
        for name, fn in (("gamma", gamma), ("weights", weights)):
            if fn is not None and not callable(fn):
                raise TypeError(f"`{name}` must be a callable or None, got {fn!r}.")
        self.gamma = gamma or default_gamma
        self.weights = weights or default_weights
        self.multivariate = _check_bool("multivariate", multivariate)
        self.consider_endpoints = _check_bool("consider_endpoints", consider_endpoints)
        self.constant_liar = _check_bool("constant_liar", constant_liar)
        self.observe_pruned = _check_bool("observe_pruned", observe_pruned)
        if isinstance(prior_weight, bool) or not isinstance(prior_weight, (int, float)) or not (
            math.isfinite(prior_weight) and prior_weight > 0
        ):
            raise ValueError(f"`prior_weight` must be a finite number > 0, got {prior_weight!r}.")
        self.prior_weight = float(prior_weight)
        if startup not in _STARTUPS:
            raise ValueError(f"`startup` must be 'random' or 'qmc', got {startup!r}.")
        self.startup = startup
        self._qmc: Sampler | None = None
        if startup == "qmc":
            from tunelab.samplers.qmc import QMCSampler

            self._qmc = QMCSampler(seed=seed)
        self._reset_caches()

    def _reset_caches(self) -> None:
        self._history_cache: tuple[Any, _History] | None = None
        self._encoded: dict[tuple[str, int], dict[str, float]] = {}
        self._space_cache: dict[str, tuple[set[int], dict[str, Distribution] | None]] = {}
        self._pending: dict[tuple[str, int], dict[str, Any]] = {}
        self._rows: dict[tuple[str, tuple[str, ...]], dict[int, list[float] | None]] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.update(_history_cache=None, _encoded={}, _space_cache={}, _pending={}, _rows={})
        return state

    def reseed(self, seed: int | None) -> None:
        """Restart the generator (and the QMC start-up's) from ``seed``.

        Example:
            >>> s = TPESampler(seed=0); s.reseed(4); s.seed
            4
        """
        super().reseed(seed)
        if self._qmc is not None:
            self._qmc.reseed(seed)

    def describe(self) -> str:
        """A short description.

        Example:
            >>> TPESampler(seed=0, multivariate=False).describe()
            'TPESampler(n_startup_trials=10, multivariate=False, constant_liar=True, seed=0)'
        """
        pruned = ", observe_pruned=True" if self.observe_pruned else ""
        return (f"TPESampler(n_startup_trials={self.n_startup_trials}, multivariate={self.multivariate}, "
                f"constant_liar={self.constant_liar}, seed={self.seed}{pruned})")

    # -- history ------------------------------------------------------------------------------
    def _history(self, study: Study, trial: FrozenTrial) -> _History:
        """The good/bad split seen by ``trial``, computed once per trial."""
        key = (study.name, trial.trial_id)
        cached = self._history_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        from tunelab.trial import TrialState

        states = [TrialState.COMPLETE, TrialState.PRUNED]
        if self.constant_liar:
            states.append(TrialState.RUNNING)
        trials = [t for t in study.get_trials(states=tuple(states)) if t.trial_id != trial.trial_id]
        observed: list[FrozenTrial] = []
        others: list[FrozenTrial] = []
        for t in trials:
            (observed if is_observed(t, pruned=self.observe_pruned) else others).append(t)
        sign = 1.0 if study.direction == "minimize" else -1.0
        n_good = min(max(int(self.gamma(len(observed))), 1), len(observed)) if observed else 0
        values = sign * np.array([t.value for t in observed], dtype=float)
        numbers = np.array([t.number for t in observed], dtype=np.int64)
        is_good = np.zeros(len(observed), dtype=bool)
        is_good[np.lexsort((numbers, values))[:n_good]] = True  # best values, ties by number
        by_number = np.argsort(numbers, kind="stable").tolist()
        good = [observed[i] for i in by_number if is_good[i]]
        bad = [observed[i] for i in by_number if not is_good[i]]
        if others:
            bad = sorted(bad + others, key=lambda t: t.number)
        finished = [t for t in trials if t.state != TrialState.RUNNING]
        history = _History(good, bad, finished, len(observed))
        self._history_cache = (key, history)
        return history

    def _values(self, study: Study, t: FrozenTrial) -> dict[str, float]:
        """Encoded parameters of ``t`` (cached once finished; pending proposals for running ones)."""
        key = (study.name, t.trial_id)
        cached = self._encoded.get(key)
        if cached is not None:
            return cached
        enc = {name: _encode(t.distributions[name], v) for name, v in t.params.items()}
        if t.state.is_finished():
            self._encoded[key] = enc
        else:
            pending = self._pending.get(key, {})
            enc = {**pending, **enc}
        return enc

    def _matrix(self, study: Study, trials: Sequence[FrozenTrial], space: dict[str, Distribution]) -> np.ndarray:
        """Rows of the trials that have every name of ``space`` (a study keeps one
        distribution per name, so the name is enough); finished trials' rows are cached."""
        names = tuple(space)
        cache = self._rows.setdefault((study.name, names), {})
        rows = []
        for t in trials:
            row = cache.get(t.trial_id, _MISSING)
            if row is _MISSING:
                enc = self._values(study, t)
                row = [enc[n] for n in names] if all(n in enc for n in names) else None
                if t.state.is_finished():
                    cache[t.trial_id] = row
            if row is not None:
                rows.append(row)
        return np.array(rows, dtype=float).reshape(len(rows), len(names))

    # -- the sampler contract -----------------------------------------------------------------
    def infer_relative_space(self, study: Study, trial: FrozenTrial) -> dict[str, Distribution]:
        """Start-up: the QMC space (if ``startup="qmc"``); then, in multivariate mode, the
        parameters every finished trial has with the same distribution."""
        history = self._history(study, trial)
        if history.n_complete < self.n_startup_trials:
            return self._qmc.infer_relative_space(study, trial) if self._qmc is not None else {}
        if not self.multivariate:
            return {}
        return self._intersection(study, history.finished)

    def _intersection(self, study: Study, finished: Sequence[FrozenTrial]) -> dict[str, Distribution]:
        seen, space = self._space_cache.get(study.name, (set(), None))
        for t in finished:
            if t.trial_id in seen:
                continue
            seen.add(t.trial_id)
            if space is None:
                space = dict(t.distributions)
            else:
                space = {n: d for n, d in space.items() if t.distributions.get(n) == d}
        self._space_cache[study.name] = (seen, space)
        return {n: d for n, d in sorted((space or {}).items()) if not d.single}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, space: dict[str, Distribution]
    ) -> dict[str, Any]:
        """Propose every parameter of ``space`` jointly from ``l(x) / g(x)``."""
        if not space:
            return {}
        history = self._history(study, trial)
        if history.n_complete < self.n_startup_trials:
            return self._qmc.sample_relative(study, trial, space) if self._qmc is not None else {}
        x = self._propose(study, history, space)
        if self.constant_liar:
            self._pending[(study.name, trial.trial_id)] = dict(zip(space, x.tolist(), strict=True))
        return {name: _decode(dist, v) for (name, dist), v in zip(space.items(), x, strict=True)}

    def sample_independent(
        self, study: Study, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        """Propose ``name`` from its own univariate model (random during start-up)."""
        history = self._history(study, trial)
        if history.n_complete < self.n_startup_trials:
            if self._qmc is not None:
                return self._qmc.sample_independent(study, trial, name, distribution)
            return distribution.from_unit(float(self._rng.random()))
        x = self._propose(study, history, {name: distribution})
        if self.constant_liar:
            self._pending.setdefault((study.name, trial.trial_id), {})[name] = float(x[0])
        return _decode(distribution, x[0])

    def after_trial(self, study: Study, trial: FrozenTrial, state: TrialState, value: float | None) -> None:
        """Forget the pending proposal of a finished trial."""
        self._pending.pop((study.name, trial.trial_id), None)

    # -- the model ----------------------------------------------------------------------------
    def _propose(self, study: Study, history: _History, space: dict[str, Distribution]) -> np.ndarray:
        """Draw candidates from ``l`` and return the one maximising ``log l - log g``: ``(d,)``."""
        dims = [_dim(d) for d in space.values()]
        below = self._matrix(study, history.good, space)
        above = self._matrix(study, history.bad, space)
        kwargs = {"prior_weight": self.prior_weight, "consider_endpoints": self.consider_endpoints,
                  "multivariate": self.multivariate and len(space) > 1}
        l_est = fit_parzen(below, self._weights(len(below)), dims, **kwargs)  # type: ignore[arg-type]
        g_est = fit_parzen(above, self._weights(len(above)), dims, **kwargs)  # type: ignore[arg-type]
        candidates = l_est.sample(self._rng, self.n_ei_candidates)
        score = l_est.log_pdf(candidates) - g_est.log_pdf(candidates)
        return np.asarray(candidates[int(np.argmax(score))])

    def _weights(self, n: int) -> np.ndarray:
        w = np.asarray(self.weights(n), dtype=float)
        if w.shape != (n,) or not np.isfinite(w).all() or (w < 0).any():
            raise ValueError(
                f"`weights({n})` must return {n} finite non-negative numbers, got shape {w.shape}."
            )
        return w

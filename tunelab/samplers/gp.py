"""Gaussian-process Bayesian optimisation: the adapter from a study's history to :mod:`._gp`.

The maths is in :mod:`tunelab.samplers._gp` (kernel, GP fit) and
:mod:`tunelab.samplers._gp_acqf` (acquisitions, optimiser). The GP is fitted to the COMPLETE
trials, and with ``observe_pruned=True`` also to the PRUNED ones at their last reported value
(:func:`~tunelab.samplers.base.observed_trials`). The relative space is the part of the space
that every observed trial shares (same name, same distribution). Each of its parameters
becomes one column of the GP's input: continuous
parameters (log scale and scipy.stats CDFs included) through their unit encoding, int and
stepped parameters through the unit encoding of their *rounded* values with proposals snapped
to the same grid, categorical parameters through a Hamming-distance kernel term. Parameters
outside the relative space (conditional ones, new names) are drawn uniformly at random.

Objective values are oriented so that the GP always maximises (``-value`` when minimising),
standardised and, for a continuous objective, Yeo-Johnson warped (:func:`._gp.warp_outputs`), so
that a tail of bad values no longer flattens the differences near the optimum. The warp cuts
both ways (docs/benchmarks.md): against the unwarped GP, warping from the first fit
(``output_warping=True``, ``tunelab-gp-warp``) lowered the median regret at 50 trials on every
synthetic problem (10 seeds), but made the search greedy on accuracy-scored models, whose
values are quantised: logreg-breast_cancer's best accuracy was found on 4 of 10 seeds, against
10 unwarped. So the default (``"auto"``) warps only once 20 observations are all distinct
(accuracies tie long before that) and never for the ``"uncertainty"`` acquisition, which
learns the function itself. With 30 seeds the default scores as well as warping from the
first fit on the synthetic suite (87.8 and 86.8 at 100 trials). Gates at 10 and 15
observations let the warp in before accuracies tie: the real suite's mean score at 100 trials
fell from 59.6 to 34.5 and 40.4 (15 seeds; logreg-breast_cancer trapped, ridge-diabetes stalled).

Expected improvement over-exploits: at a well-sampled minimum the next micro-improvement of
1e-6 still outscores an unexplored gap whose posterior is confidently (but wrongly) bad, so
on ridge-diabetes the GP refined a local minimum of alpha for 80 trials and never found the
narrow global basin. Hence the escape step (``escape_after``): once the last 10 COMPLETE
trials all lie within 0.05 of the incumbent, the next proposal must beat it by 0.1 standard
deviations (the margin ξ of scikit-optimize's EI, which we found to fix ridge-diabetes but,
applied to every proposal, to stop the final refinement on Branin and Hartmann-6) and must lie
outside that neighbourhood. Refinement goes on between escapes, so final precision is kept;
on ridge-diabetes the global basin was then found on 30 of 30 seeds (29 before).
Trials still RUNNING in other workers enter as pseudo-observations at the worst value seen
(constant liar, with the fitted hyperparameters kept), so parallel proposals spread out; threads
sharing the sampler see each other's proposals before the storage does; the
posterior-mean lie (kriging believer) left near-duplicates in tests. Above ``max_history`` observations the
GP is fitted on the best 30 % plus a random subset, which bounds the cost per trial.

Example:
    >>> import tunelab
    >>> study = tunelab.create_study(storage=":memory:",
    ...                              sampler=GPSampler(seed=0, n_startup_trials=3, n_candidates=64))
    >>> study.optimize(lambda t: (t.suggest_float("x", -2, 2) - 1) ** 2, n_trials=6)
    >>> len(study.trials)
    6
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np

from tunelab.samplers.base import Sampler, observed_trials
from tunelab.samplers.qmc import QMCSampler
from tunelab.space import Categorical, Distribution, Float, Int

if TYPE_CHECKING:
    from tunelab.samplers._gp import Column, GaussianProcess
    from tunelab.study import Study
    from tunelab.trial import FrozenTrial

__all__ = ["GPSampler", "Surrogate"]

_ACQUISITIONS = ("logei", "ucb", "pi", "uncertainty")
_MAX_GRID = 1024
_AUTO_WARP_MIN = 20  # observations, all distinct, before output_warping="auto" warps
_NEIGHBOURHOOD = 0.05  # unit-cube max-norm radius around the incumbent that counts as "local"
_ESCAPE_MARGIN = 0.1  # standardised units an escape step must improve on the incumbent by


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"`{name}` must be an int >= {minimum}, got {value!r}.")
    return int(value)


@functools.cache
def _blas_controller() -> Any:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # optional (comes with scikit-learn)
        return None
    import scipy.linalg  # noqa: F401 - scipy ships its own BLAS: load it so the controller sees it

    return ThreadpoolController()


def _one_blas_thread() -> contextlib.AbstractContextManager[Any]:
    """Run with one BLAS thread: GP matrices are small and threads fighting over busy cores
    made fitting ~8x slower in our measurements (2 shared cores)."""
    controller = _blas_controller()
    return contextlib.nullcontext() if controller is None else controller.limit(limits=1, user_api="blas")


def _column(dist: Distribution) -> Column:
    from tunelab.samplers._gp import Column

    if isinstance(dist, Categorical):
        return Column("categorical", n_choices=len(dist.choices))
    if isinstance(dist, (Int, Float)) and (isinstance(dist, Int) or dist.step is not None):
        n = (dist.high - dist.low) / (dist.step or 1) + 1
        if n <= _MAX_GRID:
            return Column("discrete", grid=tuple(sorted(dist.to_unit(v) for v in dist.grid_values())))
    return Column("continuous")


def _encode(dist: Distribution, value: Any) -> float:
    return float(dist.index(value)) if isinstance(dist, Categorical) else dist.to_unit(value)


def _decode(dist: Distribution, x: float) -> Any:
    if isinstance(dist, Categorical):
        return dist.choices[int(round(x))]
    return dist.from_unit(float(x))


def _is_row_of(x: np.ndarray, X: np.ndarray) -> bool:
    return bool(len(X)) and bool(np.any(np.all(np.abs(X - x[None]) < 1e-9, axis=1)))


def _distances(X: np.ndarray, x: np.ndarray, columns: Sequence[Column]) -> np.ndarray:
    """Max-norm distance of each row of ``X`` to ``x``; another category counts as distance 1."""
    gaps = np.abs(np.atleast_2d(X) - x[None])
    for k, col in enumerate(columns):
        if col.kind == "categorical":
            gaps[:, k] = gaps[:, k] > 0
    out: np.ndarray = gaps.max(axis=1)
    return out


def _masked(fn: Any, excluded: Callable[[np.ndarray], np.ndarray]) -> Any:
    """``fn`` with the acquisition set to -inf wherever ``excluded(X)`` is True."""

    def masked(Xq: np.ndarray, grad: bool) -> tuple[np.ndarray, ...]:
        out = fn(Xq, grad)
        return (np.where(excluded(np.atleast_2d(Xq)), -np.inf, out[0]), *out[1:])

    return masked


class Surrogate:
    """A fitted GP over a study's relative space, in the user's units, for plots and teaching.

    ``predict`` returns the posterior mean and std of the objective (same sign and scale as
    the values the objective returned); ``acquisition`` the sampler's acquisition values, from
    the model the sampler searches with (fitted to the warped values when ``output_warping`` is
    on, see :class:`GPSampler`), so its maximum is where the sampler would propose next (except
    on an escape step, which adds a margin and leaves the incumbent's neighbourhood).

    Example:
        >>> import tunelab
        >>> study = tunelab.create_study(storage=":memory:",
        ...                              sampler=GPSampler(seed=0, n_startup_trials=2, n_candidates=32))
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2, n_trials=5)
        >>> mean, std = study.sampler.surrogate(study).predict([{"x": 0.5}])
        >>> mean.shape, bool(std[0] >= 0)
        ((1,), True)
    """

    def __init__(
        self,
        gp: GaussianProcess,
        space: dict[str, Distribution],
        sign: float,
        kind: str,
        search: tuple[GaussianProcess, float, float],
    ) -> None:
        self.gp = gp
        self.space = space
        self._sign = sign
        self._kind = kind
        self._search_gp, self._best, self._beta = search

    def _matrix(self, params_list: Sequence[dict[str, Any]]) -> np.ndarray:
        rows = []
        for params in params_list:
            missing = [n for n in self.space if n not in params]
            if missing:
                raise ValueError(
                    f"`params_list` entries must give every modelled parameter; "
                    f"missing {missing} in {params!r}."
                )
            rows.append([_encode(d, params[n]) for n, d in self.space.items()])
        return np.array(rows, dtype=float).reshape(len(rows), len(self.space))

    def predict(self, params_list: Sequence[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation of the objective at each params dict.

        Example:
            >>> import tunelab
            >>> study = tunelab.create_study(storage=":memory:",
            ...     sampler=GPSampler(seed=1, n_startup_trials=2, n_candidates=32))
            >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
            >>> len(study.sampler.surrogate(study).predict([{"x": 0.1}, {"x": 0.9}])[0])
            2
        """
        mean, std = self.gp.predict(self._matrix(params_list))
        return self._sign * mean, std

    def acquisition(self, params_list: Sequence[dict[str, Any]]) -> np.ndarray:
        """The sampler's acquisition at each params dict (larger is more promising).

        Example:
            >>> import tunelab
            >>> study = tunelab.create_study(storage=":memory:",
            ...     sampler=GPSampler(seed=1, n_startup_trials=2, n_candidates=32))
            >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
            >>> study.sampler.surrogate(study).acquisition([{"x": 0.5}]).shape
            (1,)
        """
        from tunelab.samplers._gp_acqf import gp_acquisition

        fn = gp_acquisition(self._search_gp, self._kind, self._best, self._beta)  # type: ignore[arg-type]
        return fn(self._matrix(params_list), False)[0]


class GPSampler(Sampler):
    """Bayesian optimisation with a Matérn-5/2 Gaussian process (numpy/scipy only).

    Args:
        acquisition: ``"logei"`` (log expected improvement, the default), ``"ucb"`` (upper
            confidence bound with a growing β), ``"pi"`` (log probability of improvement) or
            ``"uncertainty"`` (posterior std: learns the function instead of optimising it).
        n_startup_trials: Observed trials (see ``observe_pruned``) drawn from a scrambled
            Sobol' design (:class:`~tunelab.samplers.qmc.QMCSampler` with this seed) before the
            GP is used (>= 1).
        n_candidates: QMC candidates scored per proposal before local refinement (>= 1).
        seed: Seed for reproducible proposals; None draws one from the OS.
        deterministic_objective: Fix the GP's noise at 1e-6 (the objective has no noise).
        output_warping: Fit the GP to Yeo-Johnson-warped values (see the module docstring):
            ``"auto"`` once 20 observations are all distinct (a continuous objective), True
            from the first fit, False never.
        max_history: Most observations the GP is fitted on (>= 10); beyond it a subset is used.
        escape_after: For ``"logei"`` and ``"pi"``: once this many observed trials in a row lie
            within 0.05 (max-norm, unit cube) of the incumbent, the next proposal is an escape
            step, which must beat the incumbent by a margin of 0.1 standard deviations and lie
            outside that neighbourhood (see the module docstring); None never escapes (>= 1).
        observe_pruned: Fit the GP to PRUNED trials too, at their last reported value. Right
            when that value estimates the final one (TuneSearchCV's running mean of fold
            scores); the default ignores pruned trials, as after epoch-style pruning.

    Example:
        >>> GPSampler(acquisition="ucb", seed=0).describe()
        "GPSampler(acquisition='ucb', seed=0)"
    """

    _transient: ClassVar[dict[str, Callable[[], Any]]] = {"_lock": threading.Lock, "_pending": dict}

    def __init__(
        self,
        acquisition: Literal["logei", "ucb", "pi", "uncertainty"] = "logei",
        *,
        n_startup_trials: int = 10,
        n_candidates: int = 2048,
        seed: int | None = None,
        deterministic_objective: bool = False,
        output_warping: bool | Literal["auto"] = "auto",
        max_history: int = 300,
        escape_after: int | None = 10,
        observe_pruned: bool = False,
    ) -> None:
        super().__init__(seed)
        if acquisition not in _ACQUISITIONS:
            raise ValueError(
                f"`acquisition` must be one of {', '.join(map(repr, _ACQUISITIONS))}, got {acquisition!r}."
            )
        self.acquisition: Literal["logei", "ucb", "pi", "uncertainty"] = acquisition
        self.n_startup_trials = _check_int("n_startup_trials", n_startup_trials, 1)
        self.n_candidates = _check_int("n_candidates", n_candidates, 1)
        self.max_history = _check_int("max_history", max_history, 10)
        self.escape_after = None if escape_after is None else _check_int("escape_after", escape_after, 1)
        if not isinstance(deterministic_objective, bool):
            raise TypeError(f"`deterministic_objective` must be a bool, got {deterministic_objective!r}.")
        self.deterministic_objective = deterministic_objective
        if not (isinstance(output_warping, bool) or output_warping == "auto"):
            raise ValueError(f"`output_warping` must be True, False or 'auto', got {output_warping!r}.")
        self.output_warping: bool | Literal["auto"] = output_warping
        if not isinstance(observe_pruned, bool):
            raise TypeError(f"`observe_pruned` must be True or False, got {observe_pruned!r}.")
        self.observe_pruned = observe_pruned
        self._theta: dict[tuple[Any, ...], np.ndarray] = {}
        # The start-up is AutoSampler's own QMC design with the same seed, so that AutoSampler in
        # GP mode proposes exactly what a GPSampler alone would.
        self._startup = QMCSampler(seed=self.seed)
        # Proposals of this process's unfinished trials: threads sharing the sampler see each
        # other's points before the storage has them (the lock makes propose-and-record atomic).
        self._pending: dict[tuple[str, int], list[float]] = {}
        self._lock = threading.Lock()

    def reseed(self, seed: int | None) -> None:
        super().reseed(seed)
        self._startup.reseed(seed)

    def describe(self) -> str:
        warping = "" if self.output_warping == "auto" else f", output_warping={self.output_warping}"
        escape = "" if self.escape_after == 10 else f", escape_after={self.escape_after}"
        pruned = ", observe_pruned=True" if self.observe_pruned else ""
        return f"GPSampler(acquisition={self.acquisition!r}, seed={self.seed}{warping}{escape}{pruned})"

    def _observed(self, study: Study) -> list[FrozenTrial]:
        return observed_trials(study, pruned=self.observe_pruned)

    def infer_relative_space(self, study: Study, trial: FrozenTrial) -> dict[str, Distribution]:
        """Parameters every observed trial has, with the same distribution (sorted by name).

        Example:
            >>> import tunelab
            >>> study = tunelab.create_study(storage=":memory:", sampler=GPSampler(seed=0))
            >>> study.sampler.infer_relative_space(study, None)
            {}
        """
        space: dict[str, Distribution] | None = None
        for t in self._observed(study):
            if space is None:
                space = dict(t.distributions)
            else:
                space = {n: d for n, d in space.items() if t.distributions.get(n) == d}
        return {n: space[n] for n in sorted(space or {}) if not space[n].single}  # type: ignore[index]

    def sample_relative(
        self, study: Study, trial: FrozenTrial, space: dict[str, Distribution]
    ) -> dict[str, Any]:
        if not space:
            return {}
        complete = self._observed(study)
        if len(complete) < self.n_startup_trials:
            return self._startup.sample_relative(study, trial, space)
        with self._lock, _one_blas_thread():
            params = self._propose(study, trial, space, complete)
            self._pending[(study.name, trial.trial_id)] = [_encode(d, params[n]) for n, d in space.items()]
        return params

    def after_trial(self, study: Study, trial: FrozenTrial, state: Any, value: float | None) -> None:
        """Forget the pending proposal of a finished trial."""
        self._pending.pop((study.name, trial.trial_id), None)

    def _warps(self, y: np.ndarray) -> bool:
        """Whether the search model is fitted to warped values (see the module docstring)."""
        if self.acquisition == "uncertainty" or self.output_warping is False:
            return False
        if self.output_warping is True:
            return True
        return len(y) >= _AUTO_WARP_MIN and len(np.unique(y)) == len(y)

    def _propose(
        self, study: Study, trial: FrozenTrial, space: dict[str, Distribution], complete: list[FrozenTrial]
    ) -> dict[str, Any]:
        from tunelab.samplers import _gp_acqf
        from tunelab.trial import TrialState

        model = self._fit(study, complete, space, self._rng, update_warm_start=True, for_search=True)
        gp, columns, best, beta, X, _ = model
        running = []
        for t in study.get_trials((TrialState.RUNNING,)):
            if t.number == trial.number:
                continue
            if all(n in t.params for n in space):
                running.append([_encode(d, t.params[n]) for n, d in space.items()])
            elif len(self._pending.get((study.name, t.trial_id), ())) == len(space):
                running.append(self._pending[(study.name, t.trial_id)])  # proposed here, not stored yet
        if running:
            Xr = np.array(running, dtype=float)
            gp = gp.condition_on(Xr, np.full(len(Xr), float(np.min(gp.y)) * gp.y_scale + gp.y_mean))
        mean_at_x = gp.predict(X)[0]
        centers = X[np.argsort(-mean_at_x)[:5]]
        # Plug-in incumbent: the best posterior mean at an observed point. It is the best value
        # for a noiseless fit; when the fit finds noise, the best observation overstates what
        # is reachable, and improving on it would only pay through σ, i.e. far corners.
        best = min(best, float(np.max(mean_at_x)))
        incumbent = X[int(np.argmax(mean_at_x))]
        if self._stalled(complete, space, columns, incumbent):
            fn = _masked(
                _gp_acqf.gp_acquisition(gp, self.acquisition, best + _ESCAPE_MARGIN, beta),
                lambda Xq: _distances(Xq, incumbent, columns) <= _NEIGHBOURHOOD,
            )
            centers = None
        else:
            fn = _gp_acqf.gp_acquisition(gp, self.acquisition, best, beta)
        x, _ = _gp_acqf.optimize_acquisition(
            fn, columns, self._rng, n_candidates=self.n_candidates, centers=centers
        )
        seen = X if not running else np.vstack([X, Xr])
        if _is_row_of(x, seen):  # discrete spaces: never spend a trial on a point already known
            known = _masked(fn, lambda Xq: np.array([_is_row_of(row, seen) for row in Xq]))
            x, _ = _gp_acqf.optimize_acquisition(
                known, columns, self._rng, n_candidates=self.n_candidates, centers=centers
            )
        return {n: _decode(d, x[k]) for k, (n, d) in enumerate(space.items())}

    def _stalled(
        self,
        complete: list[FrozenTrial],
        space: dict[str, Distribution],
        columns: Sequence[Column],
        incumbent: np.ndarray,
    ) -> bool:
        """Whether the last ``escape_after`` observed trials all lie near the incumbent."""
        if self.escape_after is None or self.acquisition not in ("logei", "pi"):
            return False
        if len(complete) < self.n_startup_trials + self.escape_after:
            return False
        recent = sorted(complete, key=lambda t: t.number)[-self.escape_after :]
        R = np.array([[_encode(d, t.params[n]) for n, d in space.items()] for t in recent])
        return bool(np.all(_distances(R, incumbent, columns) <= _NEIGHBOURHOOD))

    def _fit(
        self,
        study: Study,
        complete: list[FrozenTrial],
        space: dict[str, Distribution],
        rng: np.random.Generator,
        update_warm_start: bool,
        for_search: bool,
    ) -> tuple[Any, ...]:
        from tunelab.samplers import _gp, _gp_acqf

        columns = [_column(d) for d in space.values()]
        sign = 1.0 if study.direction == "maximize" else -1.0
        X = np.array([[_encode(d, t.params[n]) for n, d in space.items()] for t in complete])
        y = sign * np.array([float(t.value) for t in complete])  # type: ignore[arg-type]
        keep = np.isfinite(y)
        X, y = X[keep], y[keep]
        idx = _gp.subset_indices(y, self.max_history, rng)
        X, y = X[idx], y[idx]
        warped = for_search and self._warps(y)  # the user-units model (surrogate) is never warped
        if warped:
            y = _gp.warp_outputs(y)
        key = tuple((n, repr(d)) for n, d in space.items())
        warm = self._theta.get(key)
        restarts = (2 if len(y) <= 100 else 1) if warm is None else (1 if len(y) <= 100 else 0)
        # Long histories: refit the hyperparameters every 5th trial only (short run), reuse between.
        maxiter = 200 if warm is None or len(y) <= 100 else (50 if len(complete) % 5 == 0 else 0)
        gp = _gp.fit_gp(
            X,
            y,
            columns,
            deterministic=self.deterministic_objective,
            warm_start=warm,
            rng=rng,
            n_restarts=restarts,
            maxiter=maxiter,
        )
        if update_warm_start:
            self._theta = {key: gp.theta}
        beta = _gp_acqf.ucb_beta(len(space), len(y))
        return gp, columns, float(np.max(y)), beta, X, warped

    def sample_independent(
        self, study: Study, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        """Start-up: the QMC design's draw; afterwards uniform (a parameter the GP does not model)."""
        if len(self._observed(study)) < self.n_startup_trials:
            return self._startup.sample_independent(study, trial, name, distribution)
        return distribution.from_unit(float(self._rng.random()))

    def surrogate(self, study: Study) -> Surrogate:
        """Fit the GP to the study's observed trials and return it in the user's units.

        The sampler's own state (random stream, warm start) is left untouched.

        Raises:
            ValueError: Fewer than two observed trials share a parameter to model.

        Example:
            >>> import tunelab
            >>> study = tunelab.create_study(storage=":memory:",
            ...     sampler=GPSampler(seed=0, n_startup_trials=2, n_candidates=32))
            >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
            >>> list(study.sampler.surrogate(study).space)
            ['x']
        """
        complete = self._observed(study)
        space = self.infer_relative_space(study, None)  # type: ignore[arg-type]
        if len(complete) < 2 or not space:
            raise ValueError(
                f"`study` must have at least 2 COMPLETE trials (or PRUNED ones, with "
                f"observe_pruned=True) sharing a non-constant parameter to fit a surrogate, "
                f"got {len(complete)}."
            )
        with _one_blas_thread():
            search_gp, _, best, beta, _, warped = self._fit(
                study, complete, space, np.random.default_rng(0), update_warm_start=False, for_search=True
            )
            gp = search_gp
            if warped:  # predictions stay in user units; the acquisition is the warped model's
                gp = self._fit(study, complete, space, np.random.default_rng(0), update_warm_start=False, for_search=False)[0]
        sign = 1.0 if study.direction == "maximize" else -1.0
        return Surrogate(gp, space, sign, self.acquisition, (search_gp, best, beta))

"""Exhaustive grid search: every combination of the given values, each evaluated once.

The grid is the Cartesian product of each parameter's values: a list is taken as given, and a
:class:`~tunelab.space.Int`, :class:`~tunelab.space.Categorical` or stepped
:class:`~tunelab.space.Float` contributes its :meth:`~tunelab.space.Distribution.grid_values`.
Points are visited in row-major order **in the dict's key order** (the last key changes
fastest). Unlike scikit-learn's ``ParameterGrid``, keys are not sorted, so the order you write is
the order you get. ``shuffle=True`` visits the points in a seeded random order instead.

Each new trial takes the first point that no trial of the study has taken yet, whatever that
trial's state (RUNNING, COMPLETE, PRUNED or FAIL). A trial takes a point when its stored
parameters match it on every grid name; within one process a trial also holds the point it was
given from the moment it starts. When every point is taken, :meth:`GridSampler.exhausted` is
True and ``study.optimize`` stops.

Parallel workers: a point is never given again once the trial holding it has stored its
parameters. Between a trial's start and its first stored parameter, other processes cannot see
its point; a new trial therefore skips one free point for each such RUNNING trial numbered
before it, and :meth:`GridSampler.exhausted` counts each as holding a point. Two processes can
still, rarely, give the same point to two trials (typically the last point, when a worker
starts a trial just as another takes it); that point is then evaluated twice.

Cost: each trial reads the study's trials once, so a grid of ``n`` points costs ``O(n**2)``
comparisons in all; fine up to a few thousand points.

Example:
    >>> import tunelab
    >>> study = tunelab.create_study(storage=":memory:",
    ...                              sampler=GridSampler({"a": [1, 2], "b": ["x", "y"]}))
    >>> study.optimize(lambda t: t.suggest_int("a", 1, 2) + len(t.suggest_categorical("b", ["x", "y"])))
    >>> [(t.params["a"], t.params["b"]) for t in study.trials]
    [(1, 'x'), (1, 'y'), (2, 'x'), (2, 'y')]
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from tunelab.exceptions import SpaceError
from tunelab.samplers.base import Sampler
from tunelab.space import Categorical, Distribution

if TYPE_CHECKING:
    from tunelab.study import Study
    from tunelab.trial import FrozenTrial

__all__ = ["GridSampler"]


def _key(value: Any) -> tuple[str, Any]:
    """A comparison key under which ``1`` and ``1.0`` match but ``True`` and ``1`` do not."""
    if value is None or isinstance(value, (bool, str)):
        return (type(value).__name__, value)
    try:
        return ("number", float(value))
    except (TypeError, ValueError):
        return ("other", repr(value))


def _grid_axis(name: Any, values: Any) -> tuple[Distribution, list[Any]]:
    if not isinstance(name, str) or not name:
        raise SpaceError(f"parameter names must be non-empty str, got {name!r}.")
    if isinstance(values, Distribution):
        try:
            return values, values.grid_values()
        except SpaceError as err:
            raise SpaceError(
                f"`{name}` cannot be searched by GridSampler: {err} For example "
                f"Float(low, high, step=...) or a list of values."
            ) from None
    if isinstance(values, (list, tuple)):
        try:
            dist = Categorical(tuple(values))
        except SpaceError as err:
            raise SpaceError(f"the grid values of `{name}` are invalid: {err}") from None
        keys = [_key(v) for v in dist.choices]
        if len(set(keys)) != len(keys):
            raise SpaceError(
                f"the grid values of `{name}` must be distinct, got {list(values)!r} "
                "(numbers equal in value, such as 1 and 1.0, count as the same point)."
            )
        return dist, list(dist.choices)
    raise SpaceError(
        f"`{name}` must be a list of values or an Int, Categorical or stepped Float for "
        f"GridSampler, got {values!r}."
    )


class GridSampler(Sampler):
    """Evaluates every point of a grid once, in a fixed (or seeded shuffled) order.

    Args:
        search_space: Parameter name → list of values, or a distribution with a finite grid
            (:class:`~tunelab.space.Int`, :class:`~tunelab.space.Categorical`, stepped
            :class:`~tunelab.space.Float`). Points are ordered row-major in the dict's order.
        seed: Seed of the shuffled order; only used with ``shuffle=True``.
        shuffle: Visit the points in a random order drawn from ``seed``.

    Raises:
        SpaceError: The space is empty, a value list is empty or repeats a value, or a
            distribution is continuous.

    Example:
        >>> from tunelab import Float, Int
        >>> sampler = GridSampler({"lr": Float(0.1, 0.3, step=0.1), "depth": Int(1, 2)})
        >>> sampler.grid_size, len(sampler)
        (6, 6)
    """

    _transient: ClassVar[dict[str, Callable[[], Any]]] = {"_lock": threading.Lock, "_assigned": dict}

    def __init__(
        self, search_space: Mapping[str, Any], seed: int | None = None, shuffle: bool = False
    ) -> None:
        super().__init__(seed)
        if not isinstance(search_space, Mapping):
            raise SpaceError(
                f"`search_space` must be a dict of name -> list of values, got {type(search_space).__name__}."
            )
        if not search_space:
            raise SpaceError("`search_space` must name at least one parameter, got {}.")
        if not isinstance(shuffle, bool):
            raise TypeError(f"`shuffle` must be a bool, got {shuffle!r}.")
        axes = {name: _grid_axis(name, values) for name, values in search_space.items()}
        self._names: list[str] = list(axes)
        self._distributions: dict[str, Distribution] = {n: d for n, (d, _) in axes.items()}
        self._values: list[list[Any]] = [vals for _, vals in axes.values()]
        self._index: list[dict[tuple[str, Any], int]] = [
            {_key(v): i for i, v in enumerate(vals)} for vals in self._values
        ]
        self._sizes = [len(vals) for vals in self._values]
        self.shuffle = shuffle
        self._lock = threading.Lock()
        self._assigned: dict[int, int] = {}  # trial_id -> flat grid index
        self._order: np.ndarray | None = None
        self._make_order()

    # -- grid geometry ------------------------------------------------------------------------
    @property
    def grid_size(self) -> int:
        """Number of points in the grid.

        Example:
            >>> GridSampler({"a": [1, 2, 3], "b": [True, False]}).grid_size
            6
        """
        return math.prod(self._sizes)

    def __len__(self) -> int:
        return self.grid_size

    @property
    def search_space(self) -> dict[str, Distribution]:
        """The grid's parameters and their distributions (lists become Categorical).

        Example:
            >>> GridSampler({"a": [1, 2]}).search_space
            {'a': Categorical(choices=(1, 2))}
        """
        return dict(self._distributions)

    def point(self, index: int) -> dict[str, Any]:
        """The parameters of the ``index``-th grid point in row-major order (ignores ``shuffle``).

        Example:
            >>> GridSampler({"a": [1, 2], "b": ["x", "y", "z"]}).point(4)
            {'a': 2, 'b': 'y'}
        """
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"`index` must be an int, got {index!r}.")
        if not 0 <= index < self.grid_size:
            raise IndexError(f"`index` must lie in [0, {self.grid_size - 1}], got {index}.")
        params: dict[str, Any] = {}
        rest = int(index)
        for name, values, size in zip(
            reversed(self._names), reversed(self._values), reversed(self._sizes), strict=True
        ):
            rest, digit = divmod(rest, size)
            params[name] = values[digit]
        return {name: params[name] for name in self._names}

    def _flat_index(self, params: Mapping[str, Any]) -> int | None:
        """Row-major index of the point ``params`` matches on every grid name, else None."""
        flat = 0
        for name, index, size in zip(self._names, self._index, self._sizes, strict=True):
            if name not in params:
                return None
            digit = index.get(_key(params[name]))
            if digit is None:
                return None
            flat = flat * size + digit
        return flat

    def _make_order(self) -> None:
        if self.shuffle:
            self._order = np.random.default_rng(self.seed).permutation(self.grid_size)
        else:
            self._order = None

    def reseed(self, seed: int | None) -> None:
        """Restart from ``seed``; with ``shuffle=True`` this draws a new visiting order.

        Example:
            >>> s = GridSampler({"a": [1, 2, 3]}, shuffle=True, seed=0)
            >>> s.reseed(1); s.seed
            1
        """
        super().reseed(seed)
        self._make_order()

    # -- claims -------------------------------------------------------------------------------
    def _taken(self, trials: list[FrozenTrial], exclude: int | None = None) -> set[int]:
        """Flat indices held by ``trials`` (other than the trial with id ``exclude``)."""
        taken: set[int] = set()
        for trial in trials:
            if trial.trial_id == exclude:
                continue
            flat = self._flat_index(trial.params)
            if flat is None:
                flat = self._assigned.get(trial.trial_id)
            if flat is not None:
                taken.add(flat)
        return taken

    def _order_iter(self) -> Any:
        return iter(self._order) if self._order is not None else iter(range(self.grid_size))

    def _matches(self, flat: int, constraints: Mapping[str, Any]) -> bool:
        if not constraints:
            return True
        point = self.point(int(flat))
        return all(_key(point[name]) == _key(value) for name, value in constraints.items())

    def _constraints(self, trials: list[FrozenTrial], trial: FrozenTrial) -> dict[str, Any]:
        """Grid values ``trial`` already has: enqueued (fixed) parameters and suggested ones."""
        fixed = dict(trial.system_attrs.get("fixed_params") or {})
        for stored in trials:
            if stored.trial_id == trial.trial_id:
                fixed.update(stored.system_attrs.get("fixed_params") or {})
        merged = {**fixed, **trial.params}
        return {name: value for name, value in merged.items() if name in self._distributions}

    def _unseen(self, trials: list[FrozenTrial], before: int | None = None) -> int:
        """RUNNING trials (numbered before ``before``) holding a point nobody can see yet.

        Those were started by another process, which has chosen a point but not stored it yet.
        """
        from tunelab.trial import TrialState

        return sum(
            1
            for t in trials
            if t.state == TrialState.RUNNING
            and (before is None or t.number < before)
            and t.trial_id not in self._assigned
            and not t.system_attrs.get("fixed_params")
            and self._flat_index(t.params) is None
        )

    def _choose(self, study: Study, trial: FrozenTrial) -> int | None:
        """Pick (and remember) a free point consistent with what ``trial`` already has."""
        with self._lock:
            if trial.trial_id in self._assigned:
                return self._assigned[trial.trial_id]
            trials = study.trials
            constraints = self._constraints(trials, trial)
            taken = self._taken(trials, exclude=trial.trial_id)
            skip = 0 if constraints else self._unseen(trials, before=trial.number)
            chosen = None
            for flat in self._order_iter():
                if int(flat) not in taken and self._matches(flat, constraints):
                    chosen = int(flat)  # the last free point seen if fewer than skip + 1 remain
                    if skip == 0:
                        break
                    skip -= 1
            if chosen is None:  # every consistent point is taken (a race, or a re-run of a point)
                chosen = next((int(f) for f in self._order_iter() if self._matches(f, constraints)), None)
            if chosen is not None:
                self._assigned[trial.trial_id] = chosen
            return chosen

    # -- the sampler contract -----------------------------------------------------------------
    def infer_relative_space(self, study: Study, trial: FrozenTrial) -> dict[str, Distribution]:
        """The grid's distributions (a list of values becomes a Categorical of them).

        Example:
            >>> GridSampler({"a": [1, 2]}).infer_relative_space(None, None)
            {'a': Categorical(choices=(1, 2))}
        """
        return dict(self._distributions)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, space: dict[str, Distribution]
    ) -> dict[str, Any]:
        """The next free grid point for ``trial`` (restricted to the names in ``space``)."""
        chosen = self._choose(study, trial)
        if chosen is None:
            return {}
        point = self.point(chosen)
        return {name: value for name, value in point.items() if name in space}

    def sample_independent(
        self, study: Study, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        """The grid value of ``name`` at ``trial``'s point; SpaceError outside the grid."""
        if name not in self._distributions:
            listed = ", ".join(repr(n) for n in self._names)
            raise SpaceError(
                f"parameter {name!r} is not in the grid (grid parameters: {listed}); GridSampler "
                f"only searches the grid: add {name!r} to the grid's search_space, e.g. "
                f"GridSampler({{..., {name!r}: [values]}})."
            )
        chosen = self._choose(study, trial)
        if chosen is None:
            raise SpaceError(
                f"no grid point matches the values trial {trial.number} already has "
                f"({dict(trial.params)!r}); enqueue only values from the grid."
            )
        value = self.point(chosen)[name]
        if not distribution.contains(value):
            raise SpaceError(
                f"parameter {name!r} was suggested as {distribution!r}, which does not contain the "
                f"grid value {value!r}; make the grid's values for {name!r} lie in the suggested "
                f"range (grid values: {self._values[self._names.index(name)]!r})."
            )
        return value

    def exhausted(self, study: Study) -> bool:
        """True when every grid point has been taken by a trial of ``study``.

        Trials another process has started but not yet given parameters count as taking one
        point each.

        Example:
            >>> import tunelab
            >>> study = tunelab.create_study(storage=":memory:", sampler=GridSampler({"a": [1]}))
            >>> study.optimize(lambda t: t.suggest_categorical("a", [1]))
            >>> study.sampler.exhausted(study)
            True
        """
        with self._lock:
            trials = study.trials
            return len(self._taken(trials)) + self._unseen(trials) >= self.grid_size

    def describe(self) -> str:
        """A short description of the grid.

        Example:
            >>> GridSampler({"a": [1, 2], "b": [3, 4, 5]}).describe()
            'GridSampler(2 x 3 = 6 points, shuffle=False, seed=None)'
        """
        shape = " x ".join(str(s) for s in self._sizes)
        return f"GridSampler({shape} = {self.grid_size} points, shuffle={self.shuffle}, seed={self.seed})"

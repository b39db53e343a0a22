"""Trials: the live :class:`Trial` an objective receives, and the stored :class:`FrozenTrial`.

A ``Trial`` reaches the sampler, the pruner and the storage only through the ``Study`` it is
given, so this module imports nothing above ``space`` at run time.

Example:
    >>> import tunelab
    >>> study = tunelab.create_study(storage=":memory:", seed=0)
    >>> def objective(trial: Trial) -> float:
    ...     x = trial.suggest_float("x", -5, 5)
    ...     kind = trial.suggest_categorical("kind", ["a", "b"])
    ...     return x**2 + (1 if kind == "a" else 0)
    >>> study.optimize(objective, n_trials=5)
    >>> study.trials[0].state
    <TrialState.COMPLETE: 'COMPLETE'>
"""

from __future__ import annotations

import datetime as _dt
import enum
import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, overload

from tunelab.exceptions import ConflictingDistributionError, SpaceError, TunelabWarning
from tunelab.space import Categorical, Distribution, Float, Int

if TYPE_CHECKING:
    from tunelab.study import Study

__all__ = ["FrozenTrial", "Trial", "TrialState"]

_C = TypeVar("_C", None, bool, int, float, str)


class TrialState(str, enum.Enum):
    """Life cycle of a trial: WAITING (enqueued) → RUNNING → COMPLETE | PRUNED | FAIL.

    Example:
        >>> TrialState.COMPLETE.is_finished()
        True
    """

    WAITING = "WAITING"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    PRUNED = "PRUNED"
    FAIL = "FAIL"

    def is_finished(self) -> bool:
        """True for COMPLETE, PRUNED and FAIL, the states a trial never leaves.

        Example:
            >>> TrialState.RUNNING.is_finished()
            False
        """
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


@dataclass(frozen=True, slots=True)
class FrozenTrial:
    """A trial as stored: parameters, value, state, intermediate values, timings and attributes.

    Example:
        >>> t = FrozenTrial(number=0, trial_id=1, state=TrialState.COMPLETE, value=0.5,
        ...                 params={"x": 0.1}, distributions={"x": Float(0, 1)})
        >>> t.params["x"], t.duration
        (0.1, None)
    """

    number: int
    trial_id: int
    state: TrialState
    value: float | None = None
    params: dict[str, Any] = field(default_factory=dict)
    distributions: dict[str, Distribution] = field(default_factory=dict)
    intermediate_values: dict[int, float] = field(default_factory=dict)
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    datetime_start: _dt.datetime | None = None
    datetime_complete: _dt.datetime | None = None
    error: str | None = None

    def __post_init__(self) -> None:
        if self.number < 0:
            raise ValueError(f"`number` must be >= 0, got {self.number}.")
        if self.state == TrialState.COMPLETE and self.value is None:
            raise ValueError(f"a COMPLETE trial needs a value (trial {self.number}).")
        if set(self.params) != set(self.distributions):
            raise ValueError(f"params and distributions must name the same parameters (trial {self.number}).")

    @property
    def duration(self) -> _dt.timedelta | None:
        """Wall time from start to completion, or None while not finished.

        Example:
            >>> FrozenTrial(number=0, trial_id=1, state=TrialState.RUNNING).duration is None
            True
        """
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    @property
    def last_step(self) -> int | None:
        """The highest step reported, or None.

        Example:
            >>> FrozenTrial(number=0, trial_id=1, state=TrialState.RUNNING,
            ...             intermediate_values={0: 1.0, 3: 0.5}).last_step
            3
        """
        return max(self.intermediate_values) if self.intermediate_values else None


def _check_json(kind: str, key: str, value: Any) -> None:
    if not isinstance(key, str) or not key:
        raise TypeError(f"{kind} keys must be non-empty str, got {key!r}.")
    try:
        json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        raise TypeError(
            f"{kind} {key!r} must be JSON-serialisable (numbers, str, lists, dicts), "
            f"got {type(value).__name__}."
        ) from None


class Trial:
    """One evaluation of the objective: suggests parameters, reports progress, stores attributes.

    Created by :meth:`Study.ask` (or inside :meth:`Study.optimize`); users do not build it.

    Example:
        >>> import tunelab
        >>> study = tunelab.create_study(storage=":memory:", seed=1)
        >>> trial = study.ask()
        >>> 0.0 <= trial.suggest_float("x", 0, 1) <= 1.0
        True
        >>> study.tell(trial, 0.3).state
        <TrialState.COMPLETE: 'COMPLETE'>
    """

    def __init__(
        self,
        study: Study,
        trial_id: int,
        number: int,
        *,
        fixed_params: dict[str, Any] | None = None,
        relative_params: dict[str, Any] | None = None,
        relative_space: dict[str, Distribution] | None = None,
        datetime_start: _dt.datetime | None = None,
    ) -> None:
        self._study = study
        self._trial_id = trial_id
        self._number = number
        self._run: Any = None  # the tracked run of a tracked study (set by Study.ask)
        self._fixed = dict(fixed_params or {})
        self._relative = dict(relative_params or {})
        self._relative_space = dict(relative_space or {})
        self._params: dict[str, Any] = {}
        self._distributions: dict[str, Distribution] = {}
        self._intermediate: dict[int, float] = {}
        self._user_attrs: dict[str, Any] = {}
        self._datetime_start = datetime_start or _dt.datetime.now()

    # -- identity ---------------------------------------------------------------------------
    @property
    def number(self) -> int:
        """The trial's number in its study, from 0.

        Example:
            >>> import tunelab
            >>> tunelab.create_study(storage=":memory:").ask().number
            0
        """
        return self._number

    @property
    def trial_id(self) -> int:
        """The trial's id in the store (unique across studies)."""
        return self._trial_id

    @property
    def study(self) -> Study:
        """The study this trial belongs to."""
        return self._study

    @property
    def params(self) -> dict[str, Any]:
        """The parameters suggested so far (a copy)."""
        return dict(self._params)

    @property
    def distributions(self) -> dict[str, Distribution]:
        """The distributions of the parameters suggested so far (a copy)."""
        return dict(self._distributions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        """Attributes set with :meth:`set_user_attr` (a copy)."""
        return dict(self._user_attrs)

    @property
    def datetime_start(self) -> _dt.datetime:
        """When the trial started."""
        return self._datetime_start

    # -- suggestions ------------------------------------------------------------------------
    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        """Suggest a real value in ``[low, high]``.

        Args:
            name: Parameter name, unique in the study.
            low: Lower bound, included.
            high: Upper bound, included.
            step: Discretisation step; ``high - low`` must be a multiple of it.
            log: Sample in log space (``low > 0``, no ``step``).

        Example:
            >>> import tunelab
            >>> trial = tunelab.create_study(storage=":memory:").ask()
            >>> 1e-5 <= trial.suggest_float("lr", 1e-5, 1e-1, log=True) <= 1e-1
            True
        """
        return float(self._suggest(name, Float(low, high, log=log, step=step)))

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int:
        """Suggest an integer in ``[low, high]``.

        Example:
            >>> import tunelab
            >>> trial = tunelab.create_study(storage=":memory:").ask()
            >>> trial.suggest_int("depth", 2, 8, step=2) in (2, 4, 6, 8)
            True
        """
        return int(self._suggest(name, Int(low, high, log=log, step=step)))

    @overload
    def suggest_categorical(self, name: str, choices: Sequence[_C]) -> _C: ...
    @overload
    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any: ...
    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        """Suggest one of ``choices`` (None, bool, int, float or str).

        Example:
            >>> import tunelab
            >>> trial = tunelab.create_study(storage=":memory:").ask()
            >>> trial.suggest_categorical("kernel", ["rbf", "linear"]) in ("rbf", "linear")
            True
        """
        return self._suggest(name, Categorical(tuple(choices)))

    def suggest(self, name: str, distribution: Distribution) -> Any:
        """Suggest a value from any :class:`~tunelab.space.Distribution` (static spaces use this).

        Example:
            >>> import tunelab
            >>> trial = tunelab.create_study(storage=":memory:").ask()
            >>> trial.suggest("n", tunelab.Int(1, 1))
            1
        """
        return self._suggest(name, distribution)

    def _suggest(self, name: str, distribution: Distribution) -> Any:
        if not isinstance(name, str) or not name:
            raise SpaceError(f"parameter names must be non-empty str, got {name!r}.")
        if name in self._params:
            if self._distributions[name] != distribution:
                raise ConflictingDistributionError(
                    f"parameter {name!r} was suggested as {self._distributions[name]!r} and then "
                    f"as {distribution!r} in trial {self._number}; one name, one distribution."
                )
            return self._params[name]
        if name in self._fixed:
            value = distribution.validate(name, self._fixed[name])
        elif name in self._relative and self._relative_space.get(name) == distribution:
            value = distribution.validate(name, self._relative[name])
        elif distribution.single:
            value = distribution.from_unit(0.5)
        else:
            value = self._study.sampler.sample_independent(self._study, self.freeze(), name, distribution)
            value = distribution.validate(name, value)
        self._study._storage.set_param(self._trial_id, name, distribution, value)
        self._params[name] = value
        self._distributions[name] = distribution
        return value

    # -- progress and pruning -----------------------------------------------------------------
    def report(self, value: float, step: int) -> None:
        """Record an intermediate value (a validation score after an epoch, a fold …).

        Args:
            value: The objective's value so far; NaN is stored and leads pruners to prune.
            step: A non-negative int; reporting a step twice keeps the first value and warns.

        Example:
            >>> import tunelab
            >>> trial = tunelab.create_study(storage=":memory:").ask()
            >>> trial.report(0.7, step=1)
        """
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise TypeError(f"`step` must be an int >= 0, got {step!r}.")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"`value` must be a real number, got {value!r}.") from None
        if step in self._intermediate:
            warnings.warn(
                f"trial {self._number} already reported step {step}; the new value {number!r} is ignored.",
                TunelabWarning,
                stacklevel=2,
            )
            return
        self._study._storage.set_intermediate(self._trial_id, step, number)
        self._intermediate[step] = number

    def log(self, metrics: dict[str, Any], step: int | None = None) -> None:
        """Log metrics to this trial's run (tracked studies: ``create_study(..., track=True)``).

        In a study that is not tracked nothing is stored and a warning says so once per trial.

        Example:
            >>> import tunelab
            >>> trial = tunelab.create_study(storage=":memory:", track=True).ask()
            >>> trial.log({"train_loss": 0.25})
        """
        if self._run is None:
            if not getattr(self, "_log_warned", False):
                self._log_warned = True
                warnings.warn(
                    f"trial {self._number}: trial.log() stores nothing because the study is not tracked; "
                    "pass track=True to create_study() or optimize().", TunelabWarning, stacklevel=2)
            return
        self._run.log(metrics, step)

    def should_prune(self) -> bool:
        """Ask the study's pruner whether this trial should stop now.

        Example:
            >>> import tunelab
            >>> trial = tunelab.create_study(storage=":memory:").ask()
            >>> trial.should_prune()
            False
        """
        if not self._intermediate:
            return False
        if any(math.isnan(v) for v in self._intermediate.values()):
            return True
        return bool(self._study.pruner.prune(self._study, self.freeze()))

    def set_user_attr(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable attribute with the trial.

        Example:
            >>> import tunelab
            >>> trial = tunelab.create_study(storage=":memory:").ask()
            >>> trial.set_user_attr("n_features", 12)
            >>> trial.user_attrs
            {'n_features': 12}
        """
        _check_json("user attribute", key, value)
        self._study._storage.set_trial_user_attr(self._trial_id, key, value)
        self._user_attrs[key] = value

    def freeze(self) -> FrozenTrial:
        """A RUNNING :class:`FrozenTrial` snapshot of this trial, as samplers and pruners see it.

        Example:
            >>> import tunelab
            >>> tunelab.create_study(storage=":memory:").ask().freeze().state
            <TrialState.RUNNING: 'RUNNING'>
        """
        return FrozenTrial(
            number=self._number,
            trial_id=self._trial_id,
            state=TrialState.RUNNING,
            params=dict(self._params),
            distributions=dict(self._distributions),
            intermediate_values=dict(self._intermediate),
            user_attrs=dict(self._user_attrs),
            datetime_start=self._datetime_start,
        )

    def __repr__(self) -> str:
        return f"Trial(number={self._number}, params={self._params!r})"

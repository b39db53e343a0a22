"""Median and percentile pruning: stop a trial that does worse than most finished trials did.

At a trial's last reported step ``s``, take its best intermediate value so far (lowest when
minimising, highest when maximising) and the values that the study's COMPLETE trials reported at
the same step ``s``. When minimising, the trial is pruned if its best value is strictly greater
than the ``percentile``-th percentile of those values; when maximising, if it is strictly less
than the ``(100 - percentile)``-th percentile. PRUNED and FAIL trials are not compared against, as
in Optuna: pruned trials stopped early and would bias the threshold toward bad values.

No pruning happens before ``n_startup_trials`` trials have completed, before step
``n_warmup_steps``, at steps that are not the first reported step of their
``interval_steps``-wide window, or when fewer than ``n_min_trials`` completed trials reported
step ``s``. NaN values are ignored (a NaN in the trial itself prunes it before the pruner is
asked). The pruner keeps no state; it reads the study's stored trials.

Example:
    >>> import tunelab
    >>> study = tunelab.create_study(storage=":memory:", pruner=MedianPruner(n_startup_trials=2))
    >>> def objective(trial):
    ...     offset = trial.suggest_int("offset", 0, 9)
    ...     for step in range(5):
    ...         trial.report(offset + 1.0 / (step + 1), step)
    ...         if trial.should_prune():
    ...             raise tunelab.TrialPruned()
    ...     return offset
    >>> for offset in (1, 2, 8):
    ...     study.enqueue_trial({"offset": offset})
    >>> study.optimize(objective, n_trials=3)
    >>> [t.state.value for t in study.trials]
    ['COMPLETE', 'COMPLETE', 'PRUNED']
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from tunelab.pruners.base import Pruner, maximizing

if TYPE_CHECKING:
    from tunelab.study import Study
    from tunelab.trial import FrozenTrial

__all__ = ["MedianPruner", "PercentilePruner"]


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"`{name}` must be an int >= {minimum}, got {value!r}.")
    return int(value)


def _check_percentile(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"`percentile` must be a number in [0, 100], got {value!r}.")
    number = float(value)
    if not (math.isfinite(number) and 0.0 <= number <= 100.0):
        raise ValueError(f"`percentile` must be a number in [0, 100], got {value!r}.")
    return number


class PercentilePruner(Pruner):
    """Prunes a trial whose best value so far is worse than a percentile of completed trials at that step.

    Args:
        percentile: In ``[0, 100]``; the trial survives if it is at least as good as this
            percentile of the completed trials (25 keeps only the best quarter, 50 is the median).
        n_startup_trials: Completed trials needed before any pruning (int >= 0).
        n_warmup_steps: Steps below this are never pruned (int >= 0).
        interval_steps: Check once per window of this many steps, counted from
            ``n_warmup_steps`` (int >= 1).
        n_min_trials: Completed trials that must have reported the step (int >= 1).

    Raises:
        ValueError: An argument is outside its range.

    Example:
        >>> PercentilePruner(25.0, n_startup_trials=3).percentile
        25.0
        >>> PercentilePruner(120)
        Traceback (most recent call last):
        ...
        ValueError: `percentile` must be a number in [0, 100], got 120.
    """

    def __init__(
        self,
        percentile: float,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        n_min_trials: int = 1,
    ) -> None:
        self.percentile = _check_percentile(percentile)
        self.n_startup_trials = _check_int("n_startup_trials", n_startup_trials, 0)
        self.n_warmup_steps = _check_int("n_warmup_steps", n_warmup_steps, 0)
        self.interval_steps = _check_int("interval_steps", interval_steps, 1)
        self.n_min_trials = _check_int("n_min_trials", n_min_trials, 1)

    def _checks_at(self, steps: list[int], step: int) -> bool:
        """True if ``step`` is past warm-up and the first reported step of its interval window."""
        if step < self.n_warmup_steps:
            return False
        window_start = step - (step - self.n_warmup_steps) % self.interval_steps
        return not any(window_start <= s < step for s in steps)

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """Return True if ``trial`` is worse than the percentile at its last reported step.

        Example:
            >>> from tunelab.pruners import MedianPruner
            >>> MedianPruner().prune(None, None)
            False
        """
        if trial is None or not trial.intermediate_values:
            return False
        from tunelab.trial import TrialState

        values = trial.intermediate_values
        step = max(values)
        if not self._checks_at(list(values), step):
            return False
        complete = study.get_trials(states=(TrialState.COMPLETE,))
        if len(complete) < self.n_startup_trials:
            return False
        others = [
            t.intermediate_values[step]
            for t in complete
            if step in t.intermediate_values and not math.isnan(t.intermediate_values[step])
        ]
        if len(others) < self.n_min_trials:
            return False
        own = [v for v in values.values() if not math.isnan(v)]
        if not own:
            return False
        if maximizing(study):
            return max(own) < float(np.percentile(others, 100.0 - self.percentile))
        return min(own) > float(np.percentile(others, self.percentile))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(percentile={self.percentile}, n_startup_trials={self.n_startup_trials}, "
            f"n_warmup_steps={self.n_warmup_steps}, interval_steps={self.interval_steps}, "
            f"n_min_trials={self.n_min_trials})"
        )


class MedianPruner(PercentilePruner):
    """Prunes a trial whose best value so far is worse than the median of completed trials at that step.

    The :class:`PercentilePruner` with ``percentile=50``; the arguments are the same.

    Example:
        >>> MedianPruner(n_warmup_steps=2)
        MedianPruner(percentile=50.0, n_startup_trials=5, n_warmup_steps=2, interval_steps=1, n_min_trials=1)
    """

    def __init__(
        self,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        n_min_trials: int = 1,
    ) -> None:
        super().__init__(50.0, n_startup_trials, n_warmup_steps, interval_steps, n_min_trials)

"""The sampler contract: how a search strategy proposes parameter values.

A sampler sees the study's history (``study.get_trials(...)``, which reads the storage) and
proposes values; it never writes to storage. Two paths, as in Optuna:

1. **Relative (joint) sampling**, once per trial when it starts: :meth:`Sampler.infer_relative_space`
   names the part of the space seen before (for example the parameters every completed trial
   has), and :meth:`Sampler.sample_relative` proposes all of them together, so a model-based
   sampler can capture interactions. A relative value is used only when the objective then
   suggests that name with the same distribution.
2. **Independent sampling** for everything else (new names, conditional parameters):
   :meth:`Sampler.sample_independent` proposes one value for one distribution.

Determinism: with the same seed and a sequential study, the same history gives the same
proposals. Worker processes call :meth:`Sampler.reseed` with distinct seeds so that parallel
workers do not propose identical points.

Example:
    >>> import tunelab
    >>> from tunelab.samplers import RandomSampler
    >>> study = tunelab.create_study(storage=":memory:", sampler=RandomSampler(seed=3))
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    >>> len(study.trials)
    2
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from tunelab.space import Distribution

if TYPE_CHECKING:
    from tunelab.study import Study
    from tunelab.trial import FrozenTrial, TrialState

__all__ = ["Sampler", "is_observed", "observed_trials"]


def is_observed(trial: FrozenTrial, *, pruned: bool) -> bool:
    """Whether a model-based sampler learns from ``trial``'s value.

    COMPLETE trials always; with ``pruned=True`` also PRUNED trials that stored a finite value
    (by default their last reported intermediate value). That suits pruning whose intermediate
    values estimate the final one, such as the running mean of cross-validation folds; after
    epoch-style pruning an early loss is not comparable with a final one, so the default leaves
    pruned trials out.

    Example:
        >>> from tunelab.trial import FrozenTrial, TrialState
        >>> t = FrozenTrial(number=0, trial_id=1, state=TrialState.PRUNED, value=0.4)
        >>> is_observed(t, pruned=False), is_observed(t, pruned=True)
        (False, True)
    """
    from tunelab.trial import TrialState

    if trial.state == TrialState.COMPLETE:
        return True
    return pruned and trial.state == TrialState.PRUNED and trial.value is not None and math.isfinite(trial.value)


def observed_trials(study: Study, *, pruned: bool) -> list[FrozenTrial]:
    """The finished trials that :func:`is_observed` accepts, in trial order.

    Example:
        >>> import tunelab
        >>> from tunelab.trial import TrialState
        >>> study = tunelab.create_study(storage=":memory:")
        >>> trial = study.ask(); trial.report(0.4, 0)
        >>> _ = study.tell(trial, state=TrialState.PRUNED)
        >>> len(observed_trials(study, pruned=False)), observed_trials(study, pruned=True)[0].value
        (0, 0.4)
    """
    from tunelab.trial import TrialState

    if not pruned:
        return study.get_trials((TrialState.COMPLETE,))
    return [t for t in study.get_trials((TrialState.COMPLETE, TrialState.PRUNED)) if is_observed(t, pruned=True)]


class Sampler(ABC):
    """Base class of every sampler; subclasses implement at least :meth:`sample_independent`.

    Args:
        seed: Seed of the sampler's random generator; None draws one from the OS.

    Example:
        >>> from tunelab.samplers import RandomSampler
        >>> RandomSampler(seed=0).seed
        0
    """

    _transient: ClassVar[dict[str, Callable[[], Any]]] = {}
    """Attributes left out of a pickle (locks, per-process caches) and the factories that
    rebuild them when it is loaded."""

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for name in self._transient:
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name, factory in self._transient.items():
            setattr(self, name, factory())

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"`seed` must be an int or None, got {seed!r}.")
        self.seed = None if seed is None else int(seed)
        self._rng = np.random.default_rng(self.seed)

    def reseed(self, seed: int | None) -> None:
        """Restart the random generator from ``seed`` (worker ``k`` gets ``seed + k``).

        Example:
            >>> from tunelab.samplers import RandomSampler
            >>> s = RandomSampler(seed=0); s.reseed(5); s.seed
            5
        """
        self.seed = None if seed is None else int(seed)
        self._rng = np.random.default_rng(self.seed)

    def infer_relative_space(self, study: Study, trial: FrozenTrial) -> dict[str, Distribution]:
        """Return the part of the space to sample jointly for ``trial`` (default: none)."""
        return {}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, space: dict[str, Distribution]
    ) -> dict[str, Any]:
        """Propose values for every name in ``space`` at once (default: none)."""
        return {}

    @abstractmethod
    def sample_independent(
        self, study: Study, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        """Propose one value of ``distribution`` for parameter ``name``."""

    def exhausted(self, study: Study) -> bool:
        """True when the sampler has nothing left to propose (a finished grid); ends ``optimize``."""
        return False

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:  # noqa: B027 - optional hook
        """Hook called when a trial starts, before relative sampling."""

    def after_trial(  # noqa: B027 - optional hook
        self, study: Study, trial: FrozenTrial, state: TrialState, value: float | None
    ) -> None:
        """Hook called after a trial finished and was stored."""

    def describe(self) -> str:
        """A short description shown on the study (e.g. which sampler ``auto`` picked).

        Example:
            >>> from tunelab.samplers import RandomSampler
            >>> RandomSampler(seed=0).describe()
            'RandomSampler(seed=0)'
        """
        return f"{type(self).__name__}(seed={self.seed})"

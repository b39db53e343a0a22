"""The pruner contract: decide, from intermediate values, whether a trial should stop.

A pruner keeps no state of its own: everything it needs is in the study's stored trials,
so any process can answer for any trial. Trials whose reported values include NaN are pruned
by :meth:`tunelab.Trial.should_prune` before the pruner is asked.

Example:
    >>> from tunelab.pruners import NopPruner
    >>> NopPruner().prune(None, None)
    False
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tunelab.study import Study
    from tunelab.trial import FrozenTrial

__all__ = ["NopPruner", "Pruner", "maximizing"]


class Pruner(ABC):
    """Base class of pruners: one method, :meth:`prune`.

    Example:
        >>> issubclass(NopPruner, Pruner)
        True
    """

    @abstractmethod
    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """Return True if ``trial`` (RUNNING, with its intermediate values) should stop now."""


class NopPruner(Pruner):
    """Never prunes; the default when no pruner is given.

    Example:
        >>> NopPruner().prune(None, None)
        False
    """

    def prune(self, study: Study | None, trial: FrozenTrial | None) -> bool:
        return False


def maximizing(study: Study) -> bool:
    """True if ``study`` maximises its objective (pruners compare values in its direction).

    Example:
        >>> import tunelab
        >>> maximizing(tunelab.create_study(storage=":memory:", direction="maximize"))
        True
    """
    direction = getattr(study.direction, "value", study.direction)
    return str(direction).lower() == "maximize"

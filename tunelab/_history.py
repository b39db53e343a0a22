"""The parts of a study's history that figures and importances read: finished trials and their space."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tunelab.space import Distribution
from tunelab.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tunelab.study import Study

__all__ = ["complete_trials", "sampled_distributions"]


def complete_trials(study: Study) -> list[FrozenTrial]:
    """The study's COMPLETE trials with finite values, or a ValueError saying there are none."""
    trials = [t for t in study.get_trials((TrialState.COMPLETE,))
              if t.value is not None and math.isfinite(t.value)]
    if not trials:
        counts = {s.value: 0 for s in TrialState}
        for t in study.trials:
            counts[t.state.value] += 1
        summary = ", ".join(f"{k}={v}" for k, v in counts.items() if v) or "no trials"
        raise ValueError(
            f"study {study.name!r} has no COMPLETE trial ({summary}); at least one is needed: "
            "run study.optimize() or study.tell() a value first."
        )
    return trials


def sampled_distributions(trials: Sequence[FrozenTrial]) -> dict[str, Distribution]:
    """Every parameter the trials sampled, by name, with its distribution (in first-seen order)."""
    found: dict[str, Distribution] = {}
    for t in trials:
        for name, dist in t.distributions.items():
            found.setdefault(name, dist)
    return found

"""Random search: independent uniform draws in each parameter's unit encoding.

Log, integer and step parameters are honoured by the encoding in :mod:`tunelab.space`
(uniform in log space, equal mass per allowed value); scipy.stats distributions are sampled
through their inverse CDF.

Example:
    >>> import tunelab
    >>> study = tunelab.create_study(storage=":memory:", sampler=RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_int("n", 1, 100, log=True), n_trials=3)
    >>> all(1 <= t.params["n"] <= 100 for t in study.trials)
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tunelab.samplers.base import Sampler
from tunelab.space import Distribution

if TYPE_CHECKING:
    from tunelab.study import Study
    from tunelab.trial import FrozenTrial

__all__ = ["RandomSampler"]


class RandomSampler(Sampler):
    """Draws every parameter independently and uniformly in its unit encoding.

    Args:
        seed: Seed for reproducible sequences; None draws one from the OS.

    Example:
        >>> a = RandomSampler(seed=7)
        >>> b = RandomSampler(seed=7)
        >>> from tunelab import Float
        >>> a.sample_independent(None, None, "x", Float(0, 1)) == b.sample_independent(None, None, "x", Float(0, 1))
        True
    """

    def sample_independent(
        self, study: Study | None, trial: FrozenTrial | None, name: str, distribution: Distribution
    ) -> Any:
        return distribution.from_unit(float(self._rng.random()))

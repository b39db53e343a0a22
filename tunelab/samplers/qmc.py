"""Quasi-Monte Carlo search: Sobol' or Halton points, which cover the space more evenly than random.

Design (deterministic, stateless across processes):

* **The space.** The parameters of the study's first finished COMPLETE trial (earliest
  completion) form the QMC space, in sorted name order; it never changes afterwards, so every
  trial reads coordinates of the same sequence. Single-valued parameters are left out.
* **The point.** Trial number ``n`` takes point ``n`` of the sequence, so parallel workers, which
  get distinct trial numbers, take distinct points without talking to each other.
* **Everything else** (the trials before any has completed, conditional parameters the first
  trial did not have) is drawn uniformly in the unit encoding from a generator seeded by
  ``(seed, trial number, parameter name)``: reproducible, and independent of the order in which
  workers run.
* **Seeding.** The scramble comes from ``seed``; a sampler created without one draws it once, or
  takes the first seed given to :meth:`QMCSampler.reseed` (as ``create_study(seed=...)`` does).
  Later reseeds (parallel workers get ``seed + k``) keep that sequence, since distinct trial
  numbers already keep workers apart.

Sobol' points are drawn in power-of-two blocks, so scipy's balance warning never fires.

Example:
    >>> import tunelab
    >>> study = tunelab.create_study(storage=":memory:", sampler=QMCSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 1, 4), n_trials=8)
    >>> len({t.params["x"] for t in study.trials})
    8
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from tunelab.samplers.base import Sampler
from tunelab.space import Distribution

if TYPE_CHECKING:
    from tunelab.study import Study
    from tunelab.trial import FrozenTrial

__all__ = ["QMCSampler"]

_QMC_TYPES = ("sobol", "halton")
_MAX_SEED = 2**63 - 1


class QMCSampler(Sampler):
    """Samples the joint space along a scrambled Sobol' or Halton sequence (scipy.stats.qmc).

    Args:
        qmc_type: ``"sobol"`` (default) or ``"halton"``.
        scramble: Randomise the sequence (Owen scrambling for Sobol', permutations for Halton);
            without it the first point is the lower corner of the space.
        seed: Seed of the scramble and of the independent draws; None draws one.

    Raises:
        ValueError: ``qmc_type`` is not one of the allowed names.

    Example:
        >>> from tunelab import Float
        >>> QMCSampler(qmc_type="halton", seed=1).describe()
        "QMCSampler(qmc_type='halton', scramble=True, seed=1)"
    """

    _transient: ClassVar[dict[str, Callable[[], Any]]] = {"_lock": threading.Lock, "_blocks": dict}

    def __init__(self, qmc_type: str = "sobol", scramble: bool = True, seed: int | None = None) -> None:
        super().__init__(seed)
        if not isinstance(qmc_type, str) or qmc_type.lower() not in _QMC_TYPES:
            raise ValueError(
                f"`qmc_type` must be one of {', '.join(repr(t) for t in _QMC_TYPES)}, got {qmc_type!r}."
            )
        if not isinstance(scramble, bool):
            raise TypeError(f"`scramble` must be a bool, got {scramble!r}.")
        self.qmc_type = qmc_type.lower()
        self.scramble = scramble
        self._sequence_seed = self.seed if self.seed is not None else int(self._rng.integers(_MAX_SEED))
        self._seeded = self.seed is not None
        self._lock = threading.Lock()
        self._blocks: dict[int, np.ndarray] = {}

    def reseed(self, seed: int | None) -> None:
        """Reseed; the QMC sequence follows the first seed given and then stays (see module doc).

        Example:
            >>> s = QMCSampler()
            >>> s.reseed(3); s.seed
            3
        """
        super().reseed(seed)
        if seed is not None and not self._seeded:
            self._sequence_seed = int(seed)
            self._seeded = True
            with self._lock:
                self._blocks = {}

    # -- the sequence -------------------------------------------------------------------------
    def _engine(self, d: int) -> Any:
        from scipy.stats import qmc

        rng = np.random.default_rng(self._sequence_seed % 2**64)
        if self.qmc_type == "sobol":
            return qmc.Sobol(d, scramble=self.scramble, rng=rng)
        return qmc.Halton(d, scramble=self.scramble, rng=rng)

    def point(self, index: int, d: int) -> np.ndarray:
        """Point ``index`` of the ``d``-dimensional sequence, in ``[0, 1)^d``.

        Example:
            >>> s = QMCSampler(scramble=False)
            >>> s.point(0, 2).tolist(), s.point(1, 2).tolist()
            ([0.0, 0.0], [0.5, 0.5])
        """
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
            raise ValueError(f"`index` must be an int >= 0, got {index!r}.")
        with self._lock:
            block = self._blocks.get(d)
            if block is None or index >= len(block):
                m = max(int(index).bit_length(), 4)  # 2**m > index, at least 16 points
                engine = self._engine(d)
                if self.qmc_type == "sobol":
                    block = engine.random_base2(m)
                else:
                    block = engine.random(2**m)
                self._blocks[d] = block
            return np.array(block[index])

    # -- the sampler contract -----------------------------------------------------------------
    def infer_relative_space(self, study: Study, trial: FrozenTrial) -> dict[str, Distribution]:
        """The parameters of the study's first finished COMPLETE trial, sorted by name."""
        from tunelab.trial import TrialState

        complete = study.get_trials(states=(TrialState.COMPLETE,))
        if not complete:
            return {}
        first = min(complete, key=lambda t: (t.datetime_complete is None, t.datetime_complete or 0, t.number))
        return {
            name: first.distributions[name]
            for name in sorted(first.distributions)
            if not first.distributions[name].single
        }

    def sample_relative(
        self, study: Study, trial: FrozenTrial, space: dict[str, Distribution]
    ) -> dict[str, Any]:
        """Coordinates of point ``trial.number`` mapped through each distribution's unit encoding."""
        if not space:
            return {}
        u = self.point(trial.number, len(space))
        return {name: dist.from_unit(float(x)) for (name, dist), x in zip(space.items(), u, strict=True)}

    def sample_independent(
        self, study: Study, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        """A uniform draw seeded by ``(seed, trial number, name)``."""
        key = zlib.crc32(name.encode("utf-8"))
        rng = np.random.default_rng([self._sequence_seed % 2**64, trial.number, key])
        return distribution.from_unit(float(rng.random()))

    def describe(self) -> str:
        """A short description.

        Example:
            >>> QMCSampler(seed=0).describe()
            "QMCSampler(qmc_type='sobol', scramble=True, seed=0)"
        """
        return f"QMCSampler(qmc_type={self.qmc_type!r}, scramble={self.scramble}, seed={self.seed})"

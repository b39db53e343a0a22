"""Samplers: the search strategies that propose parameter values.

``get_sampler`` turns the names accepted by :func:`tunelab.create_study` and
:func:`tunelab.tune` into sampler objects. Model-based samplers (``"tpe"``, ``"gp"``,
``"auto"``) are imported only when asked for, so ``import tunelab.samplers`` stays cheap
(no scipy).

Example:
    >>> from tunelab.samplers import get_sampler
    >>> get_sampler("random", seed=1).describe()
    'RandomSampler(seed=1)'
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from tunelab.exceptions import SpaceError
from tunelab.samplers.base import Sampler
from tunelab.samplers.grid import GridSampler
from tunelab.samplers.qmc import QMCSampler
from tunelab.samplers.random import RandomSampler

__all__ = ["GridSampler", "QMCSampler", "RandomSampler", "Sampler", "get_sampler"]

# name -> (module, class) for samplers that load lazily
_LAZY = {
    "tpe": ("tunelab.samplers.tpe", "TPESampler"),
    "gp": ("tunelab.samplers.gp", "GPSampler"),
    "auto": ("tunelab.samplers.auto", "AutoSampler"),
}
_NAMES = ("auto", "random", "grid", "qmc", "tpe", "gp")


def _seeded(sampler: Sampler, seed: int | None) -> Sampler:
    if seed is None or sampler.seed == seed:
        return sampler
    if sampler.seed is None:
        sampler.reseed(seed)
        return sampler
    raise ValueError(
        f"`seed` was given twice, as {seed!r} and as the sampler's own seed {sampler.seed!r}; "
        "give the seed to the sampler or to create_study, not both."
    )


def get_sampler(
    spec: str | Sampler | None,
    *,
    seed: int | None = None,
    space: Mapping[str, Any] | None = None,
    observe_pruned: bool = False,
) -> Sampler:
    """Resolve a sampler name or object, as ``create_study(sampler=..., seed=...)`` does.

    Args:
        spec: A :class:`Sampler` (used as is), None or ``"auto"`` (pick by space and budget),
            ``"random"``, ``"grid"``, ``"qmc"``, ``"tpe"`` or ``"gp"`` (case-insensitive).
        seed: Seed for a sampler built from a name; for a Sampler object, reseeds it if it has
            no seed of its own.
        space: The static search space; required by ``"grid"`` (it is the grid).
        observe_pruned: For ``"auto"``, ``"tpe"`` and ``"gp"`` built from a name: learn from
            PRUNED trials at their last reported value (see
            :func:`~tunelab.samplers.base.is_observed`). Other names learn nothing from values,
            and a Sampler object keeps its own setting.

    Returns:
        The sampler.

    Raises:
        ValueError: Unknown name, or two different seeds (object's and ``seed``).
        SpaceError: ``"grid"`` without a ``space``.
        TypeError: ``spec`` is neither a str, a Sampler nor None.

    Example:
        >>> get_sampler("grid", space={"a": [1, 2, 3]}).grid_size
        3
        >>> get_sampler(RandomSampler(), seed=4).seed
        4
    """
    if isinstance(spec, Sampler):
        return _seeded(spec, seed)
    if spec is None:
        spec = "auto"
    if not isinstance(spec, str):
        raise TypeError(f"`sampler` must be a Sampler, a name ({', '.join(_NAMES)}) or None, got {spec!r}.")
    name = spec.strip().lower()
    if name == "random":
        return RandomSampler(seed=seed)
    if name == "qmc":
        return QMCSampler(seed=seed)
    if name == "grid":
        if space is None:
            raise SpaceError(
                "GridSampler needs a search space: pass one to tunelab.tune(fn, space, "
                "sampler='grid') or give create_study a GridSampler({'x': [1, 2, 3], ...})."
            )
        return GridSampler(space, seed=seed)
    if name in _LAZY:
        module_name, class_name = _LAZY[name]
        sampler: Sampler = getattr(importlib.import_module(module_name), class_name)(
            seed=seed, observe_pruned=observe_pruned
        )
        return sampler
    raise ValueError(f"`sampler` must be one of {', '.join(repr(n) for n in _NAMES)}, got {spec!r}.")

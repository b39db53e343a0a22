"""Pruners: stop unpromising trials early from their intermediate values.

Example:
    >>> from tunelab.pruners import get_pruner
    >>> get_pruner("median")
    MedianPruner(percentile=50.0, n_startup_trials=5, n_warmup_steps=0, interval_steps=1, n_min_trials=1)
"""

from __future__ import annotations

from tunelab.pruners.base import NopPruner, Pruner
from tunelab.pruners.folds import FoldPruner
from tunelab.pruners.median import MedianPruner, PercentilePruner

__all__ = ["FoldPruner", "MedianPruner", "NopPruner", "PercentilePruner", "Pruner", "get_pruner"]

_NAMES = ("none", "median", "folds")


def get_pruner(spec: str | Pruner | None) -> Pruner:
    """Resolve a pruner name or object, as ``create_study(pruner=...)`` does.

    Args:
        spec: A :class:`Pruner` (used as is), None or ``"none"`` (never prune), ``"median"``
            (:class:`MedianPruner` with its defaults) or ``"folds"`` (:class:`FoldPruner`, the
            paired fold-by-fold rule for cross-validation); names are case-insensitive.

    Returns:
        The pruner.

    Raises:
        ValueError: Unknown name.
        TypeError: ``spec`` is neither a str, a Pruner nor None.

    Example:
        >>> isinstance(get_pruner(None), NopPruner)
        True
        >>> get_pruner("hyper")
        Traceback (most recent call last):
        ...
        ValueError: `pruner` must be a Pruner, None or one of 'none', 'median', 'folds', got 'hyper'.
    """
    if isinstance(spec, Pruner):
        return spec
    if spec is None:
        return NopPruner()
    if not isinstance(spec, str):
        raise TypeError(f"`pruner` must be a Pruner, None or a name ({', '.join(_NAMES)}), got {spec!r}.")
    name = spec.strip().lower()
    if name == "none":
        return NopPruner()
    if name == "median":
        return MedianPruner()
    if name == "folds":
        return FoldPruner()
    raise ValueError(
        f"`pruner` must be a Pruner, None or one of {', '.join(repr(n) for n in _NAMES)}, got {spec!r}."
    )

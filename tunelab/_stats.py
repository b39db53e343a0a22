"""Small statistics on arrays shared by repeated runs and nested cross-validation.

No Study or Trial imports: plain sequences of floats in, floats out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["mean_std_ci"]


def mean_std_ci(values: Sequence[float], level: float = 0.95) -> tuple[float, float, tuple[float, float]]:
    """Mean, sample standard deviation (ddof=1) and a two-sided Student-t confidence interval.

    The interval is ``mean ± t_{(1+level)/2, n-1} · std / sqrt(n)``. With one value the
    standard deviation and the interval are NaN (no spread can be estimated).

    Args:
        values: ``(n,)`` finite numbers, ``n >= 1``.
        level: Coverage of the interval, in ``(0, 1)``.

    Returns:
        ``(mean, std, (low, high))``.

    Example:
        >>> m, s, (lo, hi) = mean_std_ci([1.0, 2.0, 3.0])
        >>> m, s, round(lo, 4), round(hi, 4)
        (2.0, 1.0, -0.4841, 4.4841)
    """
    import numpy as np

    data = np.asarray(values, dtype=float)
    if data.ndim != 1 or data.size == 0:
        raise ValueError(f"`values` must be a non-empty 1-d sequence of numbers, got shape {data.shape}.")
    if not 0.0 < level < 1.0:
        raise ValueError(f"`level` must lie in (0, 1), got {level!r}.")
    mean = float(data.mean())
    if data.size < 2:
        return mean, math.nan, (math.nan, math.nan)
    from scipy import stats

    std = float(data.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2.0, data.size - 1)) * std / math.sqrt(data.size)
    return mean, std, (mean - half, mean + half)

"""Server-side downsampling of long metric series that keeps every extreme (min/max per bucket).

A series of ``n`` points is cut into equal-count buckets; from each bucket the points holding
the smallest and the largest value are kept, in step order, together with the first and the
last point. Spikes and dips therefore survive at any zoom, which a stride or an average would
lose. When the requested step range holds at most ``max_points`` points the series is
returned exactly, so a client that zooms in asks for the visible range and gets raw data.

Example:
    >>> import numpy as np
    >>> steps = np.arange(10_000)
    >>> values = np.zeros(10_000); values[4321] = 9.0; values[77] = -3.0
    >>> idx = minmax_indices(values, 100)
    >>> len(idx) <= 100, 4321 in idx, 77 in idx, int(idx[0]), int(idx[-1])
    (True, True, True, 0, 9999)
"""

from __future__ import annotations

import numpy as np

__all__ = ["minmax_indices", "window"]


def minmax_indices(values: np.ndarray, max_points: int) -> np.ndarray:
    """Indices (ascending) of at most ``max_points`` points that keep each bucket's min and max.

    Non-finite values never win a bucket's min or max unless the whole bucket is non-finite,
    in which case its first point is kept (it shows as a gap).

    Args:
        values: One-dimensional float array.
        max_points: Upper bound on the number of indices returned (>= 4).

    Example:
        >>> minmax_indices(np.array([0.0, 5.0, 1.0, -2.0, 3.0, 0.0]), 4).tolist()
        [0, 1, 3, 5]
    """
    n = len(values)
    if max_points < 4:
        raise ValueError(f"`max_points` must be an int >= 4, got {max_points!r}.")
    if n <= max_points:
        return np.arange(n)
    all_finite = bool(np.isfinite(values).all())
    n_buckets = (max_points - 2) // (2 if all_finite else 3)
    size = -(-n // n_buckets)  # ceiling division
    padded = np.full(n_buckets * size, np.nan)
    padded[:n] = values
    finite = np.isfinite(padded)
    low = np.where(finite, padded, np.inf).reshape(n_buckets, size)
    high = np.where(finite, padded, -np.inf).reshape(n_buckets, size)
    offsets = np.arange(n_buckets) * size
    parts = [offsets + low.argmin(axis=1), offsets + high.argmax(axis=1), np.array([0, n - 1])]
    if not all_finite:  # a NaN/inf (a diverged run) shows as a gap at any zoom
        bad = ~finite.reshape(n_buckets, size)  # padding is NaN too, but lies past n: dropped below
        has = bad.any(axis=1)
        parts.append((offsets + bad.argmax(axis=1))[has])
    picks = np.concatenate(parts)
    picks = picks[picks < n]
    return np.unique(picks)


def window(steps: np.ndarray, start: float | None, end: float | None) -> slice:
    """The slice of sorted ``steps`` inside ``[start, end]`` (None: open on that side).

    Example:
        >>> window(np.arange(10), 2, 4)
        slice(2, 5, None)
    """
    lo = 0 if start is None else int(np.searchsorted(steps, start, side="left"))
    hi = len(steps) if end is None else int(np.searchsorted(steps, end, side="right"))
    return slice(lo, max(lo, hi))

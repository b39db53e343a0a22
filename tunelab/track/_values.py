"""Checking what users log: metric dicts, steps and configs (private helpers of the tracker).

Metric values may be ints, floats, bools, numpy scalars or 0-d arrays, or anything with
``__float__`` (a 0-d torch tensor); NaN and inf are kept. Strings, containers and complex
numbers are rejected with a :class:`~tunelab.exceptions.TrackingError` naming the key.
Configs are turned into JSON-able values: numpy scalars and arrays, paths, tuples, sets,
enums and dataclasses become numbers, strings, lists and dicts.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from tunelab.exceptions import TrackingError

__all__ = ["clean_metrics", "check_step", "jsonable"]


def _metric_value(key: Any, value: Any) -> float:
    if isinstance(value, np.ndarray):
        if value.ndim != 0:
            raise TrackingError(
                f"metric {key!r} must be a number, got an array of shape {value.shape}; log one number per key "
                "(e.g. its mean) or one key per element."
            )
        value = value.item()
    if isinstance(value, (str, bytes, Mapping, list, tuple, set, complex, np.complexfloating)) or value is None:
        raise TrackingError(
            f"metric {key!r} must be a real number (int, float, bool, numpy scalar), got {type(value).__name__} "
            f"{value!r:.60}; put text in config or notes and log nested values under keys such as 'val/loss'."
        )
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        raise TrackingError(
            f"metric {key!r} must be a real number (int, float, bool, numpy scalar), got {type(value).__name__}."
        ) from None


def clean_metrics(metrics: Any) -> dict[str, float]:
    """Return ``metrics`` as ``{str: float}`` or raise TrackingError (nothing is kept then).

    Example:
        >>> clean_metrics({"loss": np.float32(0.5), "ok": True, "n": 3})
        {'loss': 0.5, 'ok': 1.0, 'n': 3.0}
    """
    if not isinstance(metrics, Mapping):
        raise TrackingError(f"`metrics` must be a dict of name -> number, got {type(metrics).__name__}.")
    clean: dict[str, float] = {}
    for key, value in metrics.items():
        if type(key) is not str or not key:
            raise TrackingError(f"metric names must be non-empty str, got {key!r}.")
        kind = type(value)
        clean[key] = value if kind is float else float(value) if kind is int else _metric_value(key, value)
    return clean


def check_step(step: Any, last: int) -> int:
    """Return ``step`` as an int >= max(0, ``last``) or raise TrackingError.

    Example:
        >>> check_step(np.int64(4), 3)
        4
    """
    if isinstance(step, bool) or not isinstance(step, (int, np.integer, float, np.floating)):
        raise TrackingError(f"`step` must be an int >= 0, got {type(step).__name__} {step!r}.")
    if not isinstance(step, (int, np.integer)):
        if not math.isfinite(step) or step != int(step):
            raise TrackingError(f"`step` must be a finite whole number >= 0, got {step!r}.")
    number = int(step)
    if number < 0:
        raise TrackingError(f"`step` must be an int >= 0, got {number}.")
    if number < last:
        raise TrackingError(
            f"`step` must not go backwards: got {number} after step {last}; pass step=None to use the next "
            f"step ({last + 1}) or a step >= {last}."
        )
    return number


def jsonable(value: Any, where: str = "config") -> Any:
    """A JSON-able copy of ``value`` (numpy, paths, tuples, sets, enums, dataclasses converted).

    Raises:
        TrackingError: An object that has no JSON form (its path in ``where`` is named).

    Example:
        >>> import pathlib
        >>> jsonable({"lr": np.float64(0.1), "dims": (1, 2), "out": pathlib.Path("/tmp/x"), "a": np.arange(2)})
        {'lr': 0.1, 'dims': [1, 2], 'out': '/tmp/x', 'a': [0, 1]}
    """
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise TrackingError(f"{where} keys must be str, got {key!r}.")
            out[str(key)] = jsonable(item, f"{where}[{key!r}]")
        return out
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, enum.Enum):
        return jsonable(value.value, where)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value), where)
    if isinstance(value, (list, tuple)):
        return [jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v, where) for v in value), key=repr)
    raise TrackingError(
        f"{where} must hold JSON-able values (numbers, str, lists, dicts, numpy values, paths), "
        f"got {type(value).__name__}; store str(value) instead."
    )

"""HTTP helpers of the dashboard: strict JSON (NaN/inf → null), CSV, errors and query parameters.

Only plain Python and numpy here; Starlette response classes are imported inside the functions
so that the pure helpers can be tested (and doctested) without the web stack.

Example:
    >>> import numpy as np
    >>> jsonable({"a": float("nan"), "b": np.array([1.0, np.inf]), "c": (1, "x")})
    {'a': None, 'b': [1.0, None], 'c': [1, 'x']}
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as _dt
import io
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["ApiError", "csv_text", "jsonable", "dumps"]


class ApiError(Exception):
    """An answer other than 200: ``status`` and a message for the user (sent as ``{"error": ...}``).

    Example:
        >>> ApiError(404, "no run 'abc'").status
        404
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _array(a: np.ndarray) -> list[Any]:
    if a.dtype.kind == "f":
        items = a.tolist()
        if not np.isfinite(a).all():
            return [jsonable(v) for v in items]
        return items  # type: ignore[no-any-return]
    if a.dtype.kind in "iub":
        return a.tolist()  # type: ignore[no-any-return]
    return [jsonable(v) for v in a.tolist()]


def jsonable(obj: Any) -> Any:
    """``obj`` as plain JSON types: non-finite floats become None, arrays lists, dates ISO text.

    Example:
        >>> jsonable({1: float("-inf")})
        {'1': None}
    """
    if obj is None or isinstance(obj, (str, bool, int)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, np.ndarray):
        return _array(obj)
    if isinstance(obj, np.generic):
        return jsonable(obj.item())
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (_dt.datetime, _dt.date)):
        return obj.isoformat()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    return str(obj)


def dumps(obj: Any) -> bytes:
    """Strict JSON bytes of :func:`jsonable` (``allow_nan=False``: never ``NaN`` in the output).

    Example:
        >>> dumps([float("nan"), 1])
        b'[null,1]'
    """
    return json.dumps(jsonable(obj), allow_nan=False, separators=(",", ":")).encode()


def _cell(value: Any) -> Any:
    """One CSV cell: JSON for containers, blank for None, formulas defused with a leading quote."""
    if value is None:
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (dict, list, tuple)):
        value = json.dumps(jsonable(value))
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(value)
        except ValueError:
            return "'" + value  # a spreadsheet would run it as a formula
    return value


def csv_text(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """CSV with a header row; cells that a spreadsheet would evaluate are prefixed with ``'``.

    Example:
        >>> print(csv_text(["name", "lr"], [["=cmd()", 0.1], ["b", None]]), end="")
        name,lr
        '=cmd(),0.1
        b,
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([_cell(c) for c in columns])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return buffer.getvalue()

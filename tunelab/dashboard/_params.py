"""Reading query parameters strictly: a bad value is answered 400 with a message naming it.

Example:
    >>> int_param({"limit": "20"}, "limit", 50, 1, 500)
    20
    >>> int_param({"limit": "0"}, "limit", 50, 1, 500)
    Traceback (most recent call last):
    ...
    tunelab.dashboard._http.ApiError: `limit` must be an integer in [1, 500], got '0'.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from tunelab.dashboard._http import ApiError

__all__ = ["choice_param", "float_param", "id_param", "int_param", "list_param"]

_RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def int_param(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """An integer in ``[low, high]``; absent gives ``default``."""
    text = query.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ApiError(400, f"`{name}` must be an integer in [{low}, {high}], got {text!r}.")
    return value


def float_param(query: Mapping[str, str], name: str) -> float | None:
    """A finite number, or None when absent."""
    text = query.get(name)
    if text is None or text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ApiError(400, f"`{name}` must be a finite number, got {text!r}.")
    return value


def choice_param(query: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    """One of ``choices``; absent gives ``default``.

    Example:
        >>> choice_param({}, "order", ("asc", "desc"), "desc")
        'desc'
    """
    text = query.get(name) or default
    if text not in choices:
        raise ApiError(400, f"`{name}` must be one of {', '.join(choices)}, got {text!r}.")
    return text


def list_param(query: Any, name: str) -> list[str]:
    """Values given as ``name=a&name=b`` or ``name=a,b`` (blank items dropped).

    Example:
        >>> list_param({"keys": "a, b,,c"}, "keys")
        ['a', 'b', 'c']
    """
    raw = query.getlist(name) if hasattr(query, "getlist") else [query.get(name) or ""]
    return [item.strip() for text in raw for item in text.split(",") if item.strip()]


def id_param(value: str, what: str = "run id") -> str:
    """A run id from the path: letters, digits, ``_`` and ``-``, at most 64 characters.

    Example:
        >>> id_param("0123456789ab")
        '0123456789ab'
    """
    if not _RUN_ID.match(value):
        raise ApiError(400, f"the {what} must be 1-64 letters, digits, '_' or '-', got {value[:80]!r}.")
    return value

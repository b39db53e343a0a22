"""Filtering, sorting and flattening of runs for the runs table (pure Python, no web stack).

A filter is ``KEY OP VALUE`` with OP one of ``= != > >= < <= ~`` (``~``: contains, case-blind).
KEY is ``config.NAME`` (nested config keys joined with dots), ``summary.METRIC`` (the metric's
last value) or one of the run's own fields (``name``, ``state``, ``group``, ``project``,
``notes``, ``study``); a bare name that is none of those means ``config.NAME``. VALUE is read
as JSON when it parses (``0.1``, ``true``, ``"a b"``), else as text.

Example:
    >>> f = parse_filter("config.lr>=0.01")
    >>> (f.key, f.op, f.value)
    ('config.lr', '>=', 0.01)
    >>> row = {"name": "a", "config": {"lr": 0.1}, "summary": {}}
    >>> f.matches(row)
    True
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["RUN_FIELDS", "Filter", "flatten", "parse_filter", "row_value", "sort_rows", "text_match"]

RUN_FIELDS = ("run_id", "name", "state", "group", "project", "notes", "study", "created_at",
              "finished_at", "duration")
_OPS = ("!=", ">=", "<=", "=", ">", "<", "~")
_FILTER = re.compile(r"^\s*([^=!<>~]+?)\s*(!=|>=|<=|=|>|<|~)\s*(.*?)\s*$", re.S)


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts joined with dots: ``{"opt": {"lr": 1}}`` → ``{"opt.lr": 1}``.

    Example:
        >>> flatten({"opt": {"lr": 1, "b": {"c": 2}}, "n": [1, 2]})
        {'opt.lr': 1, 'opt.b.c': 2, 'n': [1, 2]}
    """
    out: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _key(raw: str) -> str:
    if raw.startswith(("config.", "summary.")) or raw in RUN_FIELDS or raw == "tags":
        return raw
    return f"config.{raw}"


@dataclass(frozen=True, slots=True)
class Filter:
    """One parsed ``KEY OP VALUE`` condition on a run row (see the module docstring)."""

    key: str
    op: str
    value: Any

    def matches(self, row: Mapping[str, Any]) -> bool:
        """True when the row's value for ``key`` satisfies the condition (missing: only ``!=``)."""
        found, actual = row_value(row, self.key)
        if not found or actual is None:
            return self.op == "!=" and self.value is not None
        if self.op == "~":
            return str(self.value).lower() in _text(actual).lower()
        if self.op in ("=", "!="):
            equal = _equal(actual, self.value)
            return equal if self.op == "=" else not equal
        return _compare(actual, self.op, self.value)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _equal(actual: Any, wanted: Any) -> bool:
    if isinstance(actual, (int, float)) and isinstance(wanted, (int, float)):
        return float(actual) == float(wanted)
    if isinstance(actual, (list, tuple)) and not isinstance(wanted, list):
        return any(_equal(a, wanted) for a in actual)  # tags = "x" means "has tag x"
    return actual == wanted or _text(actual) == _text(wanted)


def _compare(actual: Any, op: str, wanted: Any) -> bool:
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (actual, wanted))
    a, b = (float(actual), float(wanted)) if numbers else (_text(actual), _text(wanted))
    if numbers and (math.isnan(a) or math.isnan(b)):  # type: ignore[arg-type]
        return False
    return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]  # type: ignore[operator]


def parse_filter(text: str) -> Filter:
    """Parse ``KEY OP VALUE``; a ValueError names the accepted form.

    Example:
        >>> parse_filter("tags=baseline").value
        'baseline'
    """
    match = _FILTER.match(text)
    if not match or not match.group(1).strip():
        raise ValueError(
            f"`filter` must look like KEY OP VALUE with OP one of {' '.join(_OPS)} "
            f"(e.g. config.lr>=0.01), got {text!r}."
        )
    return Filter(_key(match.group(1).strip()), match.group(2), _value(match.group(3)))


def row_value(row: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    """``(found, value)`` of a column key (``config.X``, ``summary.X``, ``tags`` or a field)."""
    for part in ("config", "summary"):
        if key.startswith(part + "."):
            section = row.get(part) or {}
            name = key[len(part) + 1:]
            return (name in section, section.get(name))
    return (key in row, row.get(key))


def text_match(row: Mapping[str, Any], words: Iterable[str]) -> bool:
    """True when every word occurs (case-blind) in the run's id, name, tags, group, notes or study.

    Example:
        >>> text_match({"name": "brisk-falcon", "tags": ["cnn"]}, ["FALCON", "cnn"])
        True
    """
    haystack = " ".join(str(row.get(k) or "") for k in ("run_id", "name", "group", "notes", "study"))
    haystack = (haystack + " " + " ".join(row.get("tags") or ())).lower()
    return all(w.lower() in haystack for w in words)


def sort_rows(rows: list[dict[str, Any]], key: str, descending: bool) -> list[dict[str, Any]]:
    """Rows sorted by a column; missing values and NaN go last whichever the direction.

    Numbers sort before text within one column, so a column mixing both stays readable.

    Example:
        >>> rows = [{"name": "b", "summary": {"loss": 2.0}}, {"name": "a", "summary": {}},
        ...         {"name": "c", "summary": {"loss": 1.0}}]
        >>> [r["name"] for r in sort_rows(rows, "summary.loss", False)]
        ['c', 'b', 'a']
    """
    present: list[tuple[Any, dict[str, Any]]] = []
    missing: list[tuple[Any, dict[str, Any]]] = []
    for row in rows:
        found, value = row_value(row, key)
        bad = not found or value is None or (isinstance(value, float) and math.isnan(value))
        (missing if bad else present).append((value, row))

    def order(item: tuple[Any, dict[str, Any]]) -> tuple[int, Any]:
        value = item[0]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return (0, float(value))
        return (1, _text(value))

    present.sort(key=order, reverse=descending)
    return [row for _, row in present] + [row for _, row in missing]

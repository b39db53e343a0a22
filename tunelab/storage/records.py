"""Records of experiment tracking as the storage returns them: runs and metric series.

Both are frozen snapshots; the helpers here are shared by every storage so that they agree
on ids, states and how a batch of points updates a run's summary.

Example:
    >>> s = merge_summary({}, [(0, 1.0, "loss", 0.5), (1, 2.0, "loss", 0.25)])
    >>> s["loss"] == {"last": 0.25, "min": 0.25, "max": 0.5, "step": 1}
    True
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "MetricSeries",
    "RunRecord",
    "check_alert_level",
    "check_order_by",
    "merge_summary",
    "merge_summary_arrays",
    "new_run_id",
    "run_changes",
]

#: Every state a run can be in; "running" is the only one that is not final.
_RUN_STATES = ("running", "finished", "failed", "crashed")
_ALERT_LEVELS = ("info", "warn", "error")


def new_run_id() -> str:
    """A fresh run id: 12 lowercase hex characters.

    Example:
        >>> rid = new_run_id()
        >>> len(rid), rid == rid.lower()
        (12, True)
    """
    return secrets.token_hex(6)


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A tracked run as stored: identity, state, config, tags, environment and metric summary.

    ``summary`` maps each metric key to ``{"last", "min", "max", "step"}`` (min and max ignore
    NaN; they are NaN only if every value was). Runs that are trials of a tracked study carry
    ``study_name`` and ``trial_number``.

    Example:
        >>> r = RunRecord(run_id="0123456789ab", project="p", name="brisk-falcon-7", state="running")
        >>> r.state, r.tags, r.summary
        ('running', (), {})
    """

    run_id: str
    project: str
    name: str
    state: str
    config: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    notes: str = ""
    group: str | None = None
    created_at: float = 0.0
    finished_at: float | None = None
    heartbeat_at: float | None = None
    owner: str | None = None
    error: str | None = None
    env: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, dict[str, float]] = field(default_factory=dict)
    study_name: str | None = None
    trial_number: int | None = None

    def __post_init__(self) -> None:
        if self.state not in _RUN_STATES:
            raise ValueError(f"`state` must be one of {_RUN_STATES}, got {self.state!r}.")

    @property
    def duration(self) -> float | None:
        """Seconds from creation to the end (None while running).

        Example:
            >>> RunRecord("0123456789ab", "p", "n", "finished", created_at=1.0, finished_at=3.5).duration
            2.5
        """
        return None if self.finished_at is None else self.finished_at - self.created_at


@dataclass(frozen=True, slots=True)
class MetricSeries:
    """One metric of one run: steps, wall times and values, ordered by step (NaN/inf kept).

    Example:
        >>> s = MetricSeries("loss", np.array([0, 1]), np.array([0.0, 1.0]), np.array([1.0, np.nan]))
        >>> len(s), s.last
        (2, nan)
    """

    key: str
    steps: np.ndarray
    times: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return int(self.steps.shape[0])

    @property
    def last(self) -> float | None:
        """The last value, or None for an empty series."""
        return float(self.values[-1]) if len(self) else None


def merge_summary(summary: dict[str, dict[str, float]],
                  rows: Sequence[Sequence[Any]]) -> dict[str, dict[str, float]]:
    """Return ``summary`` updated with points ``(step, time, key, value)`` (a new dict).

    ``last`` and ``step`` follow the highest step seen (the later point on a tie); ``min`` and
    ``max`` ignore NaN unless every value was NaN.

    Example:
        >>> merge_summary({}, [(3, 0.0, "acc", float("nan"))])["acc"]["min"]
        nan
    """
    if not rows:
        return {key: dict(entry) for key, entry in summary.items()}
    steps, _times, keys, values = zip(*rows, strict=True)
    codes: dict[str, int] = {}
    kid = np.fromiter((codes.setdefault(k, len(codes)) for k in keys), np.int64, len(keys))
    return merge_summary_arrays(summary, np.asarray(steps, dtype=np.int64), kid,
                                np.asarray(values, dtype=np.float64), list(codes))


def merge_summary_arrays(summary: dict[str, dict[str, float]], steps: np.ndarray, kid: np.ndarray,
                         values: np.ndarray, names: Sequence[str]) -> dict[str, dict[str, float]]:
    """:func:`merge_summary` on columns: ``kid[i]`` indexes ``names``; arrays of shape ``(n,)``.

    Example:
        >>> s = merge_summary_arrays({}, np.array([0, 1]), np.array([0, 0]), np.array([2.0, 1.0]), ["loss"])
        >>> s["loss"]["last"], s["loss"]["max"]
        (1.0, 2.0)
    """
    out = {key: dict(entry) for key, entry in summary.items()}
    for code, name in enumerate(names):
        mask = kid == code
        if not mask.any():
            continue
        vals, stps = values[mask], steps[mask]
        top = int(stps.max())
        last = float(vals[len(stps) - 1 - int(np.argmax(stps[::-1] == top))])
        low, high = float(np.fmin.reduce(vals)), float(np.fmax.reduce(vals))
        entry = out.get(name)
        if entry is None:
            out[name] = {"last": last, "min": low, "max": high, "step": top}
            continue
        entry["min"] = float(np.fmin(entry["min"], low))
        entry["max"] = float(np.fmax(entry["max"], high))
        if top >= entry["step"]:
            entry["last"], entry["step"] = last, top
    return out


_ORDER_BY = ("created_at", "finished_at", "name", "state", "project", "heartbeat_at")


def check_order_by(order_by: str) -> str:
    """Return ``order_by`` if runs can be sorted by it, else raise ValueError.

    Example:
        >>> check_order_by("name")
        'name'
    """
    if order_by not in _ORDER_BY:
        raise ValueError(f"`order_by` must be one of {_ORDER_BY}, got {order_by!r}.")
    return order_by


def check_alert_level(level: str) -> str:
    """Return ``level`` if it is ``info``, ``warn`` or ``error``, else raise ValueError.

    Example:
        >>> check_alert_level("warn")
        'warn'
    """
    if level not in _ALERT_LEVELS:
        raise ValueError(f"`level` must be one of {_ALERT_LEVELS}, got {level!r}.")
    return level


def run_changes(
    state: str | None, tags: Sequence[str] | None, notes: str | None, config: dict[str, Any] | None,
    finished_at: float | None, error: str | None, *, owner: str,
) -> dict[str, Any]:
    """The RunRecord fields an ``update_run`` call sets (shared by every storage).

    A final state clears the owner; ``"running"`` (a resumed run) sets it to ``owner``, beats and
    clears ``finished_at`` and ``error``.

    Example:
        >>> run_changes("finished", None, "done", None, 5.0, None, owner="h:1")["owner"] is None
        True
    """
    changes: dict[str, Any] = {}
    if state is not None:
        if state not in _RUN_STATES:
            raise ValueError(f"`state` must be one of {_RUN_STATES}, got {state!r}.")
        changes["state"] = state
        if state == "running":
            import time

            changes.update(owner=owner, heartbeat_at=time.time(), finished_at=None, error=None)
        else:
            changes["owner"] = None
    if tags is not None:
        if isinstance(tags, str) or not all(isinstance(t, str) for t in tags):
            raise TypeError(f"`tags` must be a list of str, got {tags!r}.")
        changes["tags"] = tuple(dict.fromkeys(tags))
    if notes is not None:
        if not isinstance(notes, str):
            raise TypeError(f"`notes` must be a str, got {type(notes).__name__}.")
        changes["notes"] = notes
    if config is not None:
        changes["config"] = dict(config)
    if finished_at is not None:
        changes["finished_at"] = float(finished_at)
    if error is not None:
        changes["error"] = error
    return changes

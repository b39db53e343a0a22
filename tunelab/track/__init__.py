"""Experiment tracking: ``init``, ``log``, ``finish``, ``alert``, ``config`` and reading runs back.

Runs live in the same store as studies. See :mod:`tunelab.track.run` for how logging stays
fast and loss-proof, and ``docs/porting.md`` for the Trackio / W&B / MLflow equivalents.

Example:
    >>> import tunelab.track as track
    >>> from tunelab.storage.memory import InMemoryStorage
    >>> store = InMemoryStorage()
    >>> with track.init("demo", storage=store, system_metrics=False) as run:
    ...     track.log({"acc": 0.9})
    >>> [r.state for r in track.runs("demo", storage=store)]
    ['finished']
"""

from __future__ import annotations

from tunelab.track.api import alert, config, current_run, finish, init, log, on_alert
from tunelab.track.query import StoredRun, get_run, runs
from tunelab.track.run import Config, Run, TrackOptions

__all__ = [
    "Config",
    "Run",
    "StoredRun",
    "TrackOptions",
    "alert",
    "config",
    "current_run",
    "finish",
    "get_run",
    "init",
    "log",
    "on_alert",
    "runs",
]

"""Reading runs back: :func:`runs` (records or a DataFrame) and :func:`get_run`, each with history.

Example:
    >>> import tunelab
    >>> from tunelab.storage.memory import InMemoryStorage
    >>> store = InMemoryStorage()
    >>> with tunelab.init("q", config={"lr": 0.1}, storage=store, system_metrics=False) as run:
    ...     run.log({"loss": 0.5})
    >>> [r.config["lr"] for r in runs("q", storage=store)]
    [0.1]
    >>> runs("q", storage=store)[0].history()["loss"].values.tolist()
    [0.5]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelab.exceptions import TrackingError
from tunelab.storage.base import Storage
from tunelab.storage.records import MetricSeries, RunRecord

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["StoredRun", "get_run", "run_row", "runs"]

_RECORD_FIELDS = tuple(f.name for f in fields(RunRecord))


@dataclass(frozen=True, slots=True)
class StoredRun(RunRecord):
    """A :class:`~tunelab.storage.records.RunRecord` that can read its history and edit tags/notes.

    Example:
        >>> from tunelab.storage.memory import InMemoryStorage
        >>> store = InMemoryStorage()
        >>> rid = store.create_run("p", name="n", config={})
        >>> run = StoredRun.of(store.get_run(rid), store)
        >>> run.update(tags=["best"]).tags
        ('best',)
    """

    storage: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, record: RunRecord, storage: Storage) -> StoredRun:
        """Wrap a record read from ``storage``."""
        return cls(**{name: getattr(record, name) for name in _RECORD_FIELDS}, storage=storage)

    def history(self, keys: Sequence[str] | None = None) -> dict[str, MetricSeries]:
        """The run's metric series (only ``keys`` if given), each ordered by step."""
        return dict(self.storage.get_metrics(self.run_id, keys))

    def update(self, *, tags: Sequence[str] | None = None, notes: str | None = None) -> StoredRun:
        """Change tags and/or notes (also after the run ended); returns the updated record."""
        self.storage.update_run(self.run_id, tags=None if tags is None else list(tags), notes=notes)
        return StoredRun.of(self.storage.get_run(self.run_id), self.storage)

    def artifacts(self) -> list[dict[str, Any]]:
        """The run's artifacts (name, kind, sha256, size, relpath, created_at)."""
        return list(self.storage.list_artifacts(self.run_id))

    def alerts(self) -> list[dict[str, Any]]:
        """The run's alerts (title, text, level, time)."""
        return list(self.storage.list_alerts(self.run_id))


def _matches(record: RunRecord, filters: Mapping[str, Any] | Callable[[RunRecord], bool] | None) -> bool:
    if filters is None:
        return True
    if callable(filters):
        return bool(filters(record))
    for key, wanted in filters.items():
        if key.startswith("config."):
            value = record.config.get(key[len("config."):], _MISSING)
        elif key in _RECORD_FIELDS:
            value = getattr(record, key)
        else:
            value = record.config.get(key, _MISSING)
        if callable(wanted) and not wanted(value) or not callable(wanted) and value != wanted:
            return False
    return True


_MISSING = object()


def runs(
    project: str | None = None,
    *,
    filters: Mapping[str, Any] | Callable[[RunRecord], bool] | None = None,
    tags: Sequence[str] | None = None,
    states: Sequence[str] | None = None,
    as_dataframe: bool = False,
    storage: str | Path | Storage | None = None,
) -> list[StoredRun] | pd.DataFrame:
    """The runs of ``project`` (every project if None), newest first; stale ones are marked crashed first.

    Args:
        project: The project; None for all.
        filters: ``{"lr": 0.1, "config.depth": 3, "state": "finished", "group": "cv"}`` (a value
            may be a predicate ``lambda v: v > 0.5``), or ``f(record) -> bool``.
        tags: Only runs carrying every one of these tags.
        states: Only runs in these states.
        as_dataframe: Return a pandas DataFrame: one row per run, ``config.*`` columns and
            ``<metric>.last/.min/.max`` summary columns.
        storage: The store (default: the default store).

    Example:
        >>> from tunelab.storage.memory import InMemoryStorage
        >>> runs("none", storage=InMemoryStorage())
        []
    """
    from tunelab.track.api import open_storage

    if filters is not None and not callable(filters) and not isinstance(filters, Mapping):
        raise TrackingError(f"`filters` must be a dict or a function of a run record, got {filters!r}.")
    store = open_storage(storage)
    store.mark_stale_runs_crashed(project)
    found = [StoredRun.of(r, store) for r in store.list_runs(project, states=states, tags=tags)
             if _matches(r, filters)]
    return _dataframe(found) if as_dataframe else found


def get_run(run_id: str, storage: str | Path | Storage | None = None) -> StoredRun:
    """One run by id (:class:`~tunelab.exceptions.RunNotFoundError` if unknown).

    Example:
        >>> from tunelab.storage.memory import InMemoryStorage
        >>> store = InMemoryStorage()
        >>> get_run(store.create_run("p", name="n", config={}), storage=store).name
        'n'
    """
    from tunelab.track.api import open_storage

    store = open_storage(storage)
    return StoredRun.of(store.get_run(run_id), store)


def _flat(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flat(f"{prefix}.{key}", item, out)
    else:
        out[prefix] = value


def run_row(record: RunRecord) -> dict[str, Any]:
    """One flat row for a table or an export: identity, ``config.*`` and ``<metric>.last/min/max``.

    Example:
        >>> run_row(RunRecord("0123456789ab", "p", "n", "finished", config={"a": {"b": 1}}))["config.a.b"]
        1
    """
    row: dict[str, Any] = {
        "run_id": record.run_id, "project": record.project, "name": record.name, "state": record.state,
        "created_at": record.created_at, "finished_at": record.finished_at, "duration": record.duration,
        "tags": ",".join(record.tags), "group": record.group, "notes": record.notes,
        "study_name": record.study_name, "trial_number": record.trial_number,
    }
    _flat("config", record.config, row)
    for key, entry in sorted(record.summary.items()):
        for stat in ("last", "min", "max"):
            row[f"{key}.{stat}"] = entry.get(stat)
    return row


def _dataframe(found: list[StoredRun]) -> pd.DataFrame:
    from tunelab._imports import require

    pd = require("pandas", extra="pandas", feature="tunelab.runs(as_dataframe=True)")
    return pd.DataFrame([run_row(r) for r in found])

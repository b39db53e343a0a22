"""The storage interface: the only place where a study's state lives.

Contract, which every implementation follows and ``tests/contracts/storage_contract.py`` checks:

* **Durability.** Every write has been committed when the call returns (SQL: its own
  transaction). Nothing is buffered across calls.
* **Concurrency.** Safe for several threads of one process and, for SQL stores, several
  processes and machines. Trial numbers are unique and gap-free per study: they come from a
  per-study counter updated in the same transaction that inserts the trial.
* **Immutability.** A finished trial (COMPLETE, PRUNED, FAIL) never changes; writes to it raise
  :class:`~tunelab.exceptions.TrialFinishedError`.
* **One distribution per name.** Within a study, a parameter name keeps the distribution it
  was first stored with; another raises :class:`~tunelab.exceptions.ConflictingDistributionError`.
* **Ownership.** Each RUNNING trial records the host and process that runs it and a heartbeat
  time; :meth:`Storage.fail_stale_trials` marks FAIL those whose process is gone (same host)
  or whose heartbeat is older than ``grace_period`` seconds.
* **Values.** Attributes are JSON; distributions are stored in their tagged JSON form; no
  pickles. Objects returned are fresh snapshots the caller may keep.
* **Runs (experiment tracking).** A run has a 12-hex-digit id, a project and a state
  (``running`` → ``finished`` | ``failed`` | ``crashed``). :meth:`Storage.append_metrics`
  writes one batch of points ``(step, time, key, value)`` and the run's summary in one
  transaction; NaN and ±inf are stored and returned as such. Metric series come back ordered
  by step, points of one step in the order they were appended. A running run records its
  owner (``host:pid``) and a heartbeat; :meth:`Storage.stale_run_ids` finds those whose
  process is gone or whose heartbeat is older than ``grace_period``. Artifact files live
  content-addressed under :meth:`Storage.artifact_root`; the store keeps their rows.

Example:
    >>> store = get_storage(":memory:")
    >>> sid = store.create_study("demo", "minimize")
    >>> tid, number = store.create_trial(sid)
    >>> store.finish_trial(tid, TrialState.COMPLETE, 1.5)
    >>> store.get_trials(sid)[0].value
    1.5
"""

from __future__ import annotations

import datetime as _dt
import os
import socket
from abc import ABC, abstractmethod
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelab.settings import default_storage_url
from tunelab.space import Distribution
from tunelab.storage.records import MetricSeries, RunRecord
from tunelab.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tunelab.study import Study

__all__ = [
    "MetricSeries",
    "RunRecord",
    "Storage",
    "StudySummary",
    "get_storage",
    "owner_id",
    "process_alive",
]

MetricRow = tuple[int, float, str, float]

FailedTrialCallback = Callable[["Study", FrozenTrial], None]


@dataclass(frozen=True, slots=True)
class StudySummary:
    """One line of :meth:`Storage.list_studies`.

    Example:
        >>> StudySummary(study_id=1, name="s", direction="minimize", n_trials=0).best_value is None
        True
    """

    study_id: int
    name: str
    direction: str
    n_trials: int
    best_value: float | None = None
    datetime_start: _dt.datetime | None = None
    user_attrs: dict[str, Any] = field(default_factory=dict)


def owner_id() -> str:
    """``host:pid`` of the calling process, recorded with each RUNNING trial.

    Example:
        >>> owner_id().endswith(str(os.getpid()))
        True
    """
    return f"{socket.gethostname()}:{os.getpid()}"


def process_alive(owner: str | None) -> bool:
    """False only when ``owner`` ran on this host and its process no longer exists.

    Example:
        >>> process_alive(owner_id())
        True
    """
    if not owner or ":" not in owner:
        return True
    host, _, pid_text = owner.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Storage(ABC):
    """Where studies and trials are kept (see the module docstring for the contract).

    Args:
        heartbeat_interval: Seconds between heartbeats of a RUNNING trial.
        grace_period: Seconds without a heartbeat after which a RUNNING trial is marked FAIL;
            None means three heartbeat intervals.
        failed_trial_callback: Called with ``(study, frozen_trial)`` for each trial that
            :meth:`fail_stale_trials` marks FAIL, e.g. ``RetryFailedTrialCallback()``.

    Example:
        >>> isinstance(get_storage(":memory:"), Storage)
        True
    """

    def __init__(
        self,
        *,
        heartbeat_interval: float = 10.0,
        grace_period: float | None = None,
        failed_trial_callback: FailedTrialCallback | None = None,
    ) -> None:
        if heartbeat_interval <= 0:
            raise ValueError(f"`heartbeat_interval` must be > 0 seconds, got {heartbeat_interval!r}.")
        if grace_period is not None and grace_period <= 0:
            raise ValueError(f"`grace_period` must be > 0 seconds or None, got {grace_period!r}.")
        self.heartbeat_interval = float(heartbeat_interval)
        self.grace_period = float(grace_period) if grace_period is not None else 3 * self.heartbeat_interval
        self.failed_trial_callback = failed_trial_callback

    @property
    def shareable(self) -> bool:
        """True if other processes can open the same store (worker processes need this)."""
        return False

    def reopen_after_fork(self) -> None:  # noqa: B027 - optional hook
        """Drop connections inherited from a parent process (called in a forked worker)."""

    # -- studies ------------------------------------------------------------------------------
    @abstractmethod
    def create_study(self, name: str, direction: str) -> int:
        """Create a study and return its id; DuplicatedStudyError if the name is taken."""

    @abstractmethod
    def delete_study(self, study_id: int) -> None:
        """Delete a study with all its trials."""

    @abstractmethod
    def get_study_id(self, name: str) -> int:
        """Return the id of the study named ``name``; StudyNotFoundError if none."""

    @abstractmethod
    def get_study_name(self, study_id: int) -> str:
        """Return the name of a study."""

    @abstractmethod
    def get_study_direction(self, study_id: int) -> str:
        """Return ``"minimize"`` or ``"maximize"``."""

    @abstractmethod
    def list_studies(self) -> list[StudySummary]:
        """Return every study with its trial count and best value, oldest first."""

    @abstractmethod
    def set_study_attr(self, study_id: int, key: str, value: Any, *, system: bool = False) -> None:
        """Store a JSON attribute on the study (user or system namespace)."""

    @abstractmethod
    def get_study_attrs(self, study_id: int, *, system: bool = False) -> dict[str, Any]:
        """Return the study's user (or system) attributes."""

    # -- trials -------------------------------------------------------------------------------
    @abstractmethod
    def create_trial(
        self,
        study_id: int,
        *,
        state: TrialState = TrialState.RUNNING,
        fixed_params: dict[str, Any] | None = None,
        system_attrs: dict[str, Any] | None = None,
    ) -> tuple[int, int]:
        """Insert a RUNNING (or WAITING, for enqueued) trial; return ``(trial_id, number)``.

        ``fixed_params`` (enqueued parameters) are kept in the system attribute
        ``"fixed_params"``.
        """

    @abstractmethod
    def pop_waiting_trial(self, study_id: int) -> tuple[int, int] | None:
        """Atomically turn the oldest WAITING trial RUNNING and return it, or None."""

    @abstractmethod
    def set_param(self, trial_id: int, name: str, distribution: Distribution, value: Any) -> None:
        """Store a parameter of a RUNNING trial (checks the study's distribution for ``name``)."""

    @abstractmethod
    def set_intermediate(self, trial_id: int, step: int, value: float) -> None:
        """Store an intermediate value of a RUNNING trial."""

    @abstractmethod
    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        """Store a JSON user attribute on a RUNNING trial."""

    @abstractmethod
    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        """Store a JSON system attribute on a trial that is not finished."""

    @abstractmethod
    def finish_trial(
        self, trial_id: int, state: TrialState, value: float | None = None, error: str | None = None
    ) -> None:
        """Move a RUNNING trial to a finished state, with its value or error text."""

    @abstractmethod
    def heartbeat(self, trial_ids: Iterable[int]) -> None:
        """Record that the given RUNNING trials are still alive."""

    @abstractmethod
    def stale_trial_ids(self, study_id: int) -> list[int]:
        """Ids of RUNNING trials whose owner process is gone or whose heartbeat expired."""

    @abstractmethod
    def get_trial(self, trial_id: int) -> FrozenTrial:
        """Return one trial."""

    @abstractmethod
    def get_trials(self, study_id: int, states: Container[TrialState] | None = None) -> list[FrozenTrial]:
        """Return the study's trials (optionally only some states), by number."""

    @abstractmethod
    def n_trials(self, study_id: int, states: Container[TrialState] | None = None) -> int:
        """Count the study's trials (optionally only some states)."""

    # -- sealed hold-out sets ------------------------------------------------------------------
    def record_holdout_look(self, look: dict[str, Any]) -> None:
        """Append one look at a sealed hold-out set.

        ``look`` is a JSON-serialisable dict with at least ``name`` (the sealed set's name),
        ``data_fingerprint``, ``time`` (epoch seconds), ``model_fingerprint``, ``scoring``
        and ``score``.
        """
        raise NotImplementedError(f"{type(self).__name__} does not record sealed-set looks yet.")

    def holdout_looks(self, *, name: str | None = None, data_fingerprint: str | None = None) -> list[dict[str, Any]]:
        """Return the recorded looks matching ``name`` or ``data_fingerprint`` (either), oldest first."""
        raise NotImplementedError(f"{type(self).__name__} does not record sealed-set looks yet.")

    def fail_stale_trials(self, study_id: int) -> list[FrozenTrial]:
        """Mark FAIL every stale RUNNING trial of the study and return them as stored.

        Example:
            >>> store = get_storage(":memory:")
            >>> store.fail_stale_trials(store.create_study("s", "minimize"))
            []
        """
        failed = []
        for trial_id in self.stale_trial_ids(study_id):
            try:
                self.finish_trial(
                    trial_id, TrialState.FAIL,
                    error="the process running this trial died (no heartbeat); marked FAIL on reopen",
                )
            except Exception:  # another process marked it first
                continue
            failed.append(self.get_trial(trial_id))
        return failed

    # -- runs (experiment tracking) -----------------------------------------------------------
    @abstractmethod
    def create_run(
        self,
        project: str,
        *,
        name: str,
        config: dict[str, Any],
        tags: Sequence[str] = (),
        notes: str = "",
        group: str | None = None,
        env: dict[str, Any] | None = None,
        study_name: str | None = None,
        trial_number: int | None = None,
    ) -> str:
        """Insert a ``running`` run owned by this process; return its new id."""

    @abstractmethod
    def get_run(self, run_id: str) -> RunRecord:
        """Return one run; :class:`~tunelab.exceptions.RunNotFoundError` if unknown."""

    @abstractmethod
    def list_runs(
        self,
        project: str | None = None,
        *,
        states: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
        order_by: str = "created_at",
        descending: bool = True,
    ) -> list[RunRecord]:
        """Runs of ``project`` (all if None) in ``states``, carrying every tag of ``tags``."""

    @abstractmethod
    def count_runs(
        self, project: str | None = None, *, states: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
    ) -> int:
        """How many runs :meth:`list_runs` would return without a limit."""

    @abstractmethod
    def list_projects(self) -> list[tuple[str, int]]:
        """Every project with its number of runs, by name."""

    @abstractmethod
    def update_run(
        self,
        run_id: str,
        *,
        state: str | None = None,
        tags: Sequence[str] | None = None,
        notes: str | None = None,
        config: dict[str, Any] | None = None,
        finished_at: float | None = None,
        error: str | None = None,
    ) -> None:
        """Change the given fields (None leaves a field as it is).

        A final state drops the owner; ``state="running"`` (resuming) makes this process the owner.
        """

    @abstractmethod
    def heartbeat_run(self, run_id: str) -> None:
        """Record that a running run is still alive."""

    @abstractmethod
    def append_metrics(self, run_id: str, rows: Sequence[MetricRow]) -> None:
        """Store points ``(step, time, key, value)`` and update the summary, in one transaction."""

    @abstractmethod
    def get_metrics(self, run_id: str, keys: Sequence[str] | None = None) -> dict[str, MetricSeries]:
        """The run's metric series (only ``keys`` if given), each ordered by step."""

    @abstractmethod
    def metric_keys(self, run_id: str) -> list[str]:
        """The metric keys the run has logged, sorted."""

    @abstractmethod
    def add_artifact(self, run_id: str, *, name: str, kind: str, sha256: str, size: int, relpath: str) -> None:
        """Record an artifact file (already written under :meth:`artifact_root`)."""

    @abstractmethod
    def list_artifacts(self, run_id: str) -> list[dict[str, Any]]:
        """Artifacts of the run, oldest first: name, kind, sha256, size, relpath, created_at."""

    @abstractmethod
    def add_alert(self, run_id: str, *, title: str, text: str, level: str, time: float) -> None:
        """Record an alert (level ``info``, ``warn`` or ``error``)."""

    @abstractmethod
    def list_alerts(self, run_id: str) -> list[dict[str, Any]]:
        """Alerts of the run, oldest first: title, text, level, time."""

    @abstractmethod
    def delete_run(self, run_id: str) -> None:
        """Delete a run with its metrics, alerts and artifact rows (files stay: they may be shared)."""

    @abstractmethod
    def stale_run_ids(self) -> list[str]:
        """Ids of running runs whose owner process is gone or whose heartbeat expired."""

    def artifact_root(self) -> Path | None:
        """The folder artifact files go to; None lets the caller pick (a temporary folder).

        Example:
            >>> get_storage(":memory:").artifact_root() is None
            True
        """
        return None

    def mark_stale_runs_crashed(self, project: str | None = None) -> list[str]:
        """Mark ``crashed`` every stale running run (of ``project``, if given); return their ids.

        Example:
            >>> get_storage(":memory:").mark_stale_runs_crashed()
            []
        """
        import time as _time

        marked = []
        for run_id in self.stale_run_ids():
            try:
                run = self.get_run(run_id)
                if run.state != "running" or (project is not None and run.project != project):
                    continue
                self.update_run(run_id, state="crashed", finished_at=run.heartbeat_at or _time.time(),
                                error="the process running this run died (no heartbeat); marked crashed")
            except Exception:  # deleted or marked by another process meanwhile
                continue
            marked.append(run_id)
        return marked

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections; the storage is not used afterwards."""


def get_storage(storage: str | Path | Storage | None) -> Storage:
    """Return the storage for a URL, a path, ``":memory:"``, an existing storage or None.

    Args:
        storage: None for the default persistent store (``$TUNELAB_STORAGE`` or
            ``~/.tunelab/tunelab.db``); ``":memory:"`` for a throw-away in-memory store; a
            SQLAlchemy URL (``sqlite:///file.db``, ``postgresql://…``); a path to a SQLite file;
            or a :class:`Storage` used as is.

    Example:
        >>> type(get_storage(":memory:")).__name__
        'InMemoryStorage'
    """
    if isinstance(storage, Storage):
        return storage
    if storage is None:
        storage = default_storage_url()
    if isinstance(storage, Path):
        storage = f"sqlite:///{storage}"
    if not isinstance(storage, str):
        raise TypeError(
            f"`storage` must be None, ':memory:', a database URL, a path or a Storage, got {storage!r}."
        )
    if storage == ":memory:":
        from tunelab.storage.memory import InMemoryStorage

        return InMemoryStorage()
    if "://" not in storage:
        storage = f"sqlite:///{Path(storage).expanduser()}"
    from tunelab.storage.sql import SQLStorage

    return SQLStorage(storage)

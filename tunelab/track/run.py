"""A tracked run: buffered logging, a background flush thread, and a state that always ends.

:meth:`Run.log` checks the values, then appends them to an in-memory buffer and returns: it
never touches the disk (except with ``sync=True``, where each call commits). A daemon thread
writes the buffer every ``flush_interval`` seconds (default 1 s), or sooner once 2,000 calls
are waiting, as one transaction through
:meth:`~tunelab.storage.base.Storage.append_metrics`, and beats the run's heartbeat. A
failed write is kept for the next attempt and warned about once; it never raises into the
training loop. :meth:`Run.finish` (also run at interpreter exit, and by ``with``) flushes
and records the final state; an exception leaving the ``with`` block marks the run
``failed`` with its traceback. A process killed outright loses at most one flush interval,
and the run is marked ``crashed`` by the next :func:`tunelab.init` or :func:`tunelab.runs`
in its project.

Example:
    >>> from tunelab.storage.memory import InMemoryStorage
    >>> store = InMemoryStorage()
    >>> with Run.create(store, "demo", config={"lr": 0.1}) as run:
    ...     for step in range(3):
    ...         run.log({"loss": 1.0 / (step + 1)})
    >>> store.get_run(run.id).state, store.get_metrics(run.id)["loss"].steps.tolist()
    ('finished', [0, 1, 2])
"""

from __future__ import annotations

import atexit
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from tunelab.exceptions import TrackingError, TunelabWarning
from tunelab.storage.base import Storage
from tunelab.storage.records import MetricSeries, RunRecord, check_alert_level
from tunelab.track._values import check_step, clean_metrics, jsonable

__all__ = ["Config", "Run", "TrackOptions"]

AlertCallback = Callable[["Run", dict[str, Any]], None]
_ALERT_CALLBACKS: list[AlertCallback] = []
_OPEN: set[Run] = set()
_UNCAUGHT: list[str] = []
_WAKE_AT = 2000  # buffered log calls that wake the flush thread before its interval ends
_STATUSES = {"finished": "finished", "failed": "failed", "killed": "failed", "crashed": "crashed"}


@dataclass(frozen=True, slots=True)
class TrackOptions:
    """Knobs of a run that most users never touch.

    Args:
        flush_interval: Seconds between background writes (> 0; default 1).
        system_metrics: Sample CPU, RAM, RSS and GPUs as ``system/...`` metrics.
        system_interval: Seconds between system samples.
        capture_env: Record the environment (Python, OS, packages, command ...).
        capture_git: Record the git commit, branch and dirty flag (one ``git`` call).
        heartbeat_interval: Seconds between heartbeats; None uses the store's.

    Example:
        >>> TrackOptions(flush_interval=0.5).flush_interval
        0.5
    """

    flush_interval: float = 1.0
    system_metrics: bool = True
    system_interval: float = 5.0
    capture_env: bool = True
    capture_git: bool = True
    heartbeat_interval: float | None = None

    def __post_init__(self) -> None:
        for name in ("flush_interval", "system_interval"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise TrackingError(f"`{name}` must be a number of seconds > 0, got {value!r}.")


class Config(MutableMapping[str, Any]):
    """A run's config: a dict with attribute access; changes are saved with the run.

    Example:
        >>> cfg = Config({"lr": 0.1})
        >>> cfg.lr, cfg["lr"]
        (0.1, 0.1)
        >>> cfg.batch = 32
        >>> dict(cfg)
        {'lr': 0.1, 'batch': 32}
    """

    def __init__(self, data: dict[str, Any] | None = None, on_change: Callable[[dict[str, Any]], None] | None = None):
        object.__setattr__(self, "_data", dict(data or {}))
        object.__setattr__(self, "_on_change", on_change)

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(dict(self._data))

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[str(key)] = jsonable(value, f"config[{key!r}]")
        self._changed()

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        self._changed()

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(f"config has no key {name!r}; it has {sorted(self._data)}.") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Set several keys at once (saved once)."""
        self._data.update(jsonable(dict(*args, **kwargs)))
        self._changed()

    def __repr__(self) -> str:
        return f"Config({self._data!r})"


class Run:
    """One tracked run; make it with :func:`tunelab.init` (or :meth:`Run.create`), not directly.

    Example:
        >>> from tunelab.storage.memory import InMemoryStorage
        >>> run = Run.create(InMemoryStorage(), "demo", name="first")
        >>> run.log({"acc": 0.5}); run.finish()
        >>> run.name, run.history()["acc"].values.tolist()
        ('first', [0.5])
    """

    def __init__(self, storage: Storage, record: RunRecord, *, sync: bool = False,
                 options: TrackOptions | None = None) -> None:
        self._storage = storage
        self._record = record
        self._sync = bool(sync)
        self._options = options or TrackOptions()
        self._last = max((int(e["step"]) for e in record.summary.values()), default=-1)
        self._buffer: list[tuple[int, float, dict[str, float]]] = []
        self._retry: list[tuple[int, float, dict[str, float]]] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._warned = False
        self._finished = False
        self._monitor: Any = None
        self.config = Config(record.config, self._save_config)
        self._thread = threading.Thread(target=self._loop, name=f"tunelab-flush-{record.run_id}", daemon=True)
        self._thread.start()
        if self._options.system_metrics:
            from tunelab.track.system import SystemMonitor

            self._monitor = SystemMonitor(self._log_system, self._options.system_interval)
            self._monitor.start()
        _OPEN.add(self)
        _install_exit_hooks()

    @classmethod
    def create(cls, storage: Storage, project: str, *, name: str | None = None,
               config: dict[str, Any] | None = None, sync: bool = False,
               options: TrackOptions | None = None, **fields: Any) -> Run:
        """Create a new run in ``storage`` (no environment capture, no system metrics by default).

        Example:
            >>> from tunelab.storage.memory import InMemoryStorage
            >>> Run.create(InMemoryStorage(), "p", name="r").finish()
        """
        options = options or TrackOptions(system_metrics=False, capture_env=False)
        run_id = storage.create_run(project, name=name or "run", config=jsonable(config or {}), **fields)
        return cls(storage, storage.get_run(run_id), sync=sync, options=options)

    # -- identity ------------------------------------------------------------------------------
    @property
    def id(self) -> str:
        """The run's id (12 hex digits)."""
        return self._record.run_id

    @property
    def name(self) -> str:
        """The run's readable name."""
        return self._record.name

    @property
    def project(self) -> str:
        """The project the run belongs to."""
        return self._record.project

    @property
    def storage(self) -> Storage:
        """The store the run writes to."""
        return self._storage

    @property
    def step(self) -> int:
        """The step the next ``log`` without ``step=`` will use."""
        return self._last + 1

    @property
    def tags(self) -> tuple[str, ...]:
        """The run's tags; assign a list to change them."""
        return self._storage.get_run(self.id).tags

    @tags.setter
    def tags(self, tags: Sequence[str]) -> None:
        self._storage.update_run(self.id, tags=list(tags))

    @property
    def notes(self) -> str:
        """The run's notes; assign a str to change them."""
        return self._storage.get_run(self.id).notes

    @notes.setter
    def notes(self, notes: str) -> None:
        self._storage.update_run(self.id, notes=notes)

    def _save_config(self, config: dict[str, Any]) -> None:
        self._storage.update_run(self.id, config=config)

    # -- logging -------------------------------------------------------------------------------
    def log(self, metrics: dict[str, Any], step: int | None = None) -> None:
        """Record numbers at a step; returns at once (the flush thread writes them).

        Args:
            metrics: Name → number (int, float, bool, numpy scalar or 0-d array); NaN and inf
                are kept. Group names with slashes (``"val/loss"``).
            step: An int >= the last step used; None means the last step + 1.

        Raises:
            TrackingError: A value, name or step is invalid; nothing of this call is kept
                and everything logged before is safe.

        Example:
            >>> from tunelab.storage.memory import InMemoryStorage
            >>> run = Run.create(InMemoryStorage(), "p")
            >>> run.log({"loss": 0.3}, step=10); run.step
            11
            >>> run.finish()
        """
        clean = clean_metrics(metrics)
        with self._lock:
            number = self._last + 1 if step is None else check_step(step, self._last)
            self._buffer.append((number, time.time(), clean))
            self._last = number
            if len(self._buffer) >= _WAKE_AT:
                self._wake.set()
        if self._sync:
            self.flush()

    def _log_system(self, sample: dict[str, float]) -> None:
        with self._lock:
            self._buffer.append((max(self._last, 0), time.time(), sample))

    def flush(self) -> bool:
        """Write what is buffered now, in one transaction; False (and a warning once) if it failed.

        Example:
            >>> from tunelab.storage.memory import InMemoryStorage
            >>> run = Run.create(InMemoryStorage(), "p")
            >>> run.flush()
            True
        """
        with self._flush_lock:
            with self._lock:
                pending, self._buffer = self._retry + self._buffer, []
            if not pending:
                return True
            rows = [(s, t, k, v) for s, t, d in pending for k, v in d.items()]
            try:
                self._storage.append_metrics(self.id, rows)
            except Exception as err:  # never raise into training code: keep the points, retry later
                self._retry = pending
                self._warn(f"tunelab could not save metrics of run {self.name!r} ({self.id}); "
                           f"they are kept in memory and retried: {type(err).__name__}: {err}")
                return False
            self._retry = []
            return True

    def _warn(self, message: str) -> None:
        if self._warned:
            return
        self._warned = True
        try:
            warnings.warn(message, TunelabWarning, stacklevel=3)
        except Exception:  # warnings turned into errors must not escape a background thread
            print(f"tunelab: warning: {message}", file=sys.stderr)

    def _loop(self) -> None:
        beat_every = self._options.heartbeat_interval or self._storage.heartbeat_interval
        next_beat = time.monotonic() + beat_every
        while not self._stop.is_set():
            self._wake.wait(self._options.flush_interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            self.flush()
            if time.monotonic() >= next_beat:
                next_beat = time.monotonic() + beat_every
                try:
                    self._storage.heartbeat_run(self.id)
                except Exception as err:  # a missed beat must not stop the run
                    self._warn(f"tunelab could not send the heartbeat of run {self.id}: {err}")

    # -- alerts, artifacts, history --------------------------------------------------------------
    def alert(self, title: str, text: str = "", level: str = "info") -> None:
        """Record an alert, print it to stderr and pass it to the callbacks of :func:`tunelab.track.on_alert`.

        Example:
            >>> from tunelab.storage.memory import InMemoryStorage
            >>> run = Run.create(InMemoryStorage(), "p")
            >>> run.alert("diverged", "loss is NaN", level="error")  # doctest: +SKIP
        """
        check_alert_level(level)
        alert: dict[str, Any] = {"title": str(title), "text": str(text), "level": level, "time": time.time()}
        self._storage.add_alert(self.id, title=alert["title"], text=alert["text"], level=level, time=alert["time"])
        print(f"tunelab [{level}] run {self.name}: {title}" + (f": {text}" if text else ""), file=sys.stderr)
        for callback in list(_ALERT_CALLBACKS):
            try:
                callback(self, dict(alert))
            except Exception as err:  # a broken callback must not stop training
                self._warn(f"an alert callback failed: {type(err).__name__}: {err}")

    def log_artifact(self, path_or_object: Any, name: str | None = None, kind: str | None = None) -> dict[str, Any]:
        """Store a file, folder, figure or model with the run (content-addressed); returns its row.

        Example:
            >>> from tunelab.storage.memory import InMemoryStorage
            >>> run = Run.create(InMemoryStorage(), "p")
            >>> run.log_artifact({"coef": [1.0, 2.0]}, name="model.joblib")["name"]
            'model.joblib'
        """
        from tunelab.track.artifacts import save_artifact

        return save_artifact(self._storage, self.id, path_or_object, name=name, kind=kind)

    def history(self, keys: Sequence[str] | None = None) -> dict[str, MetricSeries]:
        """Flush, then return the run's metric series (only ``keys`` if given).

        Example:
            >>> from tunelab.storage.memory import InMemoryStorage
            >>> run = Run.create(InMemoryStorage(), "p")
            >>> run.log({"a": 1, "b": 2})
            >>> sorted(run.history(keys=["a"]))
            ['a']
        """
        self.flush()
        return self._storage.get_metrics(self.id, keys)

    # -- ending ------------------------------------------------------------------------------------
    def finish(self, status: str = "finished", *, error: str | None = None) -> None:
        """Flush everything and record the final state (``"finished"`` or ``"failed"``); idempotent.

        Example:
            >>> from tunelab.storage.memory import InMemoryStorage
            >>> store = InMemoryStorage()
            >>> run = Run.create(store, "p"); run.finish("failed")
            >>> store.get_run(run.id).state
            'failed'
        """
        state = _STATUSES.get(str(status).lower())
        if state is None:
            raise TrackingError(f"`status` must be 'finished' or 'failed', got {status!r}.")
        if self._finished:
            return
        self._finished = True
        _OPEN.discard(self)
        if self._monitor is not None:
            self._monitor.stop()
        self._stop.set()
        self._wake.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=30)
        if not self.flush():
            time.sleep(0.1)
            self.flush()
        try:
            self._storage.update_run(self.id, state=state, finished_at=time.time(), error=error)
        except Exception as err:  # the store is gone: say so, do not raise at the end of training
            self._warn(f"tunelab could not record the end of run {self.id}: {err}")
        from tunelab.track import api

        api._forget(self)

    @property
    def finished(self) -> bool:
        """True once :meth:`finish` ran."""
        return self._finished

    def __enter__(self) -> Run:
        return self

    def __exit__(self, kind: Any, error: BaseException | None, tb: Any) -> None:
        if error is None:
            self.finish()
        else:
            self.finish("failed", error="".join(traceback.format_exception(kind, error, tb)))

    def __repr__(self) -> str:
        return f"Run(id={self.id!r}, name={self.name!r}, project={self.project!r})"


def _finish_open_runs() -> None:
    status, error = ("failed", _UNCAUGHT[0]) if _UNCAUGHT else ("finished", None)
    for run in list(_OPEN):
        try:
            run.finish(status, error=error)
        except Exception:  # exiting: nothing left to tell
            continue


_HOOKED: list[bool] = []


def _install_exit_hooks() -> None:
    if _HOOKED:
        return
    _HOOKED.append(True)
    atexit.register(_finish_open_runs)
    previous = sys.excepthook

    def hook(kind: Any, error: Any, tb: Any) -> None:
        _UNCAUGHT[:] = ["".join(traceback.format_exception(kind, error, tb))]
        previous(kind, error, tb)

    sys.excepthook = hook

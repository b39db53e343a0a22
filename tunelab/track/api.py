"""The module-level tracking API: ``init``, ``log``, ``finish``, ``alert``, ``config``.

These are thin functions over the current :class:`~tunelab.track.run.Run`, held in a
:class:`contextvars.ContextVar` (so asyncio tasks and copied contexts each see their own),
with the most recently started run as the fallback for threads that start with an empty
context. Code written for Trackio or Weights & Biases ports by changing the import.

Example:
    >>> import tunelab
    >>> from tunelab.storage.memory import InMemoryStorage
    >>> run = tunelab.init("demo", config={"lr": 0.01}, storage=InMemoryStorage(), system_metrics=False)
    >>> tunelab.config.lr
    0.01
    >>> for step in range(3):
    ...     tunelab.log({"loss": 1 / (step + 1)})
    >>> tunelab.finish()
    >>> run.history()["loss"].steps.tolist()
    [0, 1, 2]
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from tunelab.exceptions import TrackingError
from tunelab.storage.base import Storage, get_storage
from tunelab.track._values import jsonable
from tunelab.track.run import _ALERT_CALLBACKS, AlertCallback, Config, Run, TrackOptions

__all__ = ["alert", "config", "current_run", "finish", "init", "log", "on_alert", "open_storage"]

_CURRENT: ContextVar[Run | None] = ContextVar("tunelab_run", default=None)
_LATEST: list[Run] = []
_STORES: dict[str, Storage] = {}
_STORES_LOCK = threading.Lock()
_RESUME = (None, "never", "allow", "must")


def open_storage(storage: str | Path | Storage | None) -> Storage:
    """The store for ``storage``, shared by every run of this process that names the same URL.

    Example:
        >>> open_storage(":memory:") is not open_storage(":memory:")  # a new throw-away store each time
        True
    """
    if isinstance(storage, Storage) or storage == ":memory:":
        return get_storage(storage)
    from tunelab.settings import default_storage_url

    key = str(default_storage_url() if storage is None else storage)
    with _STORES_LOCK:
        if key not in _STORES:
            _STORES[key] = get_storage(key)
        return _STORES[key]


def current_run() -> Run | None:
    """The active run of this context (or the last one started in this process), or None.

    Example:
        >>> current_run() is None or isinstance(current_run(), Run)
        True
    """
    run = _CURRENT.get()
    if run is not None and not run.finished:
        return run
    return _LATEST[-1] if _LATEST and not _LATEST[-1].finished else None


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def _require(what: str) -> Run:
    run = current_run()
    if run is None:
        raise TrackingError(f"no active run: call tunelab.init(project) before tunelab.{what}().")
    return run


def _forget(run: Run) -> None:
    if _CURRENT.get() is run:
        _CURRENT.set(None)
    if run in _LATEST:
        _LATEST.remove(run)


def _find_resumable(store: Storage, project: str, run_id: str | None, name: str | None) -> Any:
    if run_id is not None:
        try:
            found = store.get_run(run_id)
        except KeyError:
            return None
        if found.project != project:
            raise TrackingError(f"run {run_id!r} belongs to project {found.project!r}, not {project!r}.")
        return found
    if name is not None:
        for record in store.list_runs(project, order_by="created_at", descending=True):
            if record.name == name:
                return record
    return None


def _new_name(store: Storage, project: str) -> str:
    from tunelab.track.names import run_name

    return run_name(store.count_runs(project) + 1)


def init(
    project: str,
    name: str | None = None,
    config: Mapping[str, Any] | None = None,
    tags: Sequence[str] | None = None,
    notes: str | None = None,
    group: str | None = None,
    resume: str | None = None,
    *,
    id: str | None = None,  # noqa: A002 - the name W&B users know
    sync: bool = False,
    storage: str | Path | Storage | None = None,
    system_metrics: bool = True,
    capture_env: bool = True,
    capture_git: bool = True,
    options: TrackOptions | None = None,
) -> Run:
    """Start (or resume) a run in ``project`` and make it the current one.

    Args:
        project: The project (a group of comparable runs).
        name: Readable name; None generates one such as ``brisk-falcon-7``.
        config: Hyperparameters and settings (nested dicts, lists, numpy values, paths).
        tags: Labels for filtering; editable later (``run.tags = [...]``).
        notes: Free text; editable later.
        group: Groups runs (e.g. the folds of one cross-validation).
        resume: None/``"never"``: a new run; ``"allow"``: continue the run named by ``id``
            (or ``name``) if it exists; ``"must"``: continue it or raise. A resumed run goes
            on from its last step.
        id: The run id to resume (12 hex digits).
        sync: Commit every ``log`` before it returns (nothing is lost even on SIGKILL; slower).
        storage: Store URL, path or Storage; None is the default store (``$TUNELAB_HOME``).
        system_metrics: Sample CPU/RAM/RSS/GPU every few seconds as ``system/...`` metrics.
        capture_env: Record Python, OS, hostname, CPU/GPU, package versions and command line.
        capture_git: Record the git commit, branch and dirty flag of the working folder.
        options: Further knobs (:class:`~tunelab.track.run.TrackOptions`); its capture and system
            switches are overridden by the arguments above.

    Returns:
        The :class:`~tunelab.track.run.Run`, also usable as a context manager.

    Raises:
        TrackingError: ``resume="must"`` and no such run, or an invalid argument.

    Example:
        >>> import tunelab
        >>> from tunelab.storage.memory import InMemoryStorage
        >>> with tunelab.init("p", name="a", storage=InMemoryStorage(), system_metrics=False) as run:
        ...     run.log({"x": 1.0})
        >>> run.name
        'a'
    """
    if not isinstance(project, str) or not project.strip():
        raise TrackingError(f"`project` must be a non-empty str, got {project!r}.")
    if resume not in _RESUME:
        raise TrackingError(f"`resume` must be None, 'never', 'allow' or 'must', got {resume!r}.")
    if tags is not None and (isinstance(tags, str) or not all(isinstance(t, str) for t in tags)):
        raise TrackingError(f"`tags` must be a list of str, got {tags!r}.")
    base = options or TrackOptions()
    opts = TrackOptions(base.flush_interval, system_metrics, base.system_interval, capture_env, capture_git,
                        base.heartbeat_interval)
    clean_config = jsonable(dict(config or {}))
    store = open_storage(storage)
    store.mark_stale_runs_crashed(project)
    record = None
    if resume in ("allow", "must"):
        record = _find_resumable(store, project, id, name)
        if record is None and resume == "must":
            raise TrackingError(f"resume='must' but project {project!r} has no run with "
                                f"{'id ' + repr(id) if id else 'name ' + repr(name)}; use resume='allow'.")
    if record is not None:
        store.update_run(record.run_id, state="running", tags=tags, notes=notes,
                         config={**record.config, **clean_config} if clean_config else None)
    else:
        if id is not None and resume in (None, "never"):
            raise TrackingError(f"`id` is only used to resume a run; pass resume='allow' or 'must' (got id={id!r}).")
        from tunelab.track.env import capture_env as capture

        env = capture(git=capture_git) if capture_env else {}
        run_id = store.create_run(project, name=name or _new_name(store, project), config=clean_config,
                                  tags=list(tags or ()), notes=notes or "", group=group, env=env)
        record = store.get_run(run_id)
    run = Run(store, store.get_run(record.run_id), sync=sync, options=opts)
    _CURRENT.set(run)
    _LATEST.append(run)
    return run


def log(metrics: dict[str, Any], step: int | None = None) -> None:
    """Log numbers to the current run (see :meth:`Run.log <tunelab.track.run.Run.log>`).

    Example:
        >>> import tunelab
        >>> from tunelab.storage.memory import InMemoryStorage
        >>> _ = tunelab.init("p", storage=InMemoryStorage(), system_metrics=False)
        >>> tunelab.log({"loss": 0.5}, step=0)
        >>> tunelab.finish()
    """
    _require("log").log(metrics, step)


def finish(status: str = "finished") -> None:
    """Finish the current run: flush, record ``status`` (``"finished"`` or ``"failed"``); no-op if none.

    Example:
        >>> import tunelab
        >>> tunelab.finish()  # nothing active: nothing to do
    """
    run = current_run()
    if run is not None:
        run.finish(status)


def alert(title: str, text: str = "", level: str = "info") -> None:
    """Raise an alert on the current run: stored, printed to stderr, passed to :func:`on_alert` callbacks.

    Example:
        >>> import tunelab, contextlib, io
        >>> from tunelab.storage.memory import InMemoryStorage
        >>> run = tunelab.init("p", storage=InMemoryStorage(), system_metrics=False)
        >>> with contextlib.redirect_stderr(io.StringIO()):
        ...     tunelab.alert("slow", "epoch took 10 min", level="warn")
        >>> run.storage.list_alerts(run.id)[0]["level"]
        'warn'
        >>> tunelab.finish()
    """
    _require("alert").alert(title, text, level)


def on_alert(callback: AlertCallback) -> Callable[[], None]:
    """Call ``callback(run, alert_dict)`` on every alert of this process; returns an unregister function.

    Example:
        >>> stop = on_alert(lambda run, alert: None)
        >>> stop()
    """
    if not callable(callback):
        raise TrackingError(f"`callback` must be callable as callback(run, alert), got {callback!r}.")
    _ALERT_CALLBACKS.append(callback)

    def remove() -> None:
        if callback in _ALERT_CALLBACKS:
            _ALERT_CALLBACKS.remove(callback)

    return remove


class _ConfigProxy(Mapping[str, Any]):
    """The current run's config, with attribute and item access (``tunelab.config.lr``).

    Example:
        >>> import tunelab
        >>> from tunelab.storage.memory import InMemoryStorage
        >>> _ = tunelab.init("p", config={"lr": 0.1}, storage=InMemoryStorage(), system_metrics=False)
        >>> tunelab.config["lr"], tunelab.config.lr
        (0.1, 0.1)
        >>> tunelab.finish()
    """

    def _target(self) -> Config:
        return _require("config").config

    def __getitem__(self, key: str) -> Any:
        return self._target()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._target()[key] = value

    def __iter__(self) -> Iterator[str]:
        return iter(self._target())

    def __len__(self) -> int:
        return len(self._target())

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._target(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target(), name, value)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Set several config keys of the current run."""
        self._target().update(*args, **kwargs)

    def __repr__(self) -> str:
        run = current_run()
        return f"tunelab.config({dict(run.config) if run else 'no active run'})"


config = _ConfigProxy()

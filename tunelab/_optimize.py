"""The optimize loop: ``ask → objective → tell``, sequential, in threads or in processes.

Worker processes are forked, so the objective (closures and lambdas included) needs no
pickling; each opens its own connections to the shared SQL store and reseeds the sampler
(``seed + worker``) so workers do not propose the same points.
"""

from __future__ import annotations

import logging
import math
import multiprocessing as mp
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tunelab.exceptions import GridExhaustedError, TrialPruned
from tunelab.trial import FrozenTrial, Trial, TrialState

if TYPE_CHECKING:
    from tunelab.study import Callback, Objective, Study

__all__ = ["run_optimize"]

_log = logging.getLogger("tunelab")
_Catch = type[BaseException] | tuple[type[BaseException], ...]


@dataclass
class _Budget:
    """Trial slots shared by the workers of one optimize call."""

    n_trials: int | None
    deadline: float | None
    claim: Callable[[], bool] = field(default=lambda: True)

    def take(self, study: Study) -> bool:
        if study._stop_requested.is_set():
            return False
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return False
        return self.claim()


def _check_args(n_trials: int | None, timeout: float | None, n_jobs: int, catch: Any) -> int:
    if n_trials is not None and (isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0):
        raise ValueError(f"`n_trials` must be an int >= 0 or None, got {n_trials!r}.")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or not timeout > 0):
        raise ValueError(f"`timeout` must be a number of seconds > 0 or None, got {timeout!r}.")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"`n_jobs` must be an int >= 1, or -1 for every core, got {n_jobs!r}.")
    types = catch if isinstance(catch, tuple) else (catch,)
    if not all(isinstance(t, type) and issubclass(t, BaseException) for t in types):
        raise TypeError(f"`catch` must be an exception class or a tuple of them, got {catch!r}.")
    return os.cpu_count() or 1 if n_jobs == -1 else n_jobs


def run_optimize(
    study: Study,
    objective: Objective,
    *,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    callbacks: tuple[Callback, ...],
    catch: _Catch,
    show_progress_bar: bool | None,
) -> None:
    """Run the loop of :meth:`tunelab.Study.optimize` (see there for the arguments)."""
    n_jobs = _check_args(n_trials, timeout, n_jobs, catch)
    if not callable(objective):
        raise TypeError(f"`objective` must be callable as objective(trial), got {objective!r}.")
    study._stop_requested.clear()
    deadline = time.monotonic() + timeout if timeout is not None else None
    show = sys.stderr.isatty() if show_progress_bar is None else bool(show_progress_bar)
    with _Progress(study, n_trials, timeout, show) as progress:
        if n_jobs == 1:
            budget = _Budget(n_trials, deadline, _counter_claim(n_trials))
            _worker_loop(study, objective, budget, callbacks, catch, progress.update)
        elif study.storage.shareable and "fork" in mp.get_all_start_methods():
            _run_processes(study, objective, n_jobs, n_trials, deadline, callbacks, catch, progress)
        else:
            _run_threads(study, objective, n_jobs, n_trials, deadline, callbacks, catch, progress)


def _counter_claim(n_trials: int | None) -> Callable[[], bool]:
    lock = threading.Lock()
    taken = [0]

    def claim() -> bool:
        with lock:
            if n_trials is not None and taken[0] >= n_trials:
                return False
            taken[0] += 1
            return True

    return claim


def _worker_loop(
    study: Study, objective: Objective, budget: _Budget, callbacks: tuple[Callback, ...],
    catch: _Catch, on_trial: Callable[[FrozenTrial], None],
) -> None:
    while budget.take(study):
        try:
            trial = study.ask()
        except GridExhaustedError:
            return
        frozen = run_trial(study, objective, trial, catch)
        for callback in callbacks:
            callback(study, frozen)
        on_trial(frozen)


def run_trial(study: Study, objective: Objective, trial: Trial, catch: _Catch) -> FrozenTrial:
    """Run one trial and record its outcome; re-raise exceptions not listed in ``catch``."""
    try:
        value = objective(trial)
    except TrialPruned:
        return study.tell(trial, state=TrialState.PRUNED)
    except BaseException as err:
        text = "".join(traceback.format_exception(type(err), err, err.__traceback__))
        frozen = study.tell(trial, state=TrialState.FAIL, error=text)
        if isinstance(err, Exception) and catch and isinstance(err, catch):
            _log.warning("trial %d failed with %s: %s", trial.number, type(err).__name__, err)
            return frozen
        raise
    frozen = study.tell(trial, value)
    if frozen.state == TrialState.COMPLETE:
        _log.info("trial %d finished with value %r", frozen.number, frozen.value)
    return frozen


def _run_threads(
    study: Study, objective: Objective, n_jobs: int, n_trials: int | None, deadline: float | None,
    callbacks: tuple[Callback, ...], catch: _Catch, progress: _Progress,
) -> None:
    budget = _Budget(n_trials, deadline, _counter_claim(n_trials))
    errors: list[BaseException] = []

    def work() -> None:
        try:
            _worker_loop(study, objective, budget, callbacks, catch, progress.update)
        except BaseException as err:
            errors.append(err)
            study.stop()

    threads = [threading.Thread(target=work, name=f"tunelab-worker-{k}") for k in range(n_jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _run_processes(
    study: Study, objective: Objective, n_jobs: int, n_trials: int | None, deadline: float | None,
    callbacks: tuple[Callback, ...], catch: _Catch, progress: _Progress,
) -> None:
    ctx = mp.get_context("fork")
    taken = ctx.Value("q", 0)
    stop = ctx.Event()
    errors = ctx.SimpleQueue()
    base_seed = study.sampler.seed

    def claim() -> bool:
        if stop.is_set():
            return False
        with taken.get_lock():
            if n_trials is not None and taken.value >= n_trials:
                return False
            taken.value += 1
            return True

    def work(worker: int) -> None:
        study.storage.reopen_after_fork()
        study.sampler.reseed(None if base_seed is None else base_seed + worker + 1)
        study._stop_requested = _EventBridge(stop)  # type: ignore[assignment]
        try:
            _worker_loop(study, objective, _Budget(n_trials, deadline, claim), callbacks, catch,
                         lambda _: None)
        except BaseException as err:
            stop.set()
            errors.put(_portable(err))
            os._exit(1)
        os._exit(0)

    before = study.storage.n_trials(study._study_id)
    processes = [ctx.Process(target=work, args=(k,), name=f"tunelab-worker-{k}") for k in range(n_jobs)]
    for process in processes:
        process.start()
    try:
        while any(p.is_alive() for p in processes):
            for process in processes:
                process.join(timeout=0.2)
            progress.poll(study.storage.n_trials(study._study_id) - before)
            if study._stop_requested.is_set():
                stop.set()
    except BaseException:
        stop.set()
        for process in processes:
            process.terminate()
        for process in processes:
            process.join()
        study._fail_stale_trials()
        raise
    progress.poll(study.storage.n_trials(study._study_id) - before)
    if not errors.empty():
        raise errors.get()


class _EventBridge:
    """Lets ``study.stop()`` in a worker process stop every worker."""

    def __init__(self, event: Any) -> None:
        self._event = event

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return bool(self._event.is_set())

    def clear(self) -> None:
        self._event.clear()


def _portable(err: BaseException) -> BaseException:
    """The exception itself if it pickles, else a RuntimeError carrying its text."""
    import pickle

    try:
        pickle.loads(pickle.dumps(err))
        return err
    except Exception:
        return RuntimeError(f"{type(err).__name__}: {err}")


class _Progress:
    """A rich progress bar with trial count, best value and elapsed time (or nothing)."""

    def __init__(self, study: Study, n_trials: int | None, timeout: float | None, show: bool) -> None:
        self._study = study
        self._show = show
        self._n_trials = n_trials
        self._timeout = timeout
        self._best: float | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> _Progress:
        if self._show:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TextColumn("best {task.fields[best]}"), transient=False,
                                 console=Console(stderr=True))
            self._bar.start()
            self._task = self._bar.add_task(self._study.name, total=self._n_trials, best="-")
        return self

    def update(self, frozen: FrozenTrial) -> None:
        if not self._show:
            return
        with self._lock:
            if frozen.state == TrialState.COMPLETE and frozen.value is not None:
                better = (self._best is None or (frozen.value < self._best if self._study.direction == "minimize"
                                                 else frozen.value > self._best))
                if better:
                    self._best = frozen.value
            self._bar.update(self._task, advance=1, best=_fmt(self._best))

    def poll(self, done: int) -> None:
        if not self._show:
            return
        try:
            best = _fmt(self._study.best_value)
        except ValueError:
            best = "-"
        self._bar.update(self._task, completed=done, best=best)

    def __exit__(self, *exc: object) -> None:
        if self._show:
            self._bar.stop()


def _fmt(value: float | None) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.6g}"

"""Heartbeats of the trials this process is running, and the retry of trials whose process died.

A trial whose process dies stops beating; the next process that opens the study marks it
FAIL (see :meth:`tunelab.storage.base.Storage.fail_stale_trials`). In-memory stores die with
their process, so they need no beat.
"""

from __future__ import annotations

import os
import threading
import warnings
from typing import TYPE_CHECKING

from tunelab.exceptions import TunelabWarning
from tunelab.storage.base import Storage
from tunelab.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tunelab.study import Study

__all__ = ["Heartbeat", "RetryFailedTrialCallback"]


class Heartbeat:
    """Beats for every registered trial id every ``storage.heartbeat_interval`` seconds.

    Example:
        >>> from tunelab.storage.memory import InMemoryStorage
        >>> beat = Heartbeat(InMemoryStorage())
        >>> beat.register(1); beat.unregister(1)
    """

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._ids: set[int] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._warned = False

    def register(self, trial_id: int) -> None:
        """Start beating for ``trial_id``."""
        if not self._storage.shareable:
            return
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's thread did not come along
                self._ids, self._thread, self._pid = set(), None, os.getpid()
                self._wake = threading.Event()
            self._ids.add(trial_id)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="tunelab-heartbeat", daemon=True)
                self._thread.start()

    def unregister(self, trial_id: int) -> None:
        """Stop beating for ``trial_id`` (it finished)."""
        with self._lock:
            self._ids.discard(trial_id)

    def _run(self) -> None:
        while True:
            self._wake.wait(self._storage.heartbeat_interval)
            with self._lock:
                ids = list(self._ids)
                if not ids:
                    self._thread = None
                    return
            try:
                self._storage.heartbeat(ids)
            except Exception as err:  # a missed beat must never kill the user's training
                if not self._warned:
                    self._warned = True
                    warnings.warn(f"tunelab could not send a trial heartbeat: {err}", TunelabWarning,
                                  stacklevel=1)


class RetryFailedTrialCallback:
    """Re-enqueue a trial that died with its process, with the same parameters.

    Pass it to the storage: ``SQLStorage(url, failed_trial_callback=RetryFailedTrialCallback(2))``.

    Args:
        max_retry: How many times one original trial may be retried; None means no limit.

    Example:
        >>> cb = RetryFailedTrialCallback(max_retry=1)
        >>> cb.max_retry
        1
    """

    def __init__(self, max_retry: int | None = None) -> None:
        if max_retry is not None and (isinstance(max_retry, bool) or not isinstance(max_retry, int) or max_retry < 0):
            raise ValueError(f"`max_retry` must be an int >= 0 or None, got {max_retry!r}.")
        self.max_retry = max_retry

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        original = trial.system_attrs.get("retried_from", trial.number)
        retries = int(trial.system_attrs.get("retry_count", 0))
        if self.max_retry is not None and retries >= self.max_retry:
            return
        study._storage.create_trial(
            study._study_id, state=TrialState.WAITING, fixed_params=dict(trial.params),
            system_attrs={"retried_from": original, "retry_count": retries + 1},
        )

"""In-memory storage: the dict-backed twin of the SQL store, for tests and throw-away studies.

Thread-safe (one lock); lives and dies with the process.

Example:
    >>> import tunelab
    >>> study = tunelab.create_study(storage=InMemoryStorage())
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    >>> len(study.trials)
    3
"""

from __future__ import annotations

import copy
import datetime as _dt
import threading
import time
from collections import deque
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from tunelab.exceptions import (
    ConflictingDistributionError,
    DuplicatedStudyError,
    RunNotFoundError,
    StudyNotFoundError,
    TrialFinishedError,
)
from tunelab.space import Distribution
from tunelab.storage.base import Storage, StudySummary, owner_id, process_alive
from tunelab.storage.records import (
    MetricSeries,
    RunRecord,
    check_alert_level,
    check_order_by,
    merge_summary,
    new_run_id,
    run_changes,
)
from tunelab.trial import FrozenTrial, TrialState

__all__ = ["InMemoryStorage"]


@dataclass
class _Study:
    name: str
    direction: str
    created: _dt.datetime
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    distributions: dict[str, Distribution] = field(default_factory=dict)
    trial_ids: list[int] = field(default_factory=list)
    waiting: deque[int] = field(default_factory=deque)  # WAITING trial ids, oldest first


@dataclass
class _Owner:
    owner: str
    heartbeat: float


class InMemoryStorage(Storage):
    """Keeps everything in process memory; see :class:`~tunelab.storage.base.Storage`.

    Example:
        >>> store = InMemoryStorage()
        >>> store.create_study("a", "maximize")
        1
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._lock = threading.RLock()
        self._studies: dict[int, _Study] = {}
        self._trials: dict[int, FrozenTrial] = {}
        self._trial_study: dict[int, int] = {}
        self._owners: dict[int, _Owner] = {}
        self._next_study = 1
        self._next_trial = 1
        self._looks: list[dict[str, Any]] = []
        self._runs: dict[str, _Run] = {}

    # -- studies ------------------------------------------------------------------------------
    def _study(self, study_id: int) -> _Study:
        try:
            return self._studies[study_id]
        except KeyError:
            raise StudyNotFoundError(f"no study with id {study_id} in this store.") from None

    def create_study(self, name: str, direction: str) -> int:
        with self._lock:
            if any(s.name == name for s in self._studies.values()):
                raise DuplicatedStudyError(
                    f"a study named {name!r} already exists; pass load_if_exists=True to continue it."
                )
            study_id = self._next_study
            self._next_study += 1
            self._studies[study_id] = _Study(name, direction, _dt.datetime.now())
            return study_id

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            study = self._study(study_id)
            for trial_id in study.trial_ids:
                self._trials.pop(trial_id, None)
                self._trial_study.pop(trial_id, None)
                self._owners.pop(trial_id, None)
            del self._studies[study_id]

    def get_study_id(self, name: str) -> int:
        with self._lock:
            for study_id, study in self._studies.items():
                if study.name == name:
                    return study_id
        raise StudyNotFoundError(f"no study named {name!r}; `tunelab studies ls` lists the studies.")

    def get_study_name(self, study_id: int) -> str:
        return self._study(study_id).name

    def get_study_direction(self, study_id: int) -> str:
        return self._study(study_id).direction

    def list_studies(self) -> list[StudySummary]:
        with self._lock:
            summaries = []
            for study_id, study in self._studies.items():
                done = [self._trials[t].value for t in study.trial_ids
                        if self._trials[t].state == TrialState.COMPLETE]
                values = [v for v in done if v is not None]
                best = (min(values) if study.direction == "minimize" else max(values)) if values else None
                summaries.append(StudySummary(study_id, study.name, study.direction, len(study.trial_ids),
                                              best, study.created, dict(study.user_attrs)))
            return summaries

    def set_study_attr(self, study_id: int, key: str, value: Any, *, system: bool = False) -> None:
        with self._lock:
            study = self._study(study_id)
            (study.system_attrs if system else study.user_attrs)[key] = copy.deepcopy(value)

    def get_study_attrs(self, study_id: int, *, system: bool = False) -> dict[str, Any]:
        with self._lock:
            study = self._study(study_id)
            return copy.deepcopy(study.system_attrs if system else study.user_attrs)

    # -- trials -------------------------------------------------------------------------------
    def create_trial(
        self,
        study_id: int,
        *,
        state: TrialState = TrialState.RUNNING,
        fixed_params: dict[str, Any] | None = None,
        system_attrs: dict[str, Any] | None = None,
    ) -> tuple[int, int]:
        if state not in (TrialState.RUNNING, TrialState.WAITING):
            raise ValueError(f"`state` must be RUNNING or WAITING for a new trial, got {state}.")
        with self._lock:
            study = self._study(study_id)
            trial_id = self._next_trial
            self._next_trial += 1
            number = len(study.trial_ids)
            attrs = copy.deepcopy(system_attrs or {})
            if fixed_params:
                attrs["fixed_params"] = dict(fixed_params)
            start = _dt.datetime.now() if state == TrialState.RUNNING else None
            self._trials[trial_id] = FrozenTrial(number, trial_id, state, system_attrs=attrs,
                                                 datetime_start=start)
            self._trial_study[trial_id] = study_id
            study.trial_ids.append(trial_id)
            if state == TrialState.RUNNING:
                self._owners[trial_id] = _Owner(owner_id(), time.time())
            else:
                study.waiting.append(trial_id)
            return trial_id, number

    def pop_waiting_trial(self, study_id: int) -> tuple[int, int] | None:
        with self._lock:
            waiting = self._study(study_id).waiting
            while waiting:
                trial_id = waiting.popleft()
                trial = self._trials[trial_id]
                if trial.state == TrialState.WAITING:
                    self._trials[trial_id] = replace(trial, state=TrialState.RUNNING,
                                                     datetime_start=_dt.datetime.now())
                    self._owners[trial_id] = _Owner(owner_id(), time.time())
                    return trial_id, trial.number
            return None

    def _running(self, trial_id: int, *, allow_waiting: bool = False) -> FrozenTrial:
        try:
            trial = self._trials[trial_id]
        except KeyError:
            raise KeyError(f"no trial with id {trial_id} in this store.") from None
        ok = trial.state == TrialState.RUNNING or (allow_waiting and trial.state == TrialState.WAITING)
        if not ok:
            raise TrialFinishedError(
                f"trial {trial.number} is {trial.state.value} and cannot change; finished trials are immutable."
            )
        return trial

    def set_param(self, trial_id: int, name: str, distribution: Distribution, value: Any) -> None:
        with self._lock:
            trial = self._running(trial_id)
            study = self._studies[self._trial_study[trial_id]]
            known = study.distributions.setdefault(name, distribution)
            if known != distribution:
                raise ConflictingDistributionError(
                    f"parameter {name!r} is {known!r} in study {study.name!r} but was now suggested as "
                    f"{distribution!r}; keep one distribution per name or start a new study."
                )
            params = {**trial.params, name: value}
            dists = {**trial.distributions, name: distribution}
            self._trials[trial_id] = replace(trial, params=params, distributions=dists)

    def set_intermediate(self, trial_id: int, step: int, value: float) -> None:
        with self._lock:
            trial = self._running(trial_id)
            self._trials[trial_id] = replace(
                trial, intermediate_values={**trial.intermediate_values, step: float(value)}
            )

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        with self._lock:
            trial = self._running(trial_id)
            attrs = {**trial.user_attrs, key: copy.deepcopy(value)}
            self._trials[trial_id] = replace(trial, user_attrs=attrs)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        with self._lock:
            trial = self._running(trial_id, allow_waiting=True)
            attrs = {**trial.system_attrs, key: copy.deepcopy(value)}
            self._trials[trial_id] = replace(trial, system_attrs=attrs)

    def finish_trial(
        self, trial_id: int, state: TrialState, value: float | None = None, error: str | None = None
    ) -> None:
        if not state.is_finished():
            raise ValueError(f"`state` must be COMPLETE, PRUNED or FAIL, got {state}.")
        with self._lock:
            trial = self._running(trial_id)
            self._trials[trial_id] = replace(
                trial, state=state, value=None if value is None else float(value), error=error,
                datetime_complete=_dt.datetime.now(),
            )
            self._owners.pop(trial_id, None)

    def heartbeat(self, trial_ids: Iterable[int]) -> None:
        now = time.time()
        with self._lock:
            for trial_id in trial_ids:
                if trial_id in self._owners:
                    self._owners[trial_id].heartbeat = now

    def stale_trial_ids(self, study_id: int) -> list[int]:
        limit = time.time() - self.grace_period
        with self._lock:
            return [
                t for t in self._study(study_id).trial_ids
                if t in self._owners
                and (self._owners[t].heartbeat < limit or not process_alive(self._owners[t].owner))
            ]

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._lock:
            try:
                return self._trials[trial_id]
            except KeyError:
                raise KeyError(f"no trial with id {trial_id} in this store.") from None

    def get_trials(self, study_id: int, states: Container[TrialState] | None = None) -> list[FrozenTrial]:
        with self._lock:
            trials = [self._trials[t] for t in self._study(study_id).trial_ids]
        return trials if states is None else [t for t in trials if t.state in states]

    def n_trials(self, study_id: int, states: Container[TrialState] | None = None) -> int:
        with self._lock:
            ids = self._study(study_id).trial_ids
            if states is None:
                return len(ids)
            return sum(1 for t in ids if self._trials[t].state in states)

    # -- sealed hold-out sets ------------------------------------------------------------------
    def record_holdout_look(self, look: dict[str, Any]) -> None:
        with self._lock:
            self._looks.append(copy.deepcopy(look))

    def holdout_looks(self, *, name: str | None = None, data_fingerprint: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(look) for look in self._looks
                    if (name is not None and look.get("name") == name)
                    or (data_fingerprint is not None and look.get("data_fingerprint") == data_fingerprint)]

    # -- runs (experiment tracking) ------------------------------------------------------------
    def _run(self, run_id: str) -> _Run:
        try:
            return self._runs[run_id]
        except KeyError:
            raise RunNotFoundError(f"no run with id {run_id!r} in this store; `tunelab runs ls` lists them.") from None

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
        now = time.time()
        with self._lock:
            run_id = new_run_id()
            while run_id in self._runs:
                run_id = new_run_id()
            record = RunRecord(run_id, project, name, "running", copy.deepcopy(config), tuple(tags), notes, group,
                               now, None, now, owner_id(), None, copy.deepcopy(env or {}), {}, study_name,
                               trial_number)
            self._runs[run_id] = _Run(record)
            return run_id

    def get_run(self, run_id: str) -> RunRecord:
        with self._lock:
            return _snapshot(self._run(run_id).record)

    def _select_runs(self, project: str | None, states: Sequence[str] | None,
                     tags: Sequence[str] | None) -> list[RunRecord]:
        wanted = set(tags or ())
        return [r.record for r in self._runs.values()
                if (project is None or r.record.project == project)
                and (states is None or r.record.state in states)
                and wanted <= set(r.record.tags)]

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
        check_order_by(order_by)
        with self._lock:
            found = self._select_runs(project, states, tags)
            found.sort(key=lambda r: (getattr(r, order_by) is None, getattr(r, order_by) or 0, r.run_id),
                       reverse=descending)
            end = None if limit is None else offset + limit
            return [_snapshot(r) for r in found[offset:end]]

    def count_runs(self, project: str | None = None, *, states: Sequence[str] | None = None,
                   tags: Sequence[str] | None = None) -> int:
        with self._lock:
            return len(self._select_runs(project, states, tags))

    def list_projects(self) -> list[tuple[str, int]]:
        with self._lock:
            counts: dict[str, int] = {}
            for r in self._runs.values():
                counts[r.record.project] = counts.get(r.record.project, 0) + 1
        return sorted(counts.items())

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
        changes = run_changes(state, tags, notes, config, finished_at, error, owner=owner_id())
        with self._lock:
            run = self._run(run_id)
            run.record = replace(run.record, **copy.deepcopy(changes))

    def heartbeat_run(self, run_id: str) -> None:
        with self._lock:
            run = self._run(run_id)
            if run.record.state == "running":
                run.record = replace(run.record, heartbeat_at=time.time())

    def append_metrics(self, run_id: str, rows: Sequence[tuple[int, float, str, float]]) -> None:
        checked = [(int(s), float(t), str(k), float(v)) for s, t, k, v in rows]
        with self._lock:
            run = self._run(run_id)
            run.points.extend(checked)
            run.record = replace(run.record, summary=merge_summary(run.record.summary, checked))

    def get_metrics(self, run_id: str, keys: Sequence[str] | None = None) -> dict[str, MetricSeries]:
        with self._lock:
            points = list(self._run(run_id).points)
        wanted = None if keys is None else set(keys)
        by_key: dict[str, list[tuple[int, float, str, float]]] = {}
        for point in points:
            if wanted is None or point[2] in wanted:
                by_key.setdefault(point[2], []).append(point)
        out = {}
        for key in sorted(by_key):
            chosen = sorted(by_key[key], key=lambda p: p[0])  # stable: ties keep their order
            out[key] = MetricSeries(key, np.array([p[0] for p in chosen], dtype=np.int64),
                                    np.array([p[1] for p in chosen], dtype=np.float64),
                                    np.array([p[3] for p in chosen], dtype=np.float64))
        return out

    def metric_keys(self, run_id: str) -> list[str]:
        with self._lock:
            return sorted(self._run(run_id).record.summary)

    def add_artifact(self, run_id: str, *, name: str, kind: str, sha256: str, size: int, relpath: str) -> None:
        with self._lock:
            self._run(run_id).artifacts.append({"name": name, "kind": kind, "sha256": sha256, "size": int(size),
                                                "relpath": relpath, "created_at": time.time()})

    def list_artifacts(self, run_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._run(run_id).artifacts)

    def add_alert(self, run_id: str, *, title: str, text: str, level: str, time: float) -> None:
        check_alert_level(level)
        with self._lock:
            self._run(run_id).alerts.append({"title": title, "text": text, "level": level, "time": float(time)})

    def list_alerts(self, run_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._run(run_id).alerts)

    def delete_run(self, run_id: str) -> None:
        with self._lock:
            self._run(run_id)
            del self._runs[run_id]

    def stale_run_ids(self) -> list[str]:
        limit = time.time() - self.grace_period
        with self._lock:
            running = [r.record for r in self._runs.values() if r.record.state == "running"]
        return [r.run_id for r in running
                if (r.heartbeat_at or 0) < limit or not process_alive(r.owner)]


@dataclass
class _Run:
    record: RunRecord
    points: list[tuple[int, float, str, float]] = field(default_factory=list)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)


def _snapshot(record: RunRecord) -> RunRecord:
    return replace(record, config=copy.deepcopy(record.config), env=copy.deepcopy(record.env),
                   summary=copy.deepcopy(record.summary))

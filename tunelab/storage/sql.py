"""The persistent store: SQLite on one machine, PostgreSQL across machines (SQLAlchemy 2 Core).

* **SQLite** files are put in WAL mode with ``synchronous=NORMAL``, a 60 s busy timeout and
  foreign keys on. pysqlite's own transaction handling is switched off so that every
  read-then-write runs in ``BEGIN IMMEDIATE``: it takes the write lock up front, so parallel
  writers queue on the busy timeout instead of failing with "database is locked".
* **PostgreSQL** (``postgresql://`` uses psycopg 3, the ``postgres`` extra): the rows a write
  depends on are locked with ``SELECT … FOR UPDATE`` or changed with one conditional UPDATE.
* **Trial numbers** come from ``studies.next_trial_number``, incremented with
  ``UPDATE … RETURNING`` in the transaction that inserts the trial; never ``MAX(number) + 1``.
* **Caches.** Finished trials and each study's distributions never change, so they are kept
  in process; :meth:`SQLStorage.get_trials` reads the ids and states of a study's trials and
  fetches full rows only for those not cached yet.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> store = SQLStorage(f"sqlite:///{folder / 'sub' / 'demo.db'}")
    >>> sid = store.create_study("demo", "minimize")
    >>> tid, number = store.create_trial(sid)
    >>> store.finish_trial(tid, TrialState.COMPLETE, 0.25)
    >>> [t.value for t in store.get_trials(sid)]
    [0.25]
    >>> store.close()
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
import math
import os
import threading
import time
import weakref
from collections.abc import Container, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import case, delete, func, insert, or_, select, update
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from tunelab.exceptions import (
    ConflictingDistributionError,
    DuplicatedStudyError,
    StorageError,
    StudyNotFoundError,
    TrialFinishedError,
)
from tunelab.space import Distribution, distribution_from_json
from tunelab.storage import _migrate
from tunelab.storage._engine import dispose, make_engine, normalise_url
from tunelab.storage._runs_sql import RunsSQLMixin
from tunelab.storage._schema import (
    holdout_looks,
    studies,
    study_attrs,
    study_distributions,
    trial_attrs,
    trial_intermediate,
    trial_params,
    trials,
)
from tunelab.storage._sqlstmt import Statements
from tunelab.storage.base import Storage, StudySummary, owner_id, process_alive
from tunelab.trial import FrozenTrial, TrialState

__all__ = ["SQLStorage"]

_RUNNING = TrialState.RUNNING.value
_WAITING = TrialState.WAITING.value
_CHUNK = 500  # ids per IN (...) list


def _dumps(value: Any) -> str:
    return json.dumps(value, allow_nan=True)


def _when(epoch: float | None) -> _dt.datetime | None:
    return None if epoch is None else _dt.datetime.fromtimestamp(epoch)


class SQLStorage(RunsSQLMixin, Storage):
    """A store in any SQLAlchemy database; see :class:`~tunelab.storage.base.Storage`.

    Args:
        url: ``sqlite:///path/to/file.db`` (the folder is created if missing) or
            ``postgresql://user@host:5432/db``.
        engine_kwargs: Extra keyword arguments for :func:`sqlalchemy.create_engine`.
        **options: ``heartbeat_interval``, ``grace_period``, ``failed_trial_callback`` (see
            :class:`~tunelab.storage.base.Storage`).

    Raises:
        StorageError: The URL or the file is not a usable store (not a database, a database
            of another application, a server that does not answer).
        StorageVersionError: The store was written by a newer tunelab.

    Example:
        >>> import tempfile, os
        >>> store = SQLStorage("sqlite:///" + os.path.join(tempfile.mkdtemp(), "t.db"))
        >>> store.shareable
        True
    """

    def __init__(self, url: str | URL, *, engine_kwargs: dict[str, Any] | None = None, **options: Any) -> None:
        super().__init__(**options)
        self._url = normalise_url(url)
        self._engine_kwargs = dict(engine_kwargs or {})
        self._sqlite = self._url.get_backend_name() == "sqlite"
        database = self._url.database or ""
        self._in_memory = self._sqlite and database in ("", ":memory:")
        self._path = None if (not self._sqlite or self._in_memory or database.startswith("file:")) \
            else Path(database).expanduser()
        self._where = str(self._path) if self._path is not None else self._url.render_as_string(hide_password=True)
        self._guard = threading.RLock() if self._in_memory else None
        self._finished: dict[int, FrozenTrial] = {}
        self._known: dict[tuple[int, str], Distribution] = {}
        self._trial_study: dict[int, int] = {}  # a trial never changes study
        self._parsed: dict[str, Distribution] = {}
        if self._path is not None:
            _migrate.check_sqlite_file(self._path)
            self._path.parent.mkdir(parents=True, exist_ok=True)
        self._engine = make_engine(self._url, in_memory=self._in_memory, engine_kwargs=self._engine_kwargs)
        self._writer = self._engine.execution_options(tunelab_write=True)
        self._s = Statements(self._engine.dialect)
        self._owner_pid = [os.getpid()]
        self._open()
        weakref.finalize(self, dispose, self._engine, self._owner_pid)

    # -- opening -------------------------------------------------------------------------------
    def _open(self) -> None:
        try:
            with self._engine.connect() as conn:
                state = _migrate.inspect_store(conn)
            action = _migrate.classify(state, self._where)
            if self._sqlite and not self._in_memory:
                raw = self._engine.raw_connection()
                try:
                    raw.driver_connection.execute("PRAGMA journal_mode = WAL")  # type: ignore[union-attr]
                finally:
                    raw.close()
            if action != "head":
                with self._writer.begin() as conn:
                    _migrate.migrate(conn, self._where)
            elif state.last_opened_with != _migrate.tunelab_version():
                with self._writer.begin() as conn:
                    _migrate.record_opened(conn)
        except DBAPIError as err:
            self._engine.dispose()
            raise StorageError(f"cannot open the store {self._where}: {str(err.orig).strip()}") from None
        except Exception:
            self._engine.dispose()
            raise

    @property
    def url(self) -> str:
        """The database URL, with any password hidden."""
        return self._url.render_as_string(hide_password=True)

    @property
    def shareable(self) -> bool:
        """True: other processes can open the same URL (False for in-memory SQLite)."""
        return not self._in_memory

    def reopen_after_fork(self) -> None:
        """Forget the parent's pooled connections without closing them (the parent still uses them)."""
        self._engine.dispose(close=False)
        self._owner_pid[0] = os.getpid()

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self._url.render_as_string(hide_password=False), "engine_kwargs": self._engine_kwargs,
                "options": {"heartbeat_interval": self.heartbeat_interval, "grace_period": self.grace_period,
                            "failed_trial_callback": self.failed_trial_callback}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["url"], engine_kwargs=state["engine_kwargs"], **state["options"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"SQLStorage({self.url!r})"

    # -- transactions --------------------------------------------------------------------------
    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._guard or nullcontext(), self._engine.connect() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._guard or nullcontext(), self._writer.begin() as conn:
            yield conn

    def _study_row(self, conn: Connection, study_id: int) -> Any:
        row = conn.execute(self._s.study, {"sid": study_id}).first()
        if row is None:
            raise StudyNotFoundError(f"no study with id {study_id} in this store.")
        return row

    # -- studies -------------------------------------------------------------------------------
    def create_study(self, name: str, direction: str) -> int:
        try:
            with self._write() as conn:
                result = conn.execute(insert(studies).values(name=name, direction=direction, created=time.time()))
                return int(result.inserted_primary_key[0])  # type: ignore[index]
        except IntegrityError:
            raise DuplicatedStudyError(
                f"a study named {name!r} already exists; pass load_if_exists=True to continue it."
            ) from None

    def delete_study(self, study_id: int) -> None:
        with self._write() as conn:
            self._study_row(conn, study_id)
            ids = conn.execute(select(trials.c.id).where(trials.c.study_id == study_id)).scalars().all()
            conn.execute(delete(studies).where(studies.c.id == study_id))
        for trial_id in ids:
            self._finished.pop(trial_id, None)
            self._trial_study.pop(trial_id, None)
        for key in [k for k in self._known if k[0] == study_id]:
            del self._known[key]

    def get_study_id(self, name: str) -> int:
        with self._read() as conn:
            study_id = conn.execute(select(studies.c.id).where(studies.c.name == name)).scalar()
        if study_id is None:
            raise StudyNotFoundError(f"no study named {name!r}; `tunelab studies ls` lists the studies.")
        return int(study_id)

    def get_study_name(self, study_id: int) -> str:
        with self._read() as conn:
            return str(self._study_row(conn, study_id).name)

    def get_study_direction(self, study_id: int) -> str:
        with self._read() as conn:
            return str(self._study_row(conn, study_id).direction)

    def list_studies(self) -> list[StudySummary]:
        complete = trials.c.state == TrialState.COMPLETE.value
        query = (
            select(studies.c.id, studies.c.name, studies.c.direction, studies.c.created,
                   func.count(trials.c.id), func.min(case((complete, trials.c.value))),
                   func.max(case((complete, trials.c.value))))
            .select_from(studies.outerjoin(trials))
            .group_by(studies.c.id, studies.c.name, studies.c.direction, studies.c.created)
            .order_by(studies.c.id)
        )
        with self._read() as conn:
            rows = conn.execute(query).all()
            attr_rows = conn.execute(select(study_attrs.c.study_id, study_attrs.c.key, study_attrs.c.value_json)
                                     .where(study_attrs.c.system.is_(False))).all()
        attrs: dict[int, dict[str, Any]] = {}
        for study_id, key, value_json in attr_rows:
            attrs.setdefault(study_id, {})[key] = json.loads(value_json)
        return [
            StudySummary(sid, name, direction, n, low if direction == "minimize" else high,
                         _when(created), attrs.get(sid, {}))
            for sid, name, direction, created, n, low, high in rows
        ]

    def set_study_attr(self, study_id: int, key: str, value: Any, *, system: bool = False) -> None:
        value_json = _dumps(value)
        with self._write() as conn:
            self._study_row(conn, study_id)
            self._s.upsert(conn, study_attrs, [{"study_id": study_id, "system": system, "key": key,
                                                "value_json": value_json}])

    def get_study_attrs(self, study_id: int, *, system: bool = False) -> dict[str, Any]:
        with self._read() as conn:
            self._study_row(conn, study_id)
            rows = conn.execute(select(study_attrs.c.key, study_attrs.c.value_json).where(
                study_attrs.c.study_id == study_id, study_attrs.c.system.is_(system))).all()
        return {key: json.loads(value_json) for key, value_json in rows}

    # -- creating and claiming trials ------------------------------------------------------------
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
        attrs = copy.deepcopy(system_attrs or {})
        if fixed_params:
            attrs["fixed_params"] = dict(fixed_params)
        attr_rows = [{"system": True, "key": k, "value_json": _dumps(v)} for k, v in attrs.items()]
        running = state == TrialState.RUNNING
        now = time.time()
        with self._write() as conn:
            number = self._s.next_number(conn, study_id)
            if number is None:
                raise StudyNotFoundError(f"no study with id {study_id} in this store.")
            result = conn.execute(insert(trials).values(
                study_id=study_id, number=number, state=state.value, datetime_start=now if running else None,
                owner=owner_id() if running else None, heartbeat=now if running else None))
            trial_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            if attr_rows:
                conn.execute(insert(trial_attrs), [{"trial_id": trial_id, **row} for row in attr_rows])
        self._trial_study[trial_id] = study_id
        return trial_id, number

    def pop_waiting_trial(self, study_id: int) -> tuple[int, int] | None:
        with self._read() as conn:  # cheap check first: most calls find nothing and take no lock
            if conn.execute(self._s.first_waiting, {"sid": study_id}).first() is None:
                self._study_row(conn, study_id)
                return None
        now = time.time()
        with self._write() as conn:
            row = conn.execute(self._s.claim_waiting, {"sid": study_id}).first()
            if row is None:
                return None
            conn.execute(update(trials).where(trials.c.id == row.id).values(
                state=_RUNNING, datetime_start=now, owner=owner_id(), heartbeat=now))
        self._trial_study[int(row.id)] = study_id
        return int(row.id), int(row.number)

    # -- writing to a trial ----------------------------------------------------------------------
    def _lock_trial(self, conn: Connection, trial_id: int, *, allow_waiting: bool = False) -> Any:
        row = conn.execute(self._s.lock_trial, {"tid": trial_id}).first()
        if row is None:
            raise KeyError(f"no trial with id {trial_id} in this store.")
        if not (row.state == _RUNNING or (allow_waiting and row.state == _WAITING)):
            raise TrialFinishedError(
                f"trial {row.number} is {row.state} and cannot change; finished trials are immutable."
            )
        return row

    def _distribution(self, text: str) -> Distribution:
        dist = self._parsed.get(text)
        if dist is None:
            dist = self._parsed[text] = distribution_from_json(json.loads(text))
        return dist

    def _check_distribution(self, conn: Connection, study_id: int, name: str, distribution: Distribution,
                            text: str) -> Distribution:
        known = self._known.get((study_id, name))
        if known is None:
            stored = conn.execute(self._s.study_distribution, {"sid": study_id, "name": name}).scalar()
            if stored is None:
                self._s.insert_ignore(conn, study_distributions,
                                      {"study_id": study_id, "name": name, "distribution_json": text})
                stored = conn.execute(self._s.study_distribution, {"sid": study_id, "name": name}).scalar()
            known = self._distribution(str(stored))
        if known != distribution:
            study_name = self._study_row(conn, study_id).name
            raise ConflictingDistributionError(
                f"parameter {name!r} is {known!r} in study {study_name!r} but was now suggested as "
                f"{distribution!r}; keep one distribution per name or start a new study."
            )
        return known

    def set_param(self, trial_id: int, name: str, distribution: Distribution, value: Any) -> None:
        text = json.dumps(distribution.to_json(), sort_keys=True)
        row = {"trial_id": trial_id, "name": name, "value_json": _dumps(value), "distribution_json": text}
        study_id = self._trial_study.get(trial_id)
        if study_id is not None and self._known.get((study_id, name)) == distribution:
            with self._write() as conn:  # the usual case: one guarded statement
                if not self._s.guarded_upsert(conn, trial_params, row, (_RUNNING,)):
                    self._lock_trial(conn, trial_id)  # raises why
            return
        with self._write() as conn:
            study_id = self._lock_trial(conn, trial_id).study_id
            known = self._check_distribution(conn, study_id, name, distribution, text)
            self._s.upsert(conn, trial_params, [row])
        self._trial_study[trial_id] = study_id
        self._known[(study_id, name)] = known  # committed: it can never change now

    def set_intermediate(self, trial_id: int, step: int, value: float) -> None:
        number = float(value)
        row = {"trial_id": trial_id, "step": step, "value": None if math.isnan(number) else number}
        with self._write() as conn:
            if not self._s.guarded_upsert(conn, trial_intermediate, row, (_RUNNING,)):
                self._lock_trial(conn, trial_id)

    def _set_trial_attr(self, trial_id: int, key: str, value: Any, *, system: bool) -> None:
        row = {"trial_id": trial_id, "system": system, "key": key, "value_json": _dumps(value)}
        states = (_RUNNING, _WAITING) if system else (_RUNNING,)
        with self._write() as conn:
            if not self._s.guarded_upsert(conn, trial_attrs, row, states):
                self._lock_trial(conn, trial_id, allow_waiting=system)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_trial_attr(trial_id, key, value, system=False)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_trial_attr(trial_id, key, value, system=True)

    def finish_trial(
        self, trial_id: int, state: TrialState, value: float | None = None, error: str | None = None
    ) -> None:
        if not state.is_finished():
            raise ValueError(f"`state` must be COMPLETE, PRUNED or FAIL, got {state}.")
        number = None if value is None else float(value)
        stored = None if number is None or math.isnan(number) else number
        with self._write() as conn:
            done = conn.execute(
                update(trials).where(trials.c.id == trial_id, trials.c.state == _RUNNING).values(
                    state=state.value, value=stored, error=error, datetime_complete=time.time(),
                    owner=None, heartbeat=None)
            ).rowcount
            if done != 1:
                self._lock_trial(conn, trial_id)  # raises the reason: unknown or not RUNNING

    def heartbeat(self, trial_ids: Iterable[int]) -> None:
        ids = list(trial_ids)
        for start in range(0, len(ids), _CHUNK):
            with self._write() as conn:
                conn.execute(self._s.beat, {"ids": ids[start:start + _CHUNK], "now": time.time()})

    def stale_trial_ids(self, study_id: int) -> list[int]:
        limit = time.time() - self.grace_period
        with self._read() as conn:
            rows = conn.execute(self._s.running_owners, {"sid": study_id}).all()
            if not rows:
                self._study_row(conn, study_id)
        return [int(tid) for tid, owner, beat in rows
                if beat is None or beat < limit or not process_alive(owner)]

    # -- reading trials ----------------------------------------------------------------------------
    def _fetch(self, conn: Connection, ids: list[int]) -> dict[int, FrozenTrial]:
        """Full trials for ``ids``: trial rows first, then their (by then final if finished) children."""
        found: dict[int, FrozenTrial] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = {"ids": ids[start:start + _CHUNK]}
            rows = conn.execute(self._s.trials_by_ids, chunk).all()
            params: dict[int, dict[str, Any]] = {r.id: {} for r in rows}
            dists: dict[int, dict[str, Distribution]] = {r.id: {} for r in rows}
            inter: dict[int, dict[int, float]] = {r.id: {} for r in rows}
            attrs: dict[tuple[int, bool], dict[str, Any]] = {}
            for tid, name, value_json, dist_json in conn.execute(self._s.params_by_ids, chunk):
                params[tid][name] = json.loads(value_json)
                dists[tid][name] = self._distribution(dist_json)
            for tid, step, value in conn.execute(self._s.intermediate_by_ids, chunk):
                inter[tid][step] = math.nan if value is None else value
            for tid, system, key, value_json in conn.execute(self._s.attrs_by_ids, chunk):
                attrs.setdefault((tid, bool(system)), {})[key] = json.loads(value_json)
            for r in rows:
                state = TrialState(r.state)
                value = math.nan if r.value is None and state == TrialState.COMPLETE else r.value
                trial = FrozenTrial(
                    number=r.number, trial_id=r.id, state=state, value=value, params=params[r.id],
                    distributions=dists[r.id], intermediate_values=inter[r.id],
                    user_attrs=attrs.get((r.id, False), {}), system_attrs=attrs.get((r.id, True), {}),
                    datetime_start=_when(r.datetime_start), datetime_complete=_when(r.datetime_complete),
                    error=r.error,
                )
                found[r.id] = trial
                self._trial_study[r.id] = r.study_id
                if state.is_finished():
                    self._finished[r.id] = trial
        return found

    def get_trial(self, trial_id: int) -> FrozenTrial:
        cached = self._finished.get(trial_id)
        if cached is not None:
            return cached
        with self._read() as conn:
            found = self._fetch(conn, [trial_id])
        if trial_id not in found:
            raise KeyError(f"no trial with id {trial_id} in this store.")
        return found[trial_id]

    def get_trials(self, study_id: int, states: Container[TrialState] | None = None) -> list[FrozenTrial]:
        wanted = None if states is None else {s.value for s in TrialState if s in states}
        with self._read() as conn:
            rows = conn.execute(self._s.trial_states, {"sid": study_id}).all()
            if not rows:
                self._study_row(conn, study_id)
                return []
            cached = self._finished
            missing = [tid for tid, state in rows
                       if tid not in cached and (wanted is None or state in wanted)]
            fresh = self._fetch(conn, missing) if missing else {}
        result = []
        for tid, state in rows:
            if wanted is not None and state not in wanted:
                continue
            trial = cached.get(tid) or fresh.get(tid)
            if trial is not None:
                result.append(trial)
        return result

    def n_trials(self, study_id: int, states: Container[TrialState] | None = None) -> int:
        query = select(func.count(trials.c.id)).where(trials.c.study_id == study_id)
        if states is not None:
            query = query.where(trials.c.state.in_([s.value for s in TrialState if s in states]))
        with self._read() as conn:
            count = int(conn.execute(query).scalar() or 0)
            if count == 0:
                self._study_row(conn, study_id)
        return count

    # -- sealed hold-out sets ------------------------------------------------------------------
    def record_holdout_look(self, look: dict[str, Any]) -> None:
        """Append one look at a sealed hold-out set (committed on return)."""
        row = {"name": str(look.get("name", "")), "data_fingerprint": look.get("data_fingerprint"),
               "time": look.get("time"), "look_json": _dumps(look)}
        with self._write() as conn:
            conn.execute(insert(holdout_looks), row)

    def holdout_looks(self, *, name: str | None = None, data_fingerprint: str | None = None) -> list[dict[str, Any]]:
        """The looks whose set name is ``name`` or whose data fingerprint is ``data_fingerprint``."""
        matches = []
        if name is not None:
            matches.append(holdout_looks.c.name == name)
        if data_fingerprint is not None:
            matches.append(holdout_looks.c.data_fingerprint == data_fingerprint)
        if not matches:
            return []
        query = select(holdout_looks.c.look_json).where(or_(*matches)).order_by(holdout_looks.c.id)
        with self._read() as conn:
            return [json.loads(text) for text in conn.execute(query).scalars()]

"""The tracking half of :class:`~tunelab.storage.sql.SQLStorage`: runs, metrics, artifacts, alerts.

A mixin over the SQL store's ``_read``/``_write`` transactions. Metrics are written through the
driver's ``executemany`` (one statement per batch, no per-row SQLAlchemy work): each step's
points become one row whose ``data`` packs ``(uint32 key id, float64 value)`` pairs, and
reading a run back is one query plus :func:`numpy.frombuffer` over the joined blobs.

Example:
    >>> import tempfile, os
    >>> from tunelab.storage.sql import SQLStorage
    >>> store = SQLStorage("sqlite:///" + os.path.join(tempfile.mkdtemp(), "t.db"))
    >>> rid = store.create_run("p", name="n", config={})
    >>> store.append_metrics(rid, [(0, 1.0, "loss", 0.5), (1, 2.0, "loss", float("inf"))])
    >>> store.get_metrics(rid)["loss"].values.tolist()
    [0.5, inf]
    >>> store.close()
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from tunelab.exceptions import RunNotFoundError
from tunelab.storage._schema import metric_names, run_alerts, run_artifacts, run_metrics, runs
from tunelab.storage.base import owner_id, process_alive
from tunelab.storage.records import (
    MetricSeries,
    RunRecord,
    check_alert_level,
    check_order_by,
    merge_summary_arrays,
    new_run_id,
    run_changes,
)

__all__ = ["RunsSQLMixin"]

_POINT = np.dtype([("k", "<u4"), ("v", "<f8")])


def _dumps(value: Any) -> str:
    return json.dumps(value, allow_nan=True)


def _record(row: Any) -> RunRecord:
    return RunRecord(
        run_id=row.run_id, project=row.project, name=row.name, state=row.state,
        config=json.loads(row.config_json), tags=tuple(json.loads(row.tags_json)), notes=row.notes,
        group=row.group_name, created_at=row.created_at, finished_at=row.finished_at,
        heartbeat_at=row.heartbeat_at, owner=row.owner, error=row.error, env=json.loads(row.env_json),
        summary=json.loads(row.summary_json), study_name=row.study_name, trial_number=row.trial_number,
    )


class RunsSQLMixin:
    """Run storage over SQL; mixed into :class:`~tunelab.storage.sql.SQLStorage`.

    Example:
        >>> from tunelab.storage.sql import SQLStorage
        >>> issubclass(SQLStorage, RunsSQLMixin)
        True
    """

    grace_period: float
    _read: Any
    _write: Any
    _path: Path | None

    def _run_cache(self) -> dict[str, int]:
        cache: dict[str, int] | None = getattr(self, "_run_pks", None)
        if cache is None:
            cache = {}
            self._run_pks: dict[str, int] = cache
            self._name_ids: dict[str, int] = {}
            self._id_names: dict[int, str] = {}
        return cache

    def _run_pk(self, conn: Connection, run_id: str, *, lock: bool = False) -> int:
        cache = self._run_cache()
        if not lock and run_id in cache:
            return cache[run_id]
        query = select(runs.c.id).where(runs.c.run_id == run_id)
        pk = conn.execute(query.with_for_update() if lock else query).scalar()
        if pk is None:
            raise RunNotFoundError(f"no run with id {run_id!r} in this store; `tunelab runs ls` lists them.")
        cache[run_id] = int(pk)
        return int(pk)

    def artifact_root(self) -> Path | None:
        """``artifacts/`` beside the SQLite file; None for PostgreSQL and in-memory SQLite."""
        return None if self._path is None else self._path.parent / "artifacts"

    # -- runs ----------------------------------------------------------------------------------
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
        """Insert a running run owned by this process and return its id."""
        run_id, now = new_run_id(), time.time()
        row = dict(run_id=run_id, project=project, name=name, state="running", config_json=_dumps(config),
                   tags_json=json.dumps(list(dict.fromkeys(tags))), notes=notes, group_name=group, created_at=now,
                   heartbeat_at=now, owner=owner_id(), env_json=_dumps(env or {}), summary_json="{}",
                   study_name=study_name, trial_number=trial_number)
        with self._write() as conn:
            pk = conn.execute(insert(runs).values(**row)).inserted_primary_key[0]
        self._run_cache()[run_id] = int(pk)
        return run_id

    def get_run(self, run_id: str) -> RunRecord:
        """Return one run (RunNotFoundError if unknown)."""
        with self._read() as conn:
            row = conn.execute(select(runs).where(runs.c.run_id == run_id)).first()
        if row is None:
            raise RunNotFoundError(f"no run with id {run_id!r} in this store; `tunelab runs ls` lists them.")
        return _record(row)

    def _runs_query(self, project: str | None, states: Sequence[str] | None) -> Any:
        query = select(runs)
        if project is not None:
            query = query.where(runs.c.project == project)
        if states is not None:
            query = query.where(runs.c.state.in_(list(states)))
        return query

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
        """Runs of ``project`` in ``states`` with every tag in ``tags``, sorted and sliced."""
        column = runs.c[check_order_by(order_by)]
        query = self._runs_query(project, states).order_by(
            column.desc() if descending else column.asc(), runs.c.id.desc() if descending else runs.c.id)
        if not tags:
            query = query.offset(offset) if offset else query
            query = query.limit(limit) if limit is not None else query
        with self._read() as conn:
            found = [_record(row) for row in conn.execute(query)]
        if tags:
            wanted = set(tags)
            found = [r for r in found if wanted <= set(r.tags)]
            found = found[offset:None if limit is None else offset + limit]
        return found

    def count_runs(self, project: str | None = None, *, states: Sequence[str] | None = None,
                   tags: Sequence[str] | None = None) -> int:
        """How many runs :meth:`list_runs` would return without a limit."""
        if tags:
            return len(self.list_runs(project, states=states, tags=tags))
        query = self._runs_query(project, states).with_only_columns(func.count(runs.c.id))
        with self._read() as conn:
            return int(conn.execute(query).scalar() or 0)

    def list_projects(self) -> list[tuple[str, int]]:
        """Every project with its number of runs, by name."""
        query = select(runs.c.project, func.count(runs.c.id)).group_by(runs.c.project).order_by(runs.c.project)
        with self._read() as conn:
            return [(str(p), int(n)) for p, n in conn.execute(query)]

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
        """Change the given fields of a run."""
        changes = run_changes(state, tags, notes, config, finished_at, error, owner=owner_id())
        columns = {"tags": "tags_json", "config": "config_json"}
        values = {columns.get(k, k): (_dumps(list(v) if k == "tags" else v) if k in columns else v)
                  for k, v in changes.items()}
        with self._write() as conn:
            if conn.execute(update(runs).where(runs.c.run_id == run_id).values(**values)).rowcount != 1:
                raise RunNotFoundError(f"no run with id {run_id!r} in this store; `tunelab runs ls` lists them.")

    def heartbeat_run(self, run_id: str) -> None:
        """Record that a running run is alive."""
        with self._write() as conn:
            conn.execute(update(runs).where(runs.c.run_id == run_id, runs.c.state == "running")
                         .values(heartbeat_at=time.time()))

    def delete_run(self, run_id: str) -> None:
        """Delete a run with its metrics, artifact rows and alerts."""
        with self._write() as conn:
            pk = self._run_pk(conn, run_id, lock=True)
            for table in (run_metrics, run_artifacts, run_alerts):
                conn.execute(delete(table).where(table.c.run_pk == pk))
            conn.execute(delete(runs).where(runs.c.id == pk))
        self._run_cache().pop(run_id, None)

    def stale_run_ids(self) -> list[str]:
        """Running runs whose process is gone (same host) or whose heartbeat expired."""
        limit = time.time() - self.grace_period
        query = select(runs.c.run_id, runs.c.owner, runs.c.heartbeat_at).where(runs.c.state == "running")
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [str(rid) for rid, owner, beat in rows if beat is None or beat < limit or not process_alive(owner)]

    # -- metrics -------------------------------------------------------------------------------
    def _key_ids(self, conn: Connection, keys: set[str]) -> dict[str, int]:
        self._run_cache()
        known = self._name_ids
        missing = [k for k in keys if k not in known]
        if missing:
            statements = getattr(self, "_s")  # noqa: B009 - the SQL store's Statements
            for key in missing:
                statements.insert_ignore(conn, metric_names, {"name": key})
            rows = conn.execute(select(metric_names.c.id, metric_names.c.name)
                                .where(metric_names.c.name.in_(missing))).all()
            for kid, name in rows:
                known[name], self._id_names[int(kid)] = int(kid), name
        return known

    def append_metrics(self, run_id: str, rows: Sequence[tuple[int, float, str, float]]) -> None:
        """Store a batch of points and the run's updated summary in one transaction."""
        if not rows:
            return
        n = len(rows)
        steps = np.fromiter([r[0] for r in rows], np.int64, n)
        times = np.fromiter([r[1] for r in rows], np.float64, n)
        keys_t = [r[2] for r in rows]
        values = np.fromiter([r[3] for r in rows], np.float64, n)
        with self._write() as conn:
            pk = self._run_pk(conn, run_id)
            summary_text = conn.execute(select(runs.c.summary_json).where(runs.c.id == pk).with_for_update()).scalar()
            if summary_text is None:
                raise RunNotFoundError(f"no run with id {run_id!r} in this store; `tunelab runs ls` lists them.")
            summary = json.loads(summary_text)
            ids = self._key_ids(conn, set(keys_t))
            kid = np.fromiter(map(ids.__getitem__, keys_t), np.int64, n)
            packed = self._pack_rows(conn, pk, steps, times, kid, values, summary)
            mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
            conn.exec_driver_sql(
                f"INSERT INTO run_metrics (run_pk, step, part, time, data) VALUES ({mark}, {mark}, {mark}, {mark}, {mark})",
                packed)
            names = {i: k for k, i in ids.items()}
            codes = np.unique(kid)
            merged = merge_summary_arrays(summary, steps, np.searchsorted(codes, kid), values,
                                          [names[int(c)] for c in codes])
            conn.execute(update(runs).where(runs.c.id == pk).values(summary_json=_dumps(merged)))

    def _pack_rows(self, conn: Connection, pk: int, steps: np.ndarray, times: np.ndarray, kid: np.ndarray,
                   values: np.ndarray, summary: dict[str, Any]) -> list[tuple[int, int, int, float, bytes]]:
        points = np.empty(len(steps), _POINT)
        points["k"], points["v"] = kid, values
        blob = points.tobytes()
        starts = np.flatnonzero(np.r_[True, (steps[1:] != steps[:-1]) | (times[1:] != times[:-1])])
        bounds = (np.r_[starts, len(steps)] * _POINT.itemsize).tolist()
        group_steps = steps[starts]
        last_stored = max((int(e["step"]) for e in summary.values()), default=None)
        simple = bool(np.all(np.diff(group_steps) > 0)) and (last_stored is None or group_steps[0] > last_stored)
        parts: dict[int, int] = {}
        g_steps, g_times = group_steps.tolist(), times[starts].tolist()
        return [(pk, g_steps[i], 0 if simple else self._part(conn, pk, g_steps[i], parts, last_stored), g_times[i],
                 blob[bounds[i]:bounds[i + 1]]) for i in range(len(g_steps))]

    @staticmethod
    def _part(conn: Connection, pk: int, step: int, parts: dict[int, int], last_stored: int | None) -> int:
        if step in parts:
            parts[step] += 1
        elif last_stored is not None and step <= last_stored:
            top = conn.execute(select(func.max(run_metrics.c.part))
                               .where(run_metrics.c.run_pk == pk, run_metrics.c.step == step)).scalar()
            parts[step] = 0 if top is None else int(top) + 1
        else:
            parts[step] = 0
        return parts[step]

    def get_metrics(self, run_id: str, keys: Sequence[str] | None = None) -> dict[str, MetricSeries]:
        """The run's metric series, each ordered by step."""
        query = (select(run_metrics.c.step, run_metrics.c.time, run_metrics.c.data)
                 .where(run_metrics.c.run_pk == select(runs.c.id).where(runs.c.run_id == run_id).scalar_subquery())
                 .order_by(run_metrics.c.step, run_metrics.c.part))
        with self._read() as conn:
            rows = conn.execute(query).all()
            if not rows:
                self._run_pk(conn, run_id)
                return {}
            self._run_cache()
            steps, times, points = self._decode(rows)
            present = np.unique(points["k"])
            unknown = {int(k) for k in present} - set(self._id_names)
            if unknown:
                for kid, name in conn.execute(select(metric_names.c.id, metric_names.c.name)
                                              .where(metric_names.c.id.in_(sorted(unknown)))):
                    self._id_names[int(kid)], self._name_ids[name] = name, int(kid)
        wanted = None if keys is None else set(keys)
        out = {}
        for kid in present:
            name = self._id_names[int(kid)]
            if wanted is not None and name not in wanted:
                continue
            mask = points["k"] == kid
            out[name] = MetricSeries(name, steps[mask], times[mask], points["v"][mask].astype(np.float64))
        return dict(sorted(out.items()))

    @staticmethod
    def _decode(rows: list[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = len(rows)
        blobs = [bytes(r[2]) for r in rows]
        counts = np.fromiter(map(len, blobs), np.int64, n) // _POINT.itemsize
        steps = np.repeat(np.fromiter((r[0] for r in rows), np.int64, n), counts)
        times = np.repeat(np.fromiter((r[1] for r in rows), np.float64, n), counts)
        return steps, times, np.frombuffer(b"".join(blobs), _POINT)

    def metric_keys(self, run_id: str) -> list[str]:
        """The keys the run has logged, sorted."""
        return sorted(self.get_run(run_id).summary)

    # -- artifacts and alerts ------------------------------------------------------------------
    def add_artifact(self, run_id: str, *, name: str, kind: str, sha256: str, size: int, relpath: str) -> None:
        """Record an artifact file of the run."""
        with self._write() as conn:
            pk = self._run_pk(conn, run_id)
            conn.execute(insert(run_artifacts).values(run_pk=pk, name=name, kind=kind, sha256=sha256,
                                                      size=int(size), relpath=relpath, created_at=time.time()))

    def list_artifacts(self, run_id: str) -> list[dict[str, Any]]:
        """Artifacts of the run, oldest first."""
        cols = [run_artifacts.c[c] for c in ("name", "kind", "sha256", "size", "relpath", "created_at")]
        return self._children(run_id, run_artifacts, cols)

    def add_alert(self, run_id: str, *, title: str, text: str, level: str, time: float) -> None:
        """Record an alert of the run."""
        check_alert_level(level)
        with self._write() as conn:
            pk = self._run_pk(conn, run_id)
            conn.execute(insert(run_alerts).values(run_pk=pk, title=title, text=text, level=level, time=float(time)))

    def list_alerts(self, run_id: str) -> list[dict[str, Any]]:
        """Alerts of the run, oldest first."""
        cols = [run_alerts.c[c] for c in ("title", "text", "level", "time")]
        return self._children(run_id, run_alerts, cols)

    def _children(self, run_id: str, table: Any, cols: list[Any]) -> list[dict[str, Any]]:
        with self._read() as conn:
            pk = self._run_pk(conn, run_id)
            rows = conn.execute(select(*cols).where(table.c.run_pk == pk).order_by(table.c.id)).all()
        return [dict(row._mapping) for row in rows]

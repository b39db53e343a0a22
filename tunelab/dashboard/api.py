"""The dashboard's read-only JSON API over a :class:`~tunelab.storage.base.Storage` (runs half).

Every answer is built from Storage calls only (the store parameterises its queries); this
module knows nothing of HTTP frameworks: each method takes the query parameters (a mapping
with ``get``/``getlist``) and returns plain data, a :class:`CsvTable` when ``format=csv`` is
asked, or raises :class:`~tunelab.dashboard._http.ApiError` (400 bad parameter, 404 unknown).
:mod:`tunelab.dashboard.app` maps these onto routes; the study endpoints live in
:mod:`tunelab.dashboard._studies`.

Example:
    >>> import tunelab
    >>> store = tunelab.get_storage(":memory:")
    >>> run_id = store.create_run("demo", name="r1", config={"lr": 0.1})
    >>> api = RunsApi(store)
    >>> page = api.runs({"project": "demo"})
    >>> page["total"], page["rows"][0]["name"], page["rows"][0]["config"]
    (1, 'r1', {'lr': 0.1})
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelab.dashboard._downsample import minmax_indices, window
from tunelab.dashboard._http import ApiError
from tunelab.dashboard._params import choice_param, float_param, id_param, int_param, list_param
from tunelab.dashboard._query import flatten, parse_filter, sort_rows, text_match

if TYPE_CHECKING:
    from tunelab.storage.base import Storage
    from tunelab.storage.records import MetricSeries, RunRecord

__all__ = ["CsvTable", "RunsApi"]

RUN_STATES = ("running", "finished", "failed", "crashed")
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")
_BASE_COLUMNS = ("run_id", "name", "project", "state", "tags", "group", "created_at", "finished_at", "duration")
_CACHE_SECONDS = 1.0
_MAX_COMPARE = 20


@dataclass(frozen=True, slots=True)
class CsvTable:
    """A table to send as CSV: header, rows and the download's file name.

    Example:
        >>> CsvTable(("a",), [[1]], "t.csv").columns
        ('a',)
    """

    columns: tuple[str, ...]
    rows: list[list[Any]]
    filename: str


def run_row(run: RunRecord) -> dict[str, Any]:
    """One runs-table row: the run's fields, its flattened config and each metric's last value."""
    return {
        "run_id": run.run_id, "name": run.name, "project": run.project, "state": run.state,
        "tags": list(run.tags), "group": run.group, "notes": run.notes, "created_at": run.created_at,
        "finished_at": run.finished_at, "duration": run.duration, "study": run.study_name,
        "trial_number": run.trial_number, "config": flatten(run.config),
        "summary": {key: entry.get("last") for key, entry in run.summary.items()},
    }


def _wants_csv(query: Mapping[str, str]) -> bool:
    return choice_param(query, "format", ("json", "csv"), "json") == "csv"


def _series(series: MetricSeries, start: float | None, end: float | None, points: int,
            with_times: bool) -> dict[str, Any]:
    """One metric between steps ``start`` and ``end``: exact if it fits in ``points``, else min/max."""
    part = window(series.steps, start, end)
    steps, values = series.steps[part], series.values[part]
    keep = minmax_indices(values, points)
    out: dict[str, Any] = {"steps": steps[keep], "values": values[keep], "n": int(len(steps)),
                           "exact": bool(len(keep) == len(steps))}
    if with_times:
        out["times"] = series.times[part][keep]
    return out


class RunsApi:
    """Runs, projects, metrics, artifacts and the compare view, read from ``storage``.

    The full list of a project's runs (needed to filter by config or sort by a metric) is
    cached for one second, so that paging and polling a table of thousands of runs stays fast.

    Example:
        >>> import tunelab
        >>> RunsApi(tunelab.get_storage(":memory:")).projects({})
        {'projects': []}
    """

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._lock = threading.Lock()
        self._cache: dict[tuple[Any, ...], tuple[float, list[dict[str, Any]]]] = {}

    # -- projects and the runs table ----------------------------------------------------------
    def projects(self, query: Mapping[str, str]) -> Any:
        """Every project with its number of runs."""
        items = [{"project": p, "n_runs": n} for p, n in self.storage.list_projects()]
        if _wants_csv(query):
            return CsvTable(("project", "n_runs"), [[i["project"], i["n_runs"]] for i in items], "projects.csv")
        return {"projects": items}

    def _all_rows(self, project: str | None, states: list[str] | None) -> list[dict[str, Any]]:
        key = (project, tuple(states or ()))
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and now - hit[0] < _CACHE_SECONDS:
                return hit[1]
        rows = [run_row(r) for r in self.storage.list_runs(project, states=states or None)]
        with self._lock:
            self._cache[key] = (now, rows)
        return rows

    def runs(self, query: Any) -> Any:
        """A page of the runs table: filtered, sorted, with the config and metric columns on offer.

        Parameters: ``project``, ``state`` (repeatable), ``tag`` (repeatable, all required),
        ``q`` (words searched in name, id, tags, group, notes), ``filter`` (repeatable
        ``KEY OP VALUE``), ``sort`` (a field, ``config.X`` or ``summary.X``), ``order``
        (asc|desc), ``limit`` (1-1000), ``offset``, ``format`` (json|csv: every matching row).
        """
        project = query.get("project") or None
        states = list_param(query, "state")
        bad = [s for s in states if s not in RUN_STATES]
        if bad:
            raise ApiError(400, f"`state` must be among {', '.join(RUN_STATES)}, got {bad[0]!r}.")
        tags = list_param(query, "tag")
        words = (query.get("q") or "").split()
        try:
            filters = [parse_filter(f) for f in (query.getlist("filter") if hasattr(query, "getlist")
                                                  else [query["filter"]] if query.get("filter") else [])]
        except ValueError as err:
            raise ApiError(400, str(err)) from None
        sort = query.get("sort") or "created_at"
        descending = choice_param(query, "order", ("asc", "desc"), "desc") == "desc"
        csv = _wants_csv(query)
        limit = int_param(query, "limit", 50, 1, 1000)
        offset = int_param(query, "offset", 0, 0, 10**9)
        if not (tags or words or filters or csv) and sort == "created_at":
            return self._fast_page(project, states, limit, offset, descending)
        rows = self._all_rows(project, states)
        rows = [r for r in rows if all(t in r["tags"] for t in tags)
                and (not words or text_match(r, words)) and all(f.matches(r) for f in filters)]
        rows = sort_rows(rows, sort, descending)
        if csv:
            return self._csv(rows, project)
        return self._page(rows, rows[offset:offset + limit], limit, offset)

    def _fast_page(self, project: str | None, states: list[str], limit: int, offset: int,
                   descending: bool) -> dict[str, Any]:
        """The default view (newest first, no filter): one page straight from the store."""
        total = self.storage.count_runs(project, states=states or None)
        records = self.storage.list_runs(project, states=states or None, limit=limit, offset=offset,
                                         order_by="created_at", descending=descending)
        page = [run_row(r) for r in records]
        return self._page(None, page, limit, offset, total)

    def _page(self, rows: list[dict[str, Any]] | None, page: list[dict[str, Any]], limit: int,
              offset: int, total: int | None = None) -> dict[str, Any]:
        source = rows if rows is not None else page
        return {
            "total": len(source) if total is None else total, "offset": offset, "limit": limit,
            "rows": page,
            "config_keys": sorted({k for r in source for k in r["config"]}),
            "summary_keys": sorted({k for r in source for k in r["summary"]}),
        }

    def _csv(self, rows: list[dict[str, Any]], project: str | None) -> CsvTable:
        config_keys = sorted({k for r in rows for k in r["config"]})
        summary_keys = sorted({k for r in rows for k in r["summary"]})
        columns = (*_BASE_COLUMNS, *(f"config.{k}" for k in config_keys), *(f"summary.{k}" for k in summary_keys))
        body = [[*(" ".join(r["tags"]) if c == "tags" else r[c] for c in _BASE_COLUMNS),
                 *(r["config"].get(k) for k in config_keys), *(r["summary"].get(k) for k in summary_keys)]
                for r in rows]
        return CsvTable(columns, body, f"runs-{project or 'all'}.csv")

    # -- one run ------------------------------------------------------------------------------
    def _get(self, run_id: str) -> RunRecord:
        try:
            return self.storage.get_run(id_param(run_id))
        except KeyError:
            raise ApiError(404, f"no run with id {run_id!r} in this store.") from None

    def run(self, run_id: str) -> dict[str, Any]:
        """Everything about one run: fields, config, environment, summary, alerts, artifacts, keys."""
        record = self._get(run_id)
        row = run_row(record)
        row.update(
            config=record.config, config_flat=flatten(record.config), env=record.env,
            summary=record.summary, error=record.error, heartbeat_at=record.heartbeat_at,
            owner=record.owner, alerts=self.storage.list_alerts(run_id),
            artifacts=[{k: a.get(k) for k in ("name", "kind", "size", "sha256", "created_at")}
                       for a in self.storage.list_artifacts(run_id)],
            metric_keys=self.storage.metric_keys(run_id),
        )
        return row

    def metrics(self, run_id: str, query: Any) -> Any:
        """Metric series of one run, downsampled to ``points`` per key unless the window fits.

        Parameters: ``keys`` (default: every key), ``start``/``end`` (step range, inclusive),
        ``points`` (10-20000, default 1500), ``times=1`` to add wall times, ``format=csv``
        (exact points as ``key,step,time,value``).
        """
        self._get(run_id)
        keys = list_param(query, "keys") or None
        start, end = float_param(query, "start"), float_param(query, "end")
        if start is not None and end is not None and start > end:
            raise ApiError(400, f"`start` must be <= `end`, got start={start:g}, end={end:g}.")
        points = int_param(query, "points", 1500, 10, 20000)
        with_times = query.get("times") in ("1", "true")
        found = self.storage.get_metrics(run_id, keys)
        missing = [k for k in keys or () if k not in found]
        if missing:
            raise ApiError(404, f"run {run_id!r} has no metric {missing[0]!r}; it logged "
                                f"{sorted(self.storage.metric_keys(run_id))}.")
        if _wants_csv(query):
            rows = [[k, int(st), float(t), float(v)] for k, s in found.items()
                    for st, t, v in zip(s.steps[window(s.steps, start, end)],
                                        s.times[window(s.steps, start, end)],
                                        s.values[window(s.steps, start, end)], strict=True)]
            return CsvTable(("key", "step", "time", "value"), rows, f"metrics-{run_id}.csv")
        return {"run_id": run_id, "metrics": {k: _series(s, start, end, points, with_times)
                                              for k, s in found.items()}}

    def artifact_file(self, run_id: str, name: str) -> tuple[Path, str]:
        """The file of a run's registered artifact, checked to lie inside the store's artifact root."""
        if not name or "\x00" in name or "\\" in name or name.startswith("/") or ".." in name.split("/"):
            raise ApiError(400, f"artifact names are plain relative names without '..', got {name[:200]!r}.")
        self._get(run_id)
        entry = next((a for a in self.storage.list_artifacts(run_id) if a.get("name") == name), None)
        if entry is None:
            raise ApiError(404, f"run {run_id!r} has no artifact named {name!r}.")
        from tunelab.track.artifacts import artifact_root

        base = Path(artifact_root(self.storage)).resolve()
        path = (base / str(entry.get("relpath", ""))).resolve()
        if not path.is_relative_to(base) or path == base:
            raise ApiError(403, f"artifact {name!r} points outside the store's artifact folder; refused.")
        if not path.is_file():
            raise ApiError(404, f"the file of artifact {name!r} is missing from the store.")
        return path, name.rsplit("/", 1)[-1]

    def update_run(self, run_id: str, body: Any) -> dict[str, Any]:
        """Change a run's tags and/or notes (only when the dashboard allows edits)."""
        self._get(run_id)
        if not isinstance(body, dict) or not body or set(body) - {"tags", "notes"}:
            raise ApiError(400, f"the body must be a JSON object with 'tags' and/or 'notes', got {body!r:.200}.")
        tags, notes = body.get("tags"), body.get("notes")
        if tags is not None and (not isinstance(tags, list) or not all(
                isinstance(t, str) and 0 < len(t) <= 100 for t in tags)):
            raise ApiError(400, f"`tags` must be a list of 1-100 character strings, got {tags!r:.200}.")
        if notes is not None and (not isinstance(notes, str) or len(notes) > 100_000):
            raise ApiError(400, "`notes` must be a string of at most 100000 characters.")
        self.storage.update_run(run_id, tags=tags, notes=notes)
        with self._lock:
            self._cache.clear()
        return self.run(run_id)

    # -- compare ------------------------------------------------------------------------------
    def compare(self, query: Any) -> Any:
        """Selected runs side by side: a colour per run, the config diff and each metric's curves.

        Parameters: ``runs`` (2-20 ids, comma separated), ``keys``, ``start``, ``end``,
        ``points`` (as for metrics), ``format=csv`` (the config table).
        """
        ids = list(dict.fromkeys(list_param(query, "runs")))
        if not 1 <= len(ids) <= _MAX_COMPARE:
            raise ApiError(400, f"`runs` must list 1 to {_MAX_COMPARE} run ids, got {len(ids)}.")
        records = [self._get(i) for i in ids]
        configs = [flatten(r.config) for r in records]
        keys = sorted({k for c in configs for k in c})
        diff: list[dict[str, Any]] = [{"key": k, "values": [c.get(k) for c in configs],
                 "differs": len({repr(c.get(k, "\x00missing")) for c in configs}) > 1} for k in keys]
        if _wants_csv(query):
            return CsvTable(("key", "differs", *(r.name for r in records)),
                            [[d["key"], d["differs"], *d["values"]] for d in diff], "compare.csv")
        wanted = list_param(query, "keys") or None
        start, end = float_param(query, "start"), float_param(query, "end")
        points = int_param(query, "points", 1000, 10, 20000)
        metrics: dict[str, dict[str, Any]] = {}
        for r in records:
            for key, series in self.storage.get_metrics(r.run_id, wanted).items():
                metrics.setdefault(key, {})[r.run_id] = _series(series, start, end, points, False)
        runs = [{"run_id": r.run_id, "name": r.name, "state": r.state, "project": r.project,
                 "colour": PALETTE[i % len(PALETTE)]} for i, r in enumerate(records)]
        return {"runs": runs, "config": diff, "metrics": dict(sorted(metrics.items()))}

"""The dashboard's study endpoints: list, summary, trials table and the data of each figure.

Figure data comes from the pure ``_info(...)`` helpers of :mod:`tunelab.viz` (the same numbers
the notebook figures draw); the browser turns them into plotly traces. Studies are read through
a small read-only view over the storage (no sampler, no stale-trial repair: the dashboard
never writes).

Example:
    >>> import tunelab
    >>> store = tunelab.get_storage(":memory:")
    >>> study = tunelab.create_study(name="s", storage=store, seed=0)
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    >>> api = StudiesApi(store)
    >>> api.studies({})["studies"][0]["n_trials"]
    3
    >>> len(api.view("history", {"name": "s"})["series"][0]["values"])
    3
"""

from __future__ import annotations

import threading
from collections.abc import Container, Mapping
from typing import TYPE_CHECKING, Any, cast

from tunelab.dashboard._http import ApiError
from tunelab.dashboard._params import choice_param, int_param, list_param
from tunelab.dashboard.api import CsvTable

if TYPE_CHECKING:
    from tunelab.storage.base import Storage
    from tunelab.study import Study
    from tunelab.trial import FrozenTrial, TrialState

__all__ = ["StudiesApi", "StudyView"]

_VIEWS = ("summary", "trials", "history", "importances", "parallel", "contour", "slice", "intermediate")


class StudyView:
    """The read-only face of a stored study that :mod:`tunelab.viz` helpers accept."""

    def __init__(self, storage: Storage, name: str) -> None:
        try:
            self.study_id = storage.get_study_id(name)
        except KeyError:
            raise ApiError(404, f"no study named {name!r} in this store.") from None
        self.storage = storage
        self.name = name
        self.direction = storage.get_study_direction(self.study_id)
        self._trials = storage.get_trials(self.study_id)

    def get_trials(self, states: Container[TrialState] | None = None) -> list[FrozenTrial]:
        """The study's trials (one snapshot per request), optionally only some states."""
        return [t for t in self._trials if states is None or t.state in states]

    @property
    def trials(self) -> list[FrozenTrial]:
        """Every trial, by number."""
        return list(self._trials)

    def as_study(self) -> Study:
        """This view typed as the Study the viz helpers expect (they use name, direction, trials)."""
        return cast("Study", self)


def _trial_row(t: FrozenTrial) -> dict[str, Any]:
    duration = t.duration
    error = (t.error or "").strip().splitlines()
    return {
        "number": t.number, "state": t.state.value, "value": t.value, "params": t.params,
        "datetime_start": t.datetime_start, "datetime_complete": t.datetime_complete,
        "duration": None if duration is None else duration.total_seconds(),
        "n_intermediate": len(t.intermediate_values), "user_attrs": t.user_attrs,
        "error": error[-1] if error else None,
    }


def _axis(axis: Any) -> dict[str, Any]:
    return {"name": axis.name, "coords": axis.coords, "type": axis.axis_type,
            "tickvals": list(axis.tickvals), "ticktext": list(axis.ticktext)}


class StudiesApi:
    """Studies list, one study's summary and trials, and the figure data of the study page."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._lock = threading.Lock()
        self._importance_cache: dict[tuple[str, int, tuple[str, ...]], Any] = {}

    def studies(self, query: Mapping[str, str]) -> Any:
        """Every study: name, direction, trial count, best value, start time."""
        items = [{"name": s.name, "direction": s.direction, "n_trials": s.n_trials, "best_value": s.best_value,
                  "datetime_start": s.datetime_start, "user_attrs": s.user_attrs}
                 for s in self.storage.list_studies()]
        if choice_param(query, "format", ("json", "csv"), "json") == "csv":
            cols = ("name", "direction", "n_trials", "best_value", "datetime_start")
            return CsvTable(cols, [[i[c] for c in cols] for i in items], "studies.csv")
        return {"studies": items}

    def view(self, what: str, query: Any) -> Any:
        """Dispatch ``/api/study/<what>?name=...`` to the matching method."""
        if what not in _VIEWS:
            raise ApiError(404, f"unknown study view {what!r}; one of {', '.join(_VIEWS)}.")
        name = query.get("name")
        if not name:
            raise ApiError(400, "`name` (the study's name) is required.")
        study = StudyView(self.storage, name)
        try:
            return getattr(self, "_" + what)(study, query)
        except ApiError:
            raise
        except (ValueError, TypeError) as err:  # the figure's own input check, e.g. no COMPLETE trial
            raise ApiError(400, str(err)) from None

    def _summary(self, study: StudyView, query: Any) -> dict[str, Any]:
        from tunelab.viz._common import sampled_distributions

        trials = study.trials
        counts: dict[str, int] = {}
        for t in trials:
            counts[t.state.value] = counts.get(t.state.value, 0) + 1
        done = [t for t in trials if t.state.value == "COMPLETE" and t.value is not None and t.value == t.value]
        pick = min if study.direction == "minimize" else max
        best = pick(done, key=lambda t: t.value) if done else None  # type: ignore[arg-type,return-value]
        dists = sampled_distributions(trials)
        return {
            "name": study.name, "direction": study.direction, "n_trials": len(trials), "states": counts,
            "best": None if best is None else {"number": best.number, "value": best.value, "params": best.params},
            "params": [{"name": n, "distribution": repr(d)} for n, d in dists.items()],
            "user_attrs": self.storage.get_study_attrs(study.study_id),
        }

    def _trials(self, study: StudyView, query: Any) -> Any:
        states = list_param(query, "state")
        sort = choice_param(query, "sort", ("number", "value", "duration", "state"), "number")
        descending = choice_param(query, "order", ("asc", "desc"), "asc") == "desc"
        rows = [_trial_row(t) for t in study.trials if not states or t.state.value in states]
        present = [r for r in rows if r[sort] is not None]
        present.sort(key=lambda r: r[sort], reverse=descending)
        rows = present + [r for r in rows if r[sort] is None]
        params = sorted({p for r in rows for p in r["params"]})
        if choice_param(query, "format", ("json", "csv"), "json") == "csv":
            cols = ("number", "state", "value", "datetime_start", "datetime_complete", "duration")
            body = [[*(r[c] for c in cols), *(r["params"].get(p) for p in params), r["error"]] for r in rows]
            return CsvTable((*cols, *(f"params_{p}" for p in params), "error"), body, f"trials-{study.name}.csv")
        limit = int_param(query, "limit", 1000, 1, 100_000)
        offset = int_param(query, "offset", 0, 0, 10**9)
        return {"total": len(rows), "offset": offset, "limit": limit, "params": params,
                "rows": rows[offset:offset + limit]}

    def _history(self, study: StudyView, query: Any) -> dict[str, Any]:
        from tunelab.viz.history import _info

        info = _info(study.as_study())
        return {"direction": info.direction, "series": [
            {"name": s.name, "numbers": s.numbers, "values": s.values, "best": s.best} for s in info.series]}

    def _importances(self, study: StudyView, query: Any) -> dict[str, Any]:
        from tunelab.viz.importances import _info

        params = tuple(list_param(query, "params"))
        n_complete = sum(1 for t in study.trials if t.state.value == "COMPLETE")
        key = (study.name, n_complete, params)
        with self._lock:
            cached = self._importance_cache.get(key)
        if cached is None:
            info = _info(study.as_study(), list(params) or None, 32, 0)
            cached = {"names": list(info.names), "importances": info.importances, "n_trials": info.n_trials}
            with self._lock:
                if len(self._importance_cache) > 64:
                    self._importance_cache.clear()
                self._importance_cache[key] = cached
        return cached

    def _parallel(self, study: StudyView, query: Any) -> dict[str, Any]:
        from tunelab.viz.parallel import _info

        info = _info(study.as_study(), list_param(query, "params") or None)
        return {"direction": info.direction, "axes": [_axis(a) for a in info.axes],
                "values": info.values, "numbers": info.numbers}

    def _contour(self, study: StudyView, query: Any) -> dict[str, Any]:
        from tunelab.viz.contour import _info

        x, y = query.get("x"), query.get("y")
        if (x is None) != (y is None):
            raise ApiError(400, "`x` and `y` must be given together (two parameter names), or neither.")
        kind = choice_param(query, "kind", ("interpolate", "scatter"), "interpolate")
        info = _info(study.as_study(), [x, y] if x else None, kind, int_param(query, "n_grid", 40, 2, 200))  # type: ignore[arg-type]
        return {"direction": info.direction, "x": _axis(info.x), "y": _axis(info.y), "values": info.values,
                "numbers": info.numbers, "grid_x": info.grid_x, "grid_y": info.grid_y, "grid_z": info.grid_z}

    def _slice(self, study: StudyView, query: Any) -> dict[str, Any]:
        from tunelab.viz.slice import _info

        info = _info(study.as_study(), list_param(query, "params") or None)
        return {"panels": [{"axis": _axis(p.axis), "values": p.values, "numbers": p.numbers}
                           for p in info.panels]}

    def _intermediate(self, study: StudyView, query: Any) -> dict[str, Any]:
        from tunelab.viz.intermediate import _info

        info = _info(study.as_study())
        return {"curves": [{"number": c.number, "state": c.state, "steps": c.steps, "values": c.values}
                           for c in info.curves]}

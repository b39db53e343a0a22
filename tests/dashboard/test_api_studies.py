"""The studies half of the dashboard API: list, summary, trials and the figure data of the study page."""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
import pytest


def test_studies_list(client: Any) -> None:
    studies = client.get("/api/studies").json()["studies"]
    assert [(s["name"], s["direction"], s["n_trials"]) for s in studies] == [
        ("tpe study", "minimize", 12), ("empty study", "minimize", 0)]
    assert studies[1]["best_value"] is None
    assert client.get("/api/studies?format=csv").text.splitlines()[0] == \
        "name,direction,n_trials,best_value,datetime_start"


def test_summary_has_best_trial_states_and_params(client: Any, store_ids: Any) -> None:
    import tunelab

    study = tunelab.load_study("tpe study", storage=store_ids[0])
    summary = client.get("/api/study/summary", params={"name": "tpe study"}).json()
    assert summary["n_trials"] == 12 and summary["states"] == {"COMPLETE": 12}
    assert summary["best"] == {"number": study.best_trial.number, "value": study.best_value,
                               "params": study.best_params}
    assert [p["name"] for p in summary["params"]] == ["x", "lr", "kind"]


def test_trials_table_sorted_filtered_and_csv(client: Any) -> None:
    table = client.get("/api/study/trials", params={"name": "tpe study", "sort": "value"}).json()
    values = [r["value"] for r in table["rows"]]
    assert table["total"] == 12 and values == sorted(values)
    assert table["params"] == ["kind", "lr", "x"] and table["rows"][0]["n_intermediate"] == 3
    page = client.get("/api/study/trials", params={"name": "tpe study", "limit": 5, "offset": 10}).json()
    assert [r["number"] for r in page["rows"]] == [10, 11]
    assert client.get("/api/study/trials", params={"name": "tpe study", "state": "PRUNED"}).json()["total"] == 0
    rows = list(csv.DictReader(io.StringIO(client.get("/api/study/trials?name=tpe%20study&format=csv").text)))
    assert len(rows) == 12 and {"params_x", "params_lr", "params_kind"} <= set(rows[0])


def test_history_matches_the_trials(client: Any, store_ids: Any) -> None:
    import tunelab

    study = tunelab.load_study("tpe study", storage=store_ids[0])
    history = client.get("/api/study/history", params={"name": "tpe study"}).json()
    series = history["series"][0]
    assert series["numbers"] == list(range(12))
    assert series["values"] == [t.value for t in study.trials]
    assert series["best"] == list(np.minimum.accumulate(series["values"]))


def test_figure_views(client: Any) -> None:
    name = {"name": "tpe study"}
    imp = client.get("/api/study/importances", params=name).json()
    assert sorted(imp["names"]) == ["kind", "lr", "x"] and sum(imp["importances"]) == pytest.approx(1.0)
    par = client.get("/api/study/parallel", params=name).json()
    assert [a["name"] for a in par["axes"]] == ["x", "lr", "kind"] and len(par["values"]) == 12
    assert par["axes"][1]["type"] == "log" and par["axes"][2]["ticktext"] == ["a", "b"]
    contour = client.get("/api/study/contour", params={**name, "x": "x", "y": "lr", "n_grid": 10}).json()
    assert contour["x"]["name"] == "x" and contour["y"]["type"] == "log"
    assert len(contour["grid_z"]) == 10 and len(contour["grid_z"][0]) == 10
    scatter = client.get("/api/study/contour", params={**name, "x": "kind", "y": "x", "kind": "scatter"}).json()
    assert scatter["grid_z"] == [] and scatter["x"]["type"] == "category"
    panels = client.get("/api/study/slice", params={**name, "params": "x,kind"}).json()["panels"]
    assert [p["axis"]["name"] for p in panels] == ["x", "kind"]
    curves = client.get("/api/study/intermediate", params=name).json()["curves"]
    assert len(curves) == 12 and curves[0]["steps"] == [0, 1, 2] and curves[0]["state"] == "COMPLETE"


@pytest.mark.parametrize(("url", "status", "message"), [
    ("/api/study/summary?name=nope", 404, "no study named 'nope'"),
    ("/api/study/summary", 400, "`name` (the study's name) is required."),
    ("/api/study/bogus?name=tpe%20study", 404, "unknown study view 'bogus'"),
    ("/api/study/contour?name=tpe%20study&x=x&y=zzz", 400, "never sampled"),
    ("/api/study/contour?name=tpe%20study&x=x", 400, "`x` and `y` must be given together"),
    ("/api/study/contour?name=tpe%20study&x=x&y=x", 400, "exactly 2 distinct parameters"),
    ("/api/study/contour?name=tpe%20study&n_grid=1", 400, "`n_grid` must be an integer in [2, 200]"),
    ("/api/study/history?name=empty%20study", 400, "has no COMPLETE trial"),
    ("/api/study/intermediate?name=empty%20study", 400, "no trial with intermediate values"),
    ("/api/study/trials?name=tpe%20study&sort=params", 400, "`sort` must be one of number, value"),
])
def test_study_errors(client: Any, url: str, status: int, message: str) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert message in response.json()["error"]

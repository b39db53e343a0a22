"""The runs half of the dashboard API: projects, runs table, one run, metrics, compare, CSV."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import pytest

from tests.dashboard.conftest import XSS_NAME


def test_health_and_projects(client: Any) -> None:
    assert client.get("/api/health").json() == {"ok": True, "version": "0.1.0", "allow_edits": False}
    assert client.get("/api/projects").json() == {"projects": [{"project": "nlp", "n_runs": 2},
                                                               {"project": "vision", "n_runs": 3}]}


def test_runs_default_page_is_newest_first_with_columns(client: Any) -> None:
    page = client.get("/api/runs").json()
    assert page["total"] == 5 and page["offset"] == 0 and page["limit"] == 50
    assert [r["name"] for r in page["rows"]] == ["delta", XSS_NAME, "gamma", "beta", "alpha"]
    assert page["config_keys"] == ["layers", "lr", "note", "opt.name"]
    assert page["summary_keys"] == ["acc", "loss", "system/cpu_percent"]
    alpha = page["rows"][-1]
    assert alpha["config"] == {"lr": 0.1, "opt.name": "adam", "layers": 2}
    assert alpha["summary"]["loss"] is None  # the last logged value was +inf: JSON null
    assert alpha["state"] == "finished" and alpha["tags"] == ["baseline"]


@pytest.mark.parametrize(("params", "names"), [
    ({"project": "vision"}, ["gamma", "beta", "alpha"]),
    ({"state": "running"}, [XSS_NAME]),
    ({"state": ["failed", "crashed"]}, ["delta", "gamma"]),
    ({"tag": "sweep"}, ["gamma", "beta"]),
    ({"tag": "sweep,long"}, ["gamma"]),
    ({"q": "ALP"}, ["alpha"]),
    ({"q": "notes gamma"}, ["gamma"]),
    ({"filter": "lr>=0.05"}, ["delta", XSS_NAME, "alpha"]),
    ({"filter": ["config.opt.name=adam", "lr<0.05"]}, ["beta"]),
    ({"filter": "opt.name!=adam"}, ["delta", XSS_NAME, "gamma"]),
    ({"filter": "opt.name~SG"}, ["gamma"]),
    ({"filter": "tags=long"}, ["gamma"]),
    ({"filter": "state=failed"}, ["gamma"]),
    ({"filter": "summary.acc>0.99"}, ["beta", "alpha"]),
])
def test_runs_filters(client: Any, params: dict[str, Any], names: list[str]) -> None:
    page = client.get("/api/runs", params=params).json()
    assert [r["name"] for r in page["rows"]] == names
    assert page["total"] == len(names)


def test_runs_sort_by_config_and_metric_with_missing_last(client: Any) -> None:
    asc = client.get("/api/runs", params={"sort": "config.lr", "order": "asc"}).json()
    assert [r["config"]["lr"] for r in asc["rows"]] == [0.001, 0.01, 0.05, 0.1, 0.5]
    layers = client.get("/api/runs", params={"sort": "config.layers", "order": "desc"}).json()
    assert [r["name"] for r in layers["rows"]][:3] == ["gamma", "beta", "alpha"]  # runs without layers last
    by_name = client.get("/api/runs", params={"sort": "name", "order": "asc"}).json()
    assert [r["name"] for r in by_name["rows"]] == sorted(r["name"] for r in by_name["rows"])


def test_runs_pagination(client: Any) -> None:
    seen = []
    for offset in (0, 2, 4):
        page = client.get("/api/runs", params={"limit": 2, "offset": offset}).json()
        assert page["total"] == 5 and page["offset"] == offset
        seen += [r["run_id"] for r in page["rows"]]
    assert len(seen) == len(set(seen)) == 5
    filtered = client.get("/api/runs", params={"limit": 1, "offset": 1, "project": "vision", "q": "a"}).json()
    assert filtered["total"] == 3 and [r["name"] for r in filtered["rows"]] == ["beta"]
    assert client.get("/api/runs", params={"offset": 99}).json()["rows"] == []


@pytest.mark.parametrize(("params", "message"), [
    ({"limit": "0"}, "`limit` must be an integer in [1, 1000], got '0'."),
    ({"limit": "ten"}, "`limit` must be an integer in [1, 1000], got 'ten'."),
    ({"offset": "-1"}, "`offset` must be an integer"),
    ({"state": "done"}, "`state` must be among running, finished, failed, crashed, got 'done'."),
    ({"order": "up"}, "`order` must be one of asc, desc, got 'up'."),
    ({"filter": "lr"}, "`filter` must look like KEY OP VALUE"),
    ({"format": "xml"}, "`format` must be one of json, csv, got 'xml'."),
])
def test_runs_bad_parameters_are_400_with_a_message(client: Any, params: dict[str, str], message: str) -> None:
    response = client.get("/api/runs", params=params)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_runs_csv_has_every_matching_row_and_defuses_formulas(client: Any) -> None:
    response = client.get("/api/runs", params={"format": "csv", "limit": 1})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 5
    xss = next(r for r in rows if r["name"] == XSS_NAME)
    assert xss["config.note"] == "'=HYPERLINK(\"x\")"
    assert xss["config.lr"] == "0.5" and xss["tags"] == "baseline"


def test_one_run_has_everything(client: Any, ids: dict[str, str]) -> None:
    run = client.get(f"/api/runs/{ids['alpha']}").json()
    assert run["name"] == "alpha" and run["config"] == {"lr": 0.1, "opt": {"name": "adam"}, "layers": 2}
    assert run["config_flat"]["opt.name"] == "adam"
    assert run["env"]["git"] == {"sha": "abc123"}
    assert run["metric_keys"] == ["acc", "loss", "system/cpu_percent"]
    assert run["summary"]["loss"]["last"] is None and run["summary"]["loss"]["min"] == pytest.approx(math.exp(-299 / 50))
    assert run["alerts"][0]["text"] == "<script>alert(2)</script>" and run["alerts"][0]["level"] == "warn"
    assert [(a["name"], a["kind"], a["size"]) for a in run["artifacts"]] == [("weights.txt", "file", 17)]


@pytest.mark.parametrize("url", ["/api/runs/000000000000", "/api/runs/000000000000/metrics",
                                 "/api/runs/000000000000/artifacts/x.txt", "/api/compare?runs=000000000000",
                                 "/api/nope", "/static/secret.py"])
def test_unknown_things_are_404(client: Any, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert response.json()["error"]


def test_bad_run_id_is_400(client: Any) -> None:
    response = client.get("/api/runs/bad id!")
    assert response.status_code == 400
    assert "letters, digits" in response.json()["error"]


def test_metrics_downsampled_keep_extremes_and_exact_when_zoomed(client: Any, ids: dict[str, str]) -> None:
    url = f"/api/runs/{ids['alpha']}/metrics"
    full = client.get(url, params={"keys": "loss", "points": 50}).json()["metrics"]["loss"]
    assert full["n"] == 302 and not full["exact"] and len(full["steps"]) <= 50
    assert full["steps"][0] == 0 and full["steps"][-1] == 301
    assert full["values"][0] == 1.0  # the maximum survives
    assert full["values"][-2:] == [None, None]  # NaN and inf become null
    zoom = client.get(url, params={"keys": "loss", "start": 10, "end": 40, "points": 50}).json()["metrics"]["loss"]
    assert zoom["exact"] and zoom["steps"] == list(range(10, 41))
    assert zoom["values"][0] == pytest.approx(math.exp(-10 / 50))
    both = client.get(url, params={"keys": "acc,loss", "points": 1000, "times": "1"}).json()["metrics"]
    assert sorted(both) == ["acc", "loss"] and both["acc"]["exact"] and both["acc"]["times"][0] == 1000.0


@pytest.mark.parametrize(("params", "status", "message"), [
    ({"keys": "nope"}, 404, "has no metric 'nope'"),
    ({"points": "3"}, 400, "`points` must be an integer in [10, 20000]"),
    ({"start": "abc"}, 400, "`start` must be a finite number, got 'abc'."),
    ({"start": "nan"}, 400, "`start` must be a finite number"),
    ({"start": "5", "end": "1"}, 400, "`start` must be <= `end`"),
])
def test_metrics_bad_parameters(client: Any, ids: dict[str, str], params: dict[str, str], status: int,
                                message: str) -> None:
    response = client.get(f"/api/runs/{ids['alpha']}/metrics", params=params)
    assert response.status_code == status and message in response.json()["error"]


def test_metrics_csv_is_exact(client: Any, ids: dict[str, str]) -> None:
    text = client.get(f"/api/runs/{ids['beta']}/metrics", params={"keys": "acc", "format": "csv"}).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 300 and rows[0] == {"key": "acc", "step": "0", "time": "1000.0", "value": "0.0"}


def test_compare_colours_diff_and_curves(client: Any, ids: dict[str, str]) -> None:
    data = client.get("/api/compare", params={"runs": f"{ids['alpha']},{ids['beta']}", "points": 40}).json()
    assert [r["name"] for r in data["runs"]] == ["alpha", "beta"]
    assert len({r["colour"] for r in data["runs"]}) == 2
    diff = {d["key"]: d for d in data["config"]}
    assert diff["lr"]["differs"] and diff["lr"]["values"] == [0.1, 0.01]
    assert not diff["opt.name"]["differs"] and not diff["layers"]["differs"]
    assert sorted(data["metrics"]) == ["acc", "loss", "system/cpu_percent"]
    assert set(data["metrics"]["loss"]) == {ids["alpha"], ids["beta"]}
    assert len(data["metrics"]["loss"][ids["alpha"]]["steps"]) <= 40
    missing_key = client.get("/api/compare", params={"runs": f"{ids['alpha']},{ids['delta']}"}).json()
    assert {d["key"]: d["differs"] for d in missing_key["config"]}["layers"] is True
    csv_text = client.get("/api/compare", params={"runs": f"{ids['alpha']},{ids['beta']}", "format": "csv"}).text
    assert csv_text.splitlines()[0] == "key,differs,alpha,beta"


def test_compare_bad_parameters(client: Any) -> None:
    response = client.get("/api/compare")
    assert response.status_code == 400 and "`runs` must list 1 to 20 run ids, got 0." in response.json()["error"]
    many = ",".join(f"{i:012x}" for i in range(21))
    assert client.get("/api/compare", params={"runs": many}).status_code == 400


def test_artifact_download_serves_the_registered_file(client: Any, ids: dict[str, str]) -> None:
    response = client.get(f"/api/runs/{ids['alpha']}/artifacts/weights.txt")
    assert response.status_code == 200 and response.content == b"the model weights"
    assert response.headers["content-type"] == "application/octet-stream"
    assert 'filename="weights.txt"' in response.headers["content-disposition"]


@pytest.mark.parametrize("name", ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "a/../../x", "%2Fetc%2Fpasswd",
                                  "..\\..\\x"])
def test_artifact_traversal_is_rejected(client: Any, ids: dict[str, str], name: str) -> None:
    response = client.get(f"/api/runs/{ids['alpha']}/artifacts/{name}")
    assert response.status_code in (400, 404)
    assert response.content != b"the model weights" and "root:" not in response.text


def test_artifact_names_with_dotdot_are_400(client: Any, ids: dict[str, str]) -> None:
    response = client.get(f"/api/runs/{ids['alpha']}/artifacts/..%2Fweights.txt")
    assert response.status_code == 400
    assert "without '..'" in response.json()["error"]


def test_only_registered_artifacts_are_served(client: Any, store_ids: Any, tmp_path: Any) -> None:
    store, ids = store_ids
    assert client.get(f"/api/runs/{ids['beta']}/artifacts/weights.txt").status_code == 404  # not beta's
    store.add_artifact(ids["beta"], name="evil", kind="file", sha256="0" * 64, size=1, relpath="../../../etc/passwd")
    response = client.get(f"/api/runs/{ids['beta']}/artifacts/evil")
    assert response.status_code == 403 and "outside the store's artifact folder" in response.json()["error"]
    store.add_artifact(ids["beta"], name="gone", kind="file", sha256="1" * 64, size=1, relpath="11/" + "1" * 64)
    assert client.get(f"/api/runs/{ids['beta']}/artifacts/gone").status_code == 404


def test_json_never_contains_nan(client: Any, ids: dict[str, str]) -> None:
    for url in ("/api/runs", f"/api/runs/{ids['alpha']}", f"/api/runs/{ids['alpha']}/metrics",
                f"/api/compare?runs={ids['alpha']}"):
        text = client.get(url).text
        assert "NaN" not in text and "Infinity" not in text

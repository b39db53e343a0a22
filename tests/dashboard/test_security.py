"""Safety of the dashboard: token, loopback Host, headers, read-only by default, edits behind a flag."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tunelab.dashboard import create_app

TOKEN = "correct-horse-battery"


@pytest.fixture
def guarded(store_ids: Any) -> Any:
    with TestClient(create_app(store_ids[0], token=TOKEN), base_url="http://10.1.2.3:8765") as c:
        yield c


@pytest.mark.parametrize("url", ["/", "/api/runs", "/api/health", "/static/app.js", "/api/nope"])
def test_every_request_without_the_token_is_refused(guarded: Any, url: str) -> None:
    response = guarded.get(url)
    assert response.status_code == 401 and "token is required" in response.json()["error"]
    assert guarded.get(url, headers={"Authorization": "Bearer wrong-token"}).status_code == 401
    assert guarded.get(url, params={"token": "x" + TOKEN}).status_code == 401


def test_token_by_header_query_or_cookie(guarded: Any) -> None:
    assert guarded.get("/api/health", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert guarded.get("/api/health", headers={"X-Tunelab-Token": TOKEN}).status_code == 200
    first = guarded.get("/", params={"token": TOKEN, "x": "1"}, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/?x=1"
    assert "HttpOnly" in first.headers["set-cookie"] and "SameSite=Strict" in first.headers["set-cookie"]
    assert guarded.get("/api/runs").status_code == 200  # the cookie now carries the token
    assert "<title>tunelab dashboard</title>" in guarded.get("/").text


def test_redirect_never_leaves_the_site(guarded: Any) -> None:
    response = guarded.get("//evil.example/x", params={"token": TOKEN}, follow_redirects=False)
    assert response.headers["location"].startswith("/") and not response.headers["location"].startswith("//")


def test_without_token_only_loopback_host_is_answered(store_ids: Any) -> None:
    app = create_app(store_ids[0])
    for base in ("http://127.0.0.1:8765", "http://localhost", "http://[::1]:9000"):
        assert TestClient(app, base_url=base).get("/api/health").status_code == 200
    response = TestClient(app, base_url="http://rebind.attacker.example").get("/api/health")
    assert response.status_code == 403 and "loopback" in response.json()["error"]


def test_safety_headers(client: Any) -> None:
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"


def test_read_only_by_default(client: Any, ids: dict[str, str]) -> None:
    response = client.patch(f"/api/runs/{ids['alpha']}", json={"tags": ["x"]})
    assert response.status_code == 403 and "--allow-edits" in response.json()["error"]
    assert client.post("/api/runs").status_code == 405
    assert client.delete(f"/api/runs/{ids['alpha']}").status_code == 405
    assert client.get(f"/api/runs/{ids['alpha']}").json()["tags"] == ["baseline"]


def test_edits_behind_the_flag(store_ids: Any) -> None:
    store, ids = store_ids
    c = TestClient(create_app(store, allow_edits=True), base_url="http://127.0.0.1")
    assert c.get("/api/health").json()["allow_edits"] is True
    run = c.patch(f"/api/runs/{ids['alpha']}", json={"tags": ["kept", "<b>x</b>"], "notes": "checked"}).json()
    assert run["tags"] == ["kept", "<b>x</b>"] and run["notes"] == "checked"
    assert store.get_run(ids["alpha"]).notes == "checked"
    assert c.get("/api/runs", params={"tag": "kept"}).json()["total"] == 1  # the table cache was dropped
    bad = c.patch(f"/api/runs/{ids['alpha']}", json={"state": "finished"})
    assert bad.status_code == 400 and "'tags' and/or 'notes'" in bad.json()["error"]
    assert c.patch(f"/api/runs/{ids['alpha']}", json={"tags": "x"}).status_code == 400
    form = c.patch(f"/api/runs/{ids['alpha']}", content=b"tags=x", headers={"content-type": "text/plain"})
    assert form.status_code == 415
    broken = c.patch(f"/api/runs/{ids['alpha']}", content=b"{", headers={"content-type": "application/json"})
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["error"]


def test_short_token_is_rejected(store_ids: Any) -> None:
    with pytest.raises(ValueError, match="at least 8 characters"):
        create_app(store_ids[0], token="abc")


def test_front_end_never_uses_inner_html() -> None:
    from pathlib import Path

    import tunelab.dashboard

    js = (Path(tunelab.dashboard.__file__).parent / "static" / "app.js").read_text()
    assert "innerHTML" not in js.replace("innerHTML is never used", "")
    assert "outerHTML" not in js and "insertAdjacentHTML" not in js and "document.write" not in js


def test_static_files_and_plotly_from_the_package(client: Any) -> None:
    from tunelab.dashboard.app import plotly_js_path

    js = client.get("/static/plotly.min.js")
    assert js.status_code == 200 and js.content == plotly_js_path().read_bytes()
    assert client.get("/static/app.js").headers["content-type"].startswith("text/javascript")
    index = client.get("/").text
    assert "http://" not in index and "https://" not in index  # nothing from the network

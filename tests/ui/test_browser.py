"""The dashboard in headless Chromium: runs table → compare, run page, study page, XSS, token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.conftest import XSS_NAME
from tests.ui.conftest import Served

pytestmark = pytest.mark.browser


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _app(store: Any, **kwargs: Any) -> Any:
    from tunelab.dashboard import create_app

    return create_app(store, **kwargs)


def test_runs_table_select_two_and_compare(filled: Any, page: Any, shots: Path) -> None:
    store, ids = filled
    with Served(_app(store)) as served:
        page.goto(served.url + "#/runs")
        page.wait_for_selector("a.run-name")
        names = page.locator("a.run-name").all_text_contents()
        assert sorted(names) == sorted(["alpha", "beta", "gamma", "delta", XSS_NAME])
        assert page.locator("#app img").count() == 0  # the name is text, not an element
        assert "1–5 of 5" in page.locator("#page-info").text_content()
        page.screenshot(path=str(shots / "runs.png"), full_page=True)
        page.check(f"input[data-run='{ids['alpha']}']")
        page.check(f"input[data-run='{ids['beta']}']")
        assert page.locator("#compare-button").text_content() == "Compare selected (2)"
        page.click("#compare-button")
        page.wait_for_selector("#compare-plots .js-plotly-plot .main-svg")
        expect(page.locator("#compare-plots .js-plotly-plot")).to_have_count(3)
        assert page.locator("#compare-plots .js-plotly-plot .scatterlayer .trace").count() == 6  # 3 keys x 2 runs
        colours = page.evaluate(
            "[...document.querySelectorAll('#compare-0 .scatterlayer .trace path.js-line')].map(p => p.style.stroke)")
        assert len(colours) == 2 and colours[0] != colours[1]
        differing = page.locator("#config-diff tr.differs td:first-child").all_text_contents()
        assert differing == ["lr"]
        assert "opt.name" in page.locator("#config-diff").text_content()
        page.screenshot(path=str(shots / "compare.png"), full_page=True)
    assert page.problems == []


def test_run_page_shows_curves_alerts_and_text_only(filled: Any, page: Any, shots: Path) -> None:
    store, ids = filled
    with Served(_app(store)) as served:
        page.goto(served.url + "#/run/" + ids[XSS_NAME])
        page.wait_for_selector("#metric-0 .main-svg")
        assert page.locator(".run-title").text_content() == XSS_NAME
        assert page.locator("#app img").count() == 0 and page.locator("#app script").count() == 0
        assert "<script>alert(2)</script>" in page.locator("#app").text_content()
        expect(page.locator(".js-plotly-plot")).to_have_count(3)
        page.screenshot(path=str(shots / "run.png"), full_page=True)
        page.goto(served.url + "#/run/" + ids["alpha"])
        page.wait_for_selector("a[download]:text('weights.txt')")
        with page.expect_download() as download:
            page.click("a[download]:text('weights.txt')")
        assert Path(download.value.path()).read_text() == "the model weights"
    assert page.problems == []


def test_study_page_history_plot(filled: Any, page: Any, shots: Path) -> None:
    store, _ = filled
    with Served(_app(store)) as served:
        page.goto(served.url)
        page.click("a:text('tpe study')")
        page.wait_for_selector("#study-history .main-svg")
        assert page.locator("#study-history .scatterlayer .trace").first.locator(".point").count() == 12
        page.wait_for_selector("#study-contour .main-svg")
        page.wait_for_selector("#study-importances .main-svg")
        assert page.locator("table").last.locator("tbody tr").count() == 12
        page.select_option("#contour-x", "kind")
        expect(page.locator("#study-contour .xtitle")).to_have_text("kind")
        page.screenshot(path=str(shots / "study.png"), full_page=True)
    assert page.problems == []


def test_token_guard_in_the_browser(filled: Any, page: Any) -> None:
    store, _ = filled
    with Served(_app(store, token="browser-token-123")) as served:
        response = page.goto(served.url)
        assert response.status == 401 and "token is required" in page.content()
        page.goto(served.url + "?token=browser-token-123#/runs")
        page.wait_for_selector("a.run-name")
        assert "token" not in page.url.split("#")[0]

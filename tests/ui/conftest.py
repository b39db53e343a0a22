"""Real-browser fixtures: uvicorn on a free loopback port in a thread, Debian's headless Chromium.

The browser is never downloaded: Playwright drives ``/usr/bin/chromium`` (``apt-get install
chromium``). Without it, or without the ``playwright`` package, the tests are skipped with the
reason, except when ``CI=true``: there ``make test`` installs Chromium and they must run.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright; no browser download needed)"
    if not (os.path.exists(CHROMIUM) and shutil.which(CHROMIUM)):
        return f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        return "starlette/uvicorn are not installed (pip install 'tunelab[dashboard]')"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    problem = _missing()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run in CI: {problem}")
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """A dashboard served by uvicorn in a thread; ``url`` is its root."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start within 10 s")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def filled(tmp_path: Path) -> tuple[Any, dict[str, str]]:
    import tunelab
    from tests.dashboard.conftest import fill_store

    store = tunelab.get_storage(":memory:")
    return store, fill_store(store, tmp_path)


@pytest.fixture
def page(browser: Any, tmp_path: Path) -> Iterator[Any]:
    """A fresh page that records console errors, page errors and any dialog (none may open)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.problems = []  # type: ignore[attr-defined]
    pg.on("pageerror", lambda err: pg.problems.append(f"page error: {err}"))
    pg.on("console", lambda m: pg.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    pg.on("dialog", lambda d: (pg.problems.append(f"dialog opened: {d.message}"), d.dismiss()))
    yield pg
    context.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where the screenshots of a test go (kept as the test's artifacts)."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return folder

"""Fixtures of the tracking tests: a temporary TUNELAB_HOME and a SQLite store in it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tunelab.storage.sql import SQLStorage


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own TUNELAB_HOME (so the default store is fresh)."""
    folder = tmp_path / "home"
    monkeypatch.setenv("TUNELAB_HOME", str(folder))
    monkeypatch.delenv("TUNELAB_STORAGE", raising=False)
    return folder


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLStorage]:
    """A SQLite store in a temporary folder."""
    s = SQLStorage(f"sqlite:///{tmp_path / 'track.db'}")
    yield s
    s.close()

"""Every test and doctest gets its own TUNELAB_HOME, so nothing touches the user's store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("TUNELAB_HOME", str(tmp_path / "tunelab-home"))
    monkeypatch.delenv("TUNELAB_STORAGE", raising=False)
    yield tmp_path / "tunelab-home"

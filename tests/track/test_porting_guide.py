"""Every Python example of docs/porting.md runs (with a temporary TUNELAB_HOME)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "porting.md"
BLOCKS = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), flags=re.DOTALL)


def test_the_guide_has_examples() -> None:
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_guide_example_runs(index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNELAB_HOME", str(tmp_path))
    monkeypatch.delenv("TUNELAB_STORAGE", raising=False)
    monkeypatch.chdir(tmp_path)
    exec(compile(BLOCKS[index], f"{GUIDE}:block{index}", "exec"), {"__name__": "__porting__"})
    import tunelab

    assert tunelab.track.current_run() is None  # every example finished its run

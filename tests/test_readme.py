"""The README's Python blocks run as written (in a temporary TUNELAB_HOME)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_a_quickstart() -> None:
    assert _blocks(), "README.md lost its python quickstart"


@pytest.mark.parametrize("index", range(len(_blocks())))
def test_readme_block_runs(index: int, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(_blocks()[index], f"README.md block {index}", "exec"), {"__name__": "__readme__"})
    assert capsys.readouterr().out.strip()

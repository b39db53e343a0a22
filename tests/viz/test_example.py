"""examples/figures.py runs end to end and writes one HTML file per figure."""

from __future__ import annotations

import runpy
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "figures.py"


def test_example_writes_every_figure(tmp_path: Path) -> None:
    module = runpy.run_path(str(EXAMPLE))
    paths = module["main"](tmp_path)
    assert len(paths) == 13
    for path in paths:
        text = path.read_text()
        assert path.stat().st_size > 100_000 and "plotly" in text  # plotly.js embedded, offline

"""Downsampling keeps extremes and gaps; the `tunelab dashboard` command's token rule; cheap imports."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tunelab.dashboard._downsample import minmax_indices, window


def test_minmax_keeps_every_bucket_extreme() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=100_000)
    values[12_345], values[99_998] = 50.0, -50.0
    idx = minmax_indices(values, 1000)
    assert len(idx) <= 1000 and np.all(np.diff(idx) > 0)
    assert {12_345, 99_998, 0, 99_999} <= set(idx.tolist())
    assert values[idx].max() == 50.0 and values[idx].min() == -50.0


def test_minmax_keeps_a_nan_as_a_gap() -> None:
    values = np.linspace(0, 1, 10_000)
    values[5000] = np.nan
    idx = minmax_indices(values, 100)
    assert len(idx) <= 100 and 5000 in idx.tolist()


def test_minmax_short_and_bad_input() -> None:
    assert minmax_indices(np.arange(5.0), 10).tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="`max_points` must be an int >= 4, got 2"):
        minmax_indices(np.arange(5.0), 2)


def test_window() -> None:
    steps = np.array([0, 5, 10, 15])
    assert window(steps, None, None) == slice(0, 4)
    assert window(steps, 6, 14) == slice(2, 3)
    assert window(steps, 20, 30) == slice(4, 4)


def test_dashboard_token_rule() -> None:
    from tunelab.cli import _dashboard_token

    assert _dashboard_token("127.0.0.1", None) is None
    assert _dashboard_token("localhost", None) is None
    assert _dashboard_token("::1", "given-token") == "given-token"
    generated = _dashboard_token("0.0.0.0", None)
    assert generated is not None and len(generated) >= 32
    assert _dashboard_token("192.168.1.5", "my-secret-token") == "my-secret-token"
    with pytest.raises(ValueError, match="`--token` must be at least 8 characters, got 3"):
        _dashboard_token("0.0.0.0", "abc")


def test_cli_rejects_bad_port(capsys: pytest.CaptureFixture[str]) -> None:
    from tunelab.cli import main

    assert main(["dashboard", "--storage", ":memory:", "--port", "70000"]) == 1
    assert "`--port` must be in [0, 65535], got 70000." in capsys.readouterr().err


def test_import_tunelab_does_not_load_the_web_stack() -> None:
    code = ("import sys, tunelab, tunelab.dashboard; "
            "print(sorted(m for m in ('starlette', 'uvicorn', 'plotly') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

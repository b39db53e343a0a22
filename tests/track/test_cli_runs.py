"""`tunelab runs ls | show | compare | export | delete`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import tunelab
from tunelab.cli import main


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    for lr in (0.1, 0.01):
        with tunelab.init("proj", config={"lr": lr, "same": 1}, storage=url, system_metrics=False,
                          capture_git=False) as run:
            run.log({"loss": lr * 2})
    return url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ls_show_compare(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--storage", url, "runs", "ls")
    assert code == 0 and "proj" in out and "2" in out
    code, out, _ = run(capsys, "--storage", url, "runs", "ls", "proj")
    assert code == 0 and out.count("finished") == 2 and "loss" in out
    ids = [r.run_id for r in tunelab.runs("proj", storage=url)]
    code, out, _ = run(capsys, "--storage", url, "runs", "show", ids[0])
    shown = json.loads(out)
    assert code == 0 and shown["run_id"] == ids[0] and shown["config"]["lr"] == 0.01
    assert shown["summary"]["loss"]["last"] == 0.02
    code, out, _ = run(capsys, "--storage", url, "runs", "compare", *ids)
    assert code == 0 and "config.lr" in out and "config.same" not in out and "0.02" in out


def test_export_csv_json_parquet(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--storage", url, "runs", "export", "proj", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["config.lr"] for r in rows] == ["0.1", "0.01"] and rows[0]["loss.last"] == "0.2"
    code, out, _ = run(capsys, "--storage", url, "runs", "export", "proj", "--format", "json")
    assert code == 0 and [r["config"]["lr"] for r in json.loads(out)] == [0.1, 0.01]
    target = tmp_path / "runs.parquet"
    pytest.importorskip("pyarrow")
    code, _, err = run(capsys, "--storage", url, "runs", "export", "proj", "--format", "parquet", "-o", str(target))
    import pandas as pd

    assert code == 0 and "wrote 2 runs" in err and len(pd.read_parquet(target)) == 2


def test_delete_and_one_line_errors(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    rid = tunelab.runs("proj", storage=url)[0].run_id
    code, out, _ = run(capsys, "--storage", url, "runs", "delete", rid)
    assert code == 0 and rid in out and len(tunelab.runs("proj", storage=url)) == 1
    code, _, err = run(capsys, "--storage", url, "runs", "show", rid)
    assert code == 1 and err.strip().count("\n") == 0 and "no run with id or name" in err
    code, _, err = run(capsys, "--storage", url, "runs", "ls", "missing")
    assert code == 1 and "project 'missing' has no runs" in err
    code, _, err = run(capsys, "--storage", url, "runs", "export", "proj", "--format", "parquet")
    assert code == 1 and "needs `--output FILE`" in err

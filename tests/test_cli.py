"""The `tunelab` command line, run in-process and, once, as the installed console script."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

import tunelab
from tunelab.cli import main


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    study = tunelab.create_study(name="alpha", storage=url, seed=0)
    study.optimize(lambda t: (t.suggest_float("x", -1, 1) - 0.5) ** 2 + t.suggest_int("n", 1, 3),
                   n_trials=6)
    return url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_studies_ls_show_best(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--storage", store, "studies", "ls")
    assert code == 0 and "alpha" in out and "minimize" in out
    code, out, _ = run(capsys, "--storage", store, "studies", "show", "alpha")
    assert code == 0 and "COMPLETE" in out and out.count("COMPLETE") == 6
    code, out, _ = run(capsys, "--storage", store, "studies", "best", "alpha")
    best = json.loads(out)
    assert code == 0
    assert best["value"] == tunelab.load_study("alpha", storage=store).best_value
    assert set(best["params"]) == {"x", "n"}


def test_studies_export_csv_and_json(store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--storage", store, "studies", "export", "alpha", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 6
    assert {"number", "state", "value", "params_x", "params_n"} <= set(rows[0])
    target = tmp_path / "alpha.json"
    code, _, _ = run(capsys, "--storage", store, "studies", "export", "alpha", "--format", "json", "-o",
                     str(target))
    records = json.loads(target.read_text())
    assert code == 0 and [r["number"] for r in records] == list(range(6))
    assert all(r["state"] == "COMPLETE" for r in records)


def test_studies_delete_then_missing_study_is_one_line_error(store: str,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--storage", store, "studies", "delete", "alpha")
    assert code == 0 and "deleted study 'alpha' and its 6 trials" in out
    code, _, err = run(capsys, "--storage", store, "studies", "show", "alpha")
    assert code == 1
    assert err.startswith("tunelab: error: no study named 'alpha'")
    assert "Traceback" not in err and err.count("\n") == 1


def test_bad_storage_and_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    before = garbage.read_bytes()
    code, _, err = run(capsys, "--storage", str(garbage), "studies", "ls")
    assert code == 1 and err.startswith("tunelab: error:") and "Traceback" not in err
    assert garbage.read_bytes() == before
    with pytest.raises(SystemExit) as exit_info:
        main(["studies", "export", "x", "--format", "xml"])
    assert exit_info.value.code == 2
    code, _, err = run(capsys, "demo", "--budget", "0")
    assert code == 1 and "`--budget` must be >= 1" in err


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys)
    assert code == 0 and "demo" in out and "studies" in out


@pytest.mark.slow
def test_demo_on_a_reduced_budget(tmp_path: Path) -> None:
    exe = shutil.which("tunelab") or str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "tunelab")
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = subprocess.run([exe, "--storage", url, "demo", "--budget", "3"], capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "best CV accuracy" in result.stdout
    for method in ("grid", "random", "qmc"):
        assert f"\n│ {method}" in result.stdout or f" {method} " in result.stdout
    assert "test accuracy, evaluated once" in result.stdout
    names = {s.name.split("-")[1] for s in tunelab.list_studies(url)}
    assert names == {"grid", "random", "qmc"}
    for summary in tunelab.list_studies(url):
        assert summary.n_trials == 3
        assert 0.5 < (summary.best_value or 0) <= 1.0

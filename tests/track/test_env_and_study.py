"""Environment capture (git in a temporary repository, no torch import) and tracked studies."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tunelab
from tunelab.storage.sql import SQLStorage
from tunelab.track.env import capture_env, git_info

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=repo,
                          check=True, capture_output=True, text=True).stdout.strip()


@needs_git
def test_git_capture_clean_and_dirty(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "trunk")
    (repo / "train.py").write_text("print(1)\n")
    _git(repo, "add", "train.py")
    _git(repo, "commit", "-q", "-m", "first")
    sha = _git(repo, "rev-parse", "HEAD")
    assert git_info(repo) == {"commit": sha, "branch": "trunk", "dirty": False}
    (repo / "notes.txt").write_text("untracked files do not make it dirty")
    assert git_info(repo)["dirty"] is False  # type: ignore[index]
    (repo / "train.py").write_text("print(2)\n")
    assert git_info(repo) == {"commit": sha, "branch": "trunk", "dirty": True}
    assert capture_env(cwd=repo, packages=False, command=False, system=False)["git"]["dirty"] is True
    assert git_info(tmp_path / "not-a-repo-but-a-missing-folder") is None


def test_capture_switches_and_no_torch_import() -> None:
    code = ("import sys, json; from tunelab.track.env import capture_env; e = capture_env(git=False); "
            "print(json.dumps({'torch_loaded': 'torch' in sys.modules, 'keys': sorted(e)}))")
    out = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert out["torch_loaded"] is False
    assert {"python", "os", "hostname", "cpu", "packages", "command", "cwd"} <= set(out["keys"])
    assert "git" not in out["keys"]
    assert set(capture_env(git=False, packages=False, command=False, system=False)) <= {"seed"}  # seed if noted


def test_study_stores_environment_and_stays_fast(tmp_path: Path) -> None:
    store = SQLStorage(f"sqlite:///{tmp_path / 's.db'}")
    tunelab.create_study(name="warm", storage=store)
    start = time.perf_counter()
    study = tunelab.create_study(name="env", storage=store)
    elapsed = time.perf_counter() - start
    env = study.system_attrs["environment"]
    assert env["python"] and "numpy" in env["packages"]
    assert elapsed < 0.5  # a few ms in practice (git is asked once per process)
    store.close()


def _objective(trial: tunelab.Trial) -> float:
    x = trial.suggest_float("x", -1, 1)
    for step in range(3):
        trial.report(x + step, step)
        trial.log({"train_loss": float(step)})
    if trial.number == 2:
        raise tunelab.TrialPruned()
    return x * x


def test_tracked_study_makes_every_trial_a_linked_run(tmp_path: Path) -> None:
    store = SQLStorage(f"sqlite:///{tmp_path / 's.db'}")
    study = tunelab.create_study(name="tracked", storage=store, track=True, seed=0)
    study.optimize(_objective, n_trials=3)
    runs = {r.trial_number: r for r in tunelab.runs("tracked", storage=store)}
    assert sorted(runs) == [0, 1, 2]
    for trial in study.trials:
        run = runs[trial.number]
        assert trial.system_attrs["run_id"] == run.run_id and run.study_name == "tracked"
        assert run.config == trial.params and run.state == "finished"
        history = run.history()
        assert history["train_loss"].values.tolist() == [0.0, 1.0, 2.0]
        assert history["intermediate_value"].values.tolist() == [trial.intermediate_values[s] for s in range(3)]
        assert trial.state.value.lower() in run.tags
    assert runs[0].history()["value"].values.tolist() == [study.trials[0].value]
    store.close()


def test_optimize_track_flag_and_failed_trials(tmp_path: Path) -> None:
    store = SQLStorage(f"sqlite:///{tmp_path / 's.db'}")
    study = tunelab.create_study(name="plain", storage=store)

    def failing(trial: tunelab.Trial) -> float:
        trial.suggest_int("n", 1, 3)
        raise RuntimeError("boom")

    study.optimize(failing, n_trials=1, track=True, catch=(RuntimeError,))
    (run,) = tunelab.runs("plain", storage=store)
    assert run.state == "failed" and "RuntimeError: boom" in (run.error or "")
    with pytest.warns(tunelab.exceptions.TunelabWarning, match="stores nothing because the study is not tracked"):
        study.optimize(lambda t: t.log({"a": 1.0}) or 1.0, n_trials=1)
    assert len(tunelab.runs("plain", storage=store)) == 1
    store.close()

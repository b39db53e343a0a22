"""Loss-proof logging: SIGKILL loses at most a flush interval (nothing with sync=True), four
processes log into one project at once, and a killed run is detected and marked crashed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tunelab
from tunelab.storage.sql import SQLStorage

_CHILD = """
import sys, time, tunelab
from tunelab.track import TrackOptions
run = tunelab.init("kill", name=sys.argv[2], storage=sys.argv[1], sync=sys.argv[3] == "sync",
                   system_metrics=False, capture_git=False, options=TrackOptions(flush_interval=0.2))
print(run.id, flush=True)
step = 0
while True:
    tunelab.log({"a": float(step), "b": 1.0})
    if step % 50 == 0:
        print(step, flush=True)
    step += 1
    time.sleep(0.0005)
"""


def _kill_after(url: str, name: str, mode: str, min_step: int) -> tuple[str, int]:
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, url, name, mode], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    run_id = proc.stdout.readline().strip()
    last = -1
    while last < min_step:
        last = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    rest = proc.stdout.read().split()
    proc.stdout.close()
    proc.wait()
    printed = max([last, *(int(x) for x in rest)])
    return run_id, printed


@pytest.mark.slow
def test_sigkill_loses_at_most_the_last_flush_interval(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    run_id, printed = _kill_after(url, "buffered", "buffered", 1500)
    store = SQLStorage(url)
    stored = store.get_metrics(run_id)["a"].steps
    assert stored.tolist() == list(range(len(stored)))  # no gaps, no duplicates
    # 0.2 s flush interval at <= ~2000 steps/s: generous bound of 1.5 s worth of steps
    assert stored[-1] >= printed - 3000 and len(stored) > 500
    crashed = tunelab.runs("kill", storage=store)  # the dead owner is detected here
    assert [r.state for r in crashed] == ["crashed"] and "died" in (crashed[0].error or "")
    store.close()


@pytest.mark.slow
def test_sigkill_with_sync_loses_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sync.db'}"
    run_id, printed = _kill_after(url, "synced", "sync", 300)
    store = SQLStorage(url)
    stored = store.get_metrics(run_id)["a"].steps
    assert stored[-1] >= printed  # every step printed had been committed before log() returned
    assert stored.tolist() == list(range(len(stored)))
    store.close()


_WRITER = """
import sys, tunelab
from tunelab.track import TrackOptions
with tunelab.init("shared", name=f"worker-{sys.argv[2]}", storage=sys.argv[1], system_metrics=False,
                  capture_git=False, options=TrackOptions(flush_interval=0.01)) as run:
    for step in range(int(sys.argv[3])):
        run.log({"x": float(step), "y": float(step) * 2})
print(run.id)
"""


@pytest.mark.slow
def test_four_processes_log_into_one_project(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    SQLStorage(url).close()  # created once, so the workers race on logging, not on the schema
    n = 3000
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, url, str(k), str(n)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for k in range(4)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [err for _, err in outputs]
    assert all(err == "" for _, err in outputs)
    store = SQLStorage(url)
    runs = tunelab.runs("shared", storage=store)
    assert len(runs) == 4 and {r.state for r in runs} == {"finished"}
    for run in runs:
        history = run.history()
        assert history["x"].steps.tolist() == list(range(n))
        assert history["y"].values.tolist() == [2.0 * s for s in range(n)]
    store.close()


def test_sync_mode_commits_in_log(store: SQLStorage) -> None:
    run = tunelab.init("s", storage=store, sync=True, system_metrics=False, capture_git=False,
                       options=tunelab.track.TrackOptions(flush_interval=60))
    run.log({"a": 1.0})
    assert store.get_metrics(run.id)["a"].values.tolist() == [1.0]  # no flush, no finish
    run.finish()


def test_background_flush_writes_without_finish(store: SQLStorage) -> None:
    run = tunelab.init("s", storage=store, system_metrics=False, capture_git=False,
                       options=tunelab.track.TrackOptions(flush_interval=0.05))
    run.log({"a": 1.0})
    deadline = time.monotonic() + 5
    while not store.get_metrics(run.id) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert store.get_metrics(run.id)["a"].values.tolist() == [1.0]
    run.finish()


def test_init_marks_dead_runs_of_its_project_crashed(store: SQLStorage) -> None:
    code = ("import os, tunelab; r = tunelab.init('dead', storage=os.environ['URL'], system_metrics=False, "
            "capture_git=False); r.log({'a': 1}); r.flush(); print(r.id); os._exit(0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "URL": store.url})
    dead_id = out.stdout.strip()
    assert store.get_run(dead_id).state == "running"  # os._exit skipped every exit hook
    tunelab.init("elsewhere", storage=store, system_metrics=False, capture_git=False).finish()
    assert store.get_run(dead_id).state == "running"  # another project: left alone
    tunelab.init("dead", storage=store, system_metrics=False, capture_git=False).finish()
    assert store.get_run(dead_id).state == "crashed"


def test_exit_without_finish_marks_finished_or_failed(store: SQLStorage) -> None:
    ok = ("import os, tunelab; r = tunelab.init('exit', storage=os.environ['URL'], system_metrics=False, "
          "capture_git=False); r.log({'a': 1}); print(r.id)")
    bad = ok + "; raise SystemExit(1) if False else 1/0"
    for code, state in ((ok, "finished"), (bad, "failed")):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env={**os.environ, "URL": store.url})
        record = store.get_run(out.stdout.strip())
        assert record.state == state
        assert store.get_metrics(record.run_id)["a"].values.tolist() == [1.0]
    assert "ZeroDivisionError" in (record.error or "")

"""Experiment tracking side by side: tunelab vs Trackio, MLflow (SQLite backend) and raw sqlite3.

Each measurement runs in a fresh subprocess with its own data folder, so import costs and
caches do not leak between tools. Printed as one markdown table:

* ``init``: seconds for the tool's init / start_run on a new store;
* ``log``: seconds to log ``--steps`` steps x 5 metrics **and** finish (everything on disk), and
  the resulting points/s;
* ``read``: seconds to read the whole history back through the tool's own API;
* ``bytes/point``: the data folder's size after the run, divided by the points logged;
* ``lost@SIGKILL``: points logged (acknowledged by ``log`` returning) but not on disk after the
  logging process, which prints each step it logged, is killed with SIGKILL after >= 3 s of logging;
* ``4 procs``: four processes logging ``--proc-steps`` steps x 5 metrics into one project at once:
  failed processes and lost points.

MLflow logs about a thousand points per second, so it runs ``--mlflow-steps`` steps (default 500)
and its throughput is reported for that size. Peers that are not installed are skipped.

Usage: ``python benchmarks/tracking.py [--steps 10000] [--mlflow-steps 500] [--proc-steps 2000]``
(peers: ``pip install 'tunelab[bench]'``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

KEYS = ("loss", "acc", "lr", "grad_norm", "throughput")
TOOLS = ("tunelab", "sqlite3", "trackio", "mlflow")


def _values(step: int) -> dict[str, float]:
    return {k: (step + 1) * 0.001 * (i + 1) for i, k in enumerate(KEYS)}


# -- per-tool adapters: start(folder, name) -> handle; log(handle, metrics, step); finish(handle); read(folder) ----
class _Tunelab:
    def start(self, folder: Path, name: str) -> Any:
        import tunelab

        return tunelab.init("bench", name=name, storage=f"sqlite:///{folder / 'tunelab.db'}", config={"lr": 0.1},
                            system_metrics=False, capture_git=False)

    def log(self, run: Any, metrics: dict[str, float], step: int) -> None:
        run.log(metrics, step=step)

    def finish(self, run: Any) -> None:
        run.finish()

    def read(self, folder: Path) -> int:
        import tunelab

        runs = tunelab.runs("bench", storage=f"sqlite:///{folder / 'tunelab.db'}")
        return sum(len(s) for r in runs for s in r.history().values())


class _Sqlite:
    """A raw batched sqlite3 loop: one row per point, one executemany per 1,000 steps."""

    def start(self, folder: Path, name: str) -> Any:
        import sqlite3

        conn = sqlite3.connect(folder / "raw.db", isolation_level=None, timeout=60)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE IF NOT EXISTS m (run TEXT, step INTEGER, key TEXT, value REAL)")
        return {"conn": conn, "name": name, "rows": []}

    def log(self, h: Any, metrics: dict[str, float], step: int) -> None:
        h["rows"].extend((h["name"], step, k, v) for k, v in metrics.items())
        if len(h["rows"]) >= 5000:
            self._flush(h)

    def _flush(self, h: Any) -> None:
        h["conn"].execute("BEGIN IMMEDIATE")
        h["conn"].executemany("INSERT INTO m VALUES (?, ?, ?, ?)", h["rows"])
        h["conn"].execute("COMMIT")
        h["rows"] = []

    def finish(self, h: Any) -> None:
        if h["rows"]:
            self._flush(h)
        h["conn"].close()

    def read(self, folder: Path) -> int:
        import sqlite3

        conn = sqlite3.connect(folder / "raw.db")
        n = len(conn.execute("SELECT step, key, value FROM m ORDER BY run, key, step").fetchall())
        conn.close()
        return n


class _Trackio:
    def start(self, folder: Path, name: str) -> Any:
        import trackio

        return trackio.init(project="bench", name=name, config={"lr": 0.1})

    def log(self, run: Any, metrics: dict[str, float], step: int) -> None:
        import trackio

        trackio.log(metrics, step=step)

    def finish(self, run: Any) -> None:
        import trackio

        trackio.finish()

    def read(self, folder: Path) -> int:
        from trackio.sqlite_storage import SQLiteStorage

        total = 0
        for run in SQLiteStorage.get_runs("bench"):
            for row in SQLiteStorage.get_logs("bench", run):
                total += sum(1 for k in row if k in KEYS)
        return total


class _Mlflow:
    def start(self, folder: Path, name: str) -> Any:
        import mlflow

        mlflow.set_tracking_uri(f"sqlite:///{folder / 'mlflow.db'}")
        mlflow.set_experiment("bench")
        return mlflow.start_run(run_name=name)

    def log(self, run: Any, metrics: dict[str, float], step: int) -> None:
        import mlflow

        mlflow.log_metrics(metrics, step=step)

    def finish(self, run: Any) -> None:
        import mlflow

        mlflow.end_run()

    def read(self, folder: Path) -> int:
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri=f"sqlite:///{folder / 'mlflow.db'}")
        experiment = client.get_experiment_by_name("bench")
        total = 0
        for run in client.search_runs([experiment.experiment_id]):
            total += sum(len(client.get_metric_history(run.info.run_id, k)) for k in KEYS)
        return total


ADAPTERS = {"tunelab": _Tunelab, "sqlite3": _Sqlite, "trackio": _Trackio, "mlflow": _Mlflow}


# -- worker modes (run in a child process) ------------------------------------------------------
def _worker_throughput(tool: str, folder: Path, steps: int) -> dict[str, Any]:
    adapter = ADAPTERS[tool]()
    metrics = [_values(s) for s in range(steps)]
    t0 = time.perf_counter()
    handle = adapter.start(folder, "run-0")
    t1 = time.perf_counter()
    for step in range(steps):
        adapter.log(handle, metrics[step], step)
    adapter.finish(handle)
    t2 = time.perf_counter()
    n = adapter.read(folder)
    t3 = time.perf_counter()
    return {"init": t1 - t0, "log": t2 - t1, "read": t3 - t2, "read_points": n}


def _worker_kill(tool: str, folder: Path) -> None:
    adapter = ADAPTERS[tool]()
    handle = adapter.start(folder, "killed")
    step = 0
    while True:
        adapter.log(handle, _values(step), step)
        sys.stdout.write(f"\n{step}\n")
        sys.stdout.flush()
        step += 1


def _worker_proc(tool: str, folder: Path, steps: int, k: int) -> None:
    adapter = ADAPTERS[tool]()
    handle = adapter.start(folder, f"proc-{k}")
    for step in range(steps):
        adapter.log(handle, _values(step), step)
    adapter.finish(handle)


# -- the parent: one subprocess per measurement ----------------------------------------------------
def _env(folder: Path) -> dict[str, str]:
    return {**os.environ, "TUNELAB_HOME": str(folder / "home"), "TRACKIO_DIR": str(folder),
            "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}", "GRADIO_ANALYTICS_ENABLED": "False",
            "TRACKIO_NO_BROWSER": "1", "PYTHONWARNINGS": "ignore"}


def _child(args: list[str], folder: Path, **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, __file__, *args], env=_env(folder), text=True, cwd=folder, **kwargs)


def _disk(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and p.parent.name != "home"
               and not p.name.endswith(".lock"))


def measure_throughput(tool: str, steps: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix=f"bench-{tool}-"))
    proc = _child(["--worker", "throughput", "--tool", tool, "--dir", str(folder), "--steps", str(steps)],
                  folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"{tool} failed: {err.strip().splitlines()[-1] if err.strip() else proc.returncode}")
    result = json.loads(out.strip().splitlines()[-1])
    result["bytes"] = _disk(folder)
    result["points"] = steps * len(KEYS)
    shutil.rmtree(folder, ignore_errors=True)
    return result


def measure_kill(tool: str, min_steps: int = 3000) -> int:
    """Points acknowledged by log() before SIGKILL but missing afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=f"kill-{tool}-"))
    proc = _child(["--worker", "kill", "--tool", tool, "--dir", str(folder)], folder,
                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    last = -1
    deadline = time.monotonic() + 120
    started = None
    while (last < min_steps or started is None or time.monotonic() - started < 3.0) and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.strip().isdigit():
            last = int(line)
            started = started or time.monotonic()
    os.kill(proc.pid, signal.SIGKILL)
    for line in proc.stdout.read().splitlines():
        if line.strip().isdigit():
            last = max(last, int(line))
    proc.stdout.close()
    proc.wait()
    try:
        stored = ADAPTERS[tool]().read(folder) if tool != "trackio" else _read_trackio_child(folder)
    except Exception:  # the store itself is unreadable: everything is lost
        stored = 0
    shutil.rmtree(folder, ignore_errors=True)
    return max(0, (last + 1) * len(KEYS) - stored)


def _read_trackio_child(folder: Path) -> int:
    code = f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import tracking; " \
           f"from pathlib import Path; print(tracking._Trackio().read(Path({str(folder)!r})))"
    out = subprocess.run([sys.executable, "-c", code], env=_env(folder), capture_output=True, text=True, timeout=300)
    return int(out.stdout.strip().splitlines()[-1])


def measure_procs(tool: str, steps: int) -> tuple[int, int]:
    """(failed processes, lost points) for four processes logging into one project."""
    folder = Path(tempfile.mkdtemp(prefix=f"procs-{tool}-"))
    procs = [_child(["--worker", "proc", "--tool", tool, "--dir", str(folder), "--steps", str(steps), "--k", str(k)],
                    folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for k in range(4)]
    failed = sum(1 for p in procs if p.wait(timeout=1800) != 0)
    for p in procs:
        assert p.stderr is not None
        p.stderr.close()
    try:
        stored = ADAPTERS[tool]().read(folder) if tool != "trackio" else _read_trackio_child(folder)
    except Exception:
        stored = 0
    shutil.rmtree(folder, ignore_errors=True)
    return failed, 4 * steps * len(KEYS) - stored


def _installed(tool: str) -> bool:
    return tool in ("tunelab", "sqlite3") or importlib.util.find_spec(tool) is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--mlflow-steps", type=int, default=500)
    parser.add_argument("--proc-steps", type=int, default=2_000)
    parser.add_argument("--mlflow-proc-steps", type=int, default=100)
    parser.add_argument("--worker", default=None)
    parser.add_argument("--tool", default=None)
    parser.add_argument("--dir", default=None)
    parser.add_argument("--k", type=int, default=0)
    args = parser.parse_args()
    if args.worker == "throughput":
        print(json.dumps(_worker_throughput(args.tool, Path(args.dir), args.steps)))
        return
    if args.worker == "kill":
        _worker_kill(args.tool, Path(args.dir))
        return
    if args.worker == "proc":
        _worker_proc(args.tool, Path(args.dir), args.steps, args.k)
        return
    rows = []
    for tool in TOOLS:
        if not _installed(tool):
            print(f"skipping {tool}: not installed", file=sys.stderr)
            continue
        steps = args.mlflow_steps if tool == "mlflow" else args.steps
        proc_steps = args.mlflow_proc_steps if tool == "mlflow" else args.proc_steps
        print(f"measuring {tool} ...", file=sys.stderr)
        r = measure_throughput(tool, steps)
        lost = measure_kill(tool, min_steps=300 if tool == "mlflow" else 3000)
        failed, missing = measure_procs(tool, proc_steps)
        rows.append((tool, steps, r, lost, failed, missing, proc_steps))
    print(f"\n{args.steps:,} steps x {len(KEYS)} metrics, one run (MLflow: {args.mlflow_steps} steps); "
          f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n")
    print("| tool | steps | init s | log+finish s | points/s | read s | bytes/point | lost@SIGKILL | "
          "4 procs: failed / lost points |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for tool, steps, r, lost, failed, missing, proc_steps in rows:
        print(f"| {tool} | {steps:,} | {r['init']:.3f} | {r['log']:.3f} | {r['points'] / r['log']:,.0f} | "
              f"{r['read']:.3f} | {r['bytes'] / r['points']:.1f} | {lost:,} | {failed} / {missing:,} "
              f"(x{proc_steps:,} steps) |")


if __name__ == "__main__":
    main()

"""Dashboard benchmark: tunelab vs Trackio vs MLflow on the same logged data, in one run.

Each tool logs ``--runs`` runs x ``--steps`` steps x ``--metrics`` metrics through its own
Python API into a fresh store in a temporary folder; then its dashboard server is started as
a subprocess and timed over HTTP on 127.0.0.1:

* **first answer**: seconds from launching the server to its first successful answer;
* **runs table**: the request behind the main page's table (first call and median of the
  next ``--repeats``): tunelab ``GET /api/runs?project=P``, Trackio
  ``POST /api/get_runs_for_project``, MLflow ``POST /api/2.0/mlflow/runs/search``;
* **sorted table** (tunelab only): the same page sorted by a metric, which reads every run;
* **run curves**: every metric of one run as the run page loads it: tunelab
  ``GET /api/runs/<id>/metrics`` (all keys, <= 1500 points each, extremes kept), Trackio
  ``POST /api/get_logs``, MLflow ``GET /api/2.0/mlflow/metrics/get-history`` once per metric.

The goal set for tunelab: every request under 300 ms. The full size of the issue is the
default (1,000 x 10,000 x 5 = 50 M points); peers take long to ingest that much, so
``--peer-runs``/``--peer-steps`` can shrink their share, and ``--quick`` shrinks everything
(200 runs x 1,000 steps) for a smoke run. Peers that are not installed are skipped.

Usage::

    python benchmarks/dashboard.py                       # full size, tunelab + installed peers
    python benchmarks/dashboard.py --quick               # 200 x 1,000 x 5 for every tool
    python benchmarks/dashboard.py --peers none          # tunelab only
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["main"]

PROJECT = "bench"


def _series(run: int, metric: int, steps: int) -> np.ndarray:
    """Deterministic curve of one metric of one run (a noisy decay; metric 0 has a spike)."""
    rng = np.random.default_rng(run * 100 + metric)
    x = np.arange(steps, dtype=float)
    y = np.exp(-x / (steps / (2 + metric))) + 0.02 * rng.standard_normal(steps) + 0.1 * metric
    if metric == 0:
        y[steps // 3] += 5.0
    return y


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(url: str, body: Any = None) -> bytes:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=120) as response:
        return response.read()  # type: ignore[no-any-return]


def _timed(call: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """(first call, median of the next ``repeats``) in milliseconds."""
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times[0], statistics.median(times[1:])


def _serve(cmd: list[str], env: dict[str, str], probe: str, timeout: float = 180.0) -> tuple[subprocess.Popen[bytes], float]:
    """Start a server; return it and the seconds until ``probe`` first answers 200."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode}: {' '.join(cmd)}")
        try:
            _request(probe)
            return proc, time.perf_counter() - start
        except OSError:
            time.sleep(0.05)
    _stop(proc)
    raise RuntimeError(f"server did not answer within {timeout:.0f} s: {' '.join(cmd)}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server we started (its own process group, by its id)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# -- tunelab -------------------------------------------------------------------------------------
def fill_tunelab(folder: Path, runs: int, steps: int, metrics: int) -> tuple[str, str]:
    """Log the data through tunelab's storage API; return (store path, one run id)."""
    import tunelab

    path = folder / "tunelab.db"
    store = tunelab.get_storage(str(path))
    keys = [f"m{k}" for k in range(metrics)]
    chunk = 2000
    first = ""
    for r in range(runs):
        rid = store.create_run(PROJECT, name=f"run-{r}", config={"lr": 10 ** -(1 + r % 4), "layers": r % 5,
                                                                 "opt": "adam" if r % 2 else "sgd"},
                               tags=("even",) if r % 2 == 0 else ("odd",))
        first = first or rid
        values = [_series(r, k, steps).tolist() for k in range(metrics)]
        now = time.time()
        for lo in range(0, steps, chunk):
            rows = [(s, now + s, key, vals[s]) for s in range(lo, min(steps, lo + chunk))
                    for key, vals in zip(keys, values, strict=True)]
            store.append_metrics(rid, rows)
        store.update_run(rid, state="finished", finished_at=time.time())
    store.close()
    return str(path), first


def bench_tunelab(folder: Path, runs: int, steps: int, metrics: int, repeats: int) -> dict[str, Any]:
    start = time.perf_counter()
    path, run_id = fill_tunelab(folder, runs, steps, metrics)
    fill = time.perf_counter() - start
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc, first = _serve([sys.executable, "-m", "tunelab.cli", "dashboard", "--storage", path, "--port", str(port)],
                         {}, base + "/api/health")
    try:
        table = _timed(lambda: _request(f"{base}/api/runs?project={PROJECT}&limit=50"), repeats)
        time.sleep(1.1)  # let the one-second table cache expire: the first sorted call reads every run
        sorted_table = _timed(lambda: _request(f"{base}/api/runs?project={PROJECT}&sort=summary.m0&order=asc"),
                              repeats)
        curves = _timed(lambda: _request(f"{base}/api/runs/{run_id}/metrics"), repeats)
        page = _timed(lambda: _request(base + "/"), repeats)
    finally:
        _stop(proc)
    return {"tool": "tunelab", "fill_s": fill, "first_answer_s": first, "runs_table_ms": table,
            "sorted_table_ms": sorted_table, "curves_ms": curves, "index_ms": page}


# -- Trackio -------------------------------------------------------------------------------------
def bench_trackio(folder: Path, runs: int, steps: int, metrics: int, repeats: int) -> dict[str, Any]:
    env = {"TRACKIO_DIR": str(folder / "trackio")}
    script = f"""
import os, time, sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from dashboard import _series
import trackio
for r in range({runs}):
    trackio.init(project={PROJECT!r}, name=f"run-{{r}}", config={{"lr": 10 ** -(1 + r % 4), "layers": r % 5}})
    values = [_series(r, k, {steps}).tolist() for k in range({metrics})]
    for s in range({steps}):
        trackio.log({{f"m{{k}}": values[k][s] for k in range({metrics})}}, step=s)
    trackio.finish()
"""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", script], env={**os.environ, **env}, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    fill = time.perf_counter() - start
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    serve = (f"import trackio; trackio.show(project={PROJECT!r}, open_browser=False, block_thread=True, "
             f"server_port={port}, host='127.0.0.1')")
    proc, first = _serve([sys.executable, "-c", serve], env, base + "/version")
    try:
        table = _timed(lambda: _request(f"{base}/api/get_runs_for_project", {"project": PROJECT}), repeats)
        curves = _timed(lambda: _request(f"{base}/api/get_logs", {"project": PROJECT, "run": "run-0",
                                                                  "scalar_only": True}), repeats)
        page = _timed(lambda: _request(base + "/"), repeats)
    finally:
        _stop(proc)
    return {"tool": "trackio", "fill_s": fill, "first_answer_s": first, "runs_table_ms": table,
            "curves_ms": curves, "index_ms": page}


# -- MLflow --------------------------------------------------------------------------------------
def bench_mlflow(folder: Path, runs: int, steps: int, metrics: int, repeats: int) -> dict[str, Any]:
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    script = f"""
import sys, time
sys.path.insert(0, {str(Path(__file__).parent)!r})
from dashboard import _series
import mlflow
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient
mlflow.set_tracking_uri({uri!r})
client = MlflowClient()
exp = client.create_experiment({PROJECT!r}, artifact_location={str(folder / 'mlruns')!r})
first = None
for r in range({runs}):
    run = client.create_run(exp, run_name=f"run-{{r}}")
    first = first or run.info.run_id
    client.log_batch(run.info.run_id, params=[mlflow.entities.Param("lr", str(10 ** -(1 + r % 4)))])
    now = int(time.time() * 1000)
    points = [Metric(f"m{{k}}", float(v), now + s, s) for k in range({metrics})
              for s, v in enumerate(_series(r, k, {steps}))]
    for lo in range(0, len(points), 1000):
        client.log_batch(run.info.run_id, metrics=points[lo:lo + 1000])
    client.set_terminated(run.info.run_id)
print(exp, first)
"""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
    fill = time.perf_counter() - start
    exp_id, run_id = out.split()[-2:]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc, first = _serve([sys.executable, "-m", "mlflow", "server", "--backend-store-uri", uri, "--host", "127.0.0.1",
                          "--port", str(port), "--workers", "1"], {}, base + "/health")
    try:
        table = _timed(lambda: _request(f"{base}/api/2.0/mlflow/runs/search",
                                        {"experiment_ids": [exp_id], "max_results": 50}), repeats)

        def curves_call() -> None:
            for k in range(metrics):
                _request(f"{base}/api/2.0/mlflow/metrics/get-history?run_id={run_id}&metric_key=m{k}"
                         f"&max_results=25000")

        curves = _timed(curves_call, repeats)
        page = _timed(lambda: _request(base + "/"), repeats)
    finally:
        _stop(proc)
    return {"tool": "mlflow", "fill_s": fill, "first_answer_s": first, "runs_table_ms": table,
            "curves_ms": curves, "index_ms": page}


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _cell(pair: Any) -> str:
    return "-" if pair is None else f"{pair[0]:.0f} / {pair[1]:.0f}"


def _report(results: list[dict[str, Any]]) -> str:
    lines = ["| tool | size (runs x steps x metrics) | log time (s) | first answer (s) | runs table ms (first / median) "
             "| sorted by metric ms | run curves ms | index page ms |", "|" + "---|" * 8]
    for r in results:
        lines.append(f"| {r['tool']} | {r['size']} | {r['fill_s']:.1f} | {r['first_answer_s']:.2f} | "
                     f"{_cell(r['runs_table_ms'])} | {_cell(r.get('sorted_table_ms'))} | {_cell(r['curves_ms'])} | "
                     f"{_cell(r['index_ms'])} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a Markdown table (and JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--metrics", type=int, default=5)
    parser.add_argument("--peer-runs", type=int, default=None, help="runs logged by the peers (default: --runs)")
    parser.add_argument("--peer-steps", type=int, default=None, help="steps logged by the peers (default: --steps)")
    parser.add_argument("--quick", action="store_true", help="200 runs x 1,000 steps for every tool")
    parser.add_argument("--peers", default="trackio,mlflow", help="comma list, or 'none'")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.steps = 200, 1000
    peer_runs, peer_steps = args.peer_runs or args.runs, args.peer_steps or args.steps
    results = []
    with tempfile.TemporaryDirectory(prefix="tunelab-dash-bench-") as tmp:
        folder = Path(tmp)
        res = bench_tunelab(folder, args.runs, args.steps, args.metrics, args.repeats)
        res["size"] = f"{args.runs} x {args.steps} x {args.metrics}"
        results.append(res)
        print(_report(results), flush=True)
        peers = {"trackio": bench_trackio, "mlflow": bench_mlflow}
        for name in [p for p in args.peers.split(",") if p and p != "none"]:
            if not _installed(name):
                print(f"{name}: not installed, skipped (pip install {name})", file=sys.stderr)
                continue
            try:
                res = peers[name](folder, peer_runs, peer_steps, args.metrics, args.repeats)
            except Exception as err:  # a peer failing is reported, not fatal
                print(f"{name}: failed: {err}", file=sys.stderr)
                continue
            res["size"] = f"{peer_runs} x {peer_steps} x {args.metrics}"
            results.append(res)
            print(_report(results[-1:]).splitlines()[-1], flush=True)
    print()
    print(_report(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

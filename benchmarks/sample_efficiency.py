"""Sample-efficiency benchmark: tunelab's samplers against the peers, side by side in one run.

Run (peers: ``pip install 'tunelab[bench]'``)::

    python benchmarks/sample_efficiency.py                      # everything, then the report
    python benchmarks/sample_efficiency.py --quick              # 3 seeds, 2 problems per suite
    python benchmarks/sample_efficiency.py --suite synthetic --seeds 10 --jobs 2
    python benchmarks/sample_efficiency.py --suite overhead     # per-trial ask+tell cost, 10-D
    python benchmarks/sample_efficiency.py --report-only        # tables from the cache

Every run of one (method, problem, seed) goes to one process of a pool (``--jobs``) and, when it
ends, one line of the JSON-lines cache (``--cache``); a second invocation skips what is cached,
so an interrupted run resumes. Each run records the best value after every evaluation, so the
budgets 25, 50 and 100 come from one run of 100. The report (``--out`` + ``.md`` / ``.json``)
gives: the mean normalised score per suite and budget (100 x (random's mean best - method's
best) / (random's mean best - best any method found); random = 0, the best found = 100),
median and IQR of simple regret on the synthetic problems, scores per real problem and the
per-trial overhead. Slow peers (GPs costing ~0.3-2 s per trial) run on ``--slow-seeds`` seeds.

Example:
    >>> parse_args(["--quick"]).seeds
    3
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # 1 BLAS thread per job
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import functions  # noqa: E402
import peers  # noqa: E402
import report  # noqa: E402

__all__ = ["main", "overhead_run", "parse_args", "problems", "run_one"]

QUICK_PROBLEMS = {"synthetic": ("branin", "hartmann6"), "real": ("svc-digits", "ridge-diabetes")}
NOTES = [
    "Seeds per method and suite are in the score table. Synthetic: 30 seeds, except skopt-gp and "
    "bayesopt-gp (3: 1-2 s per trial). Real: 30 seeds for tunelab-auto, -tpe, -gp, random and "
    "skopt-gp; 10 for tunelab-gp-warp and optuna-tpe; 8 for optuna-gp; 5 for the other fast peers; 1 "
    "for bayesopt-gp (CPU time). Seeds differ in difficulty (skopt-gp: real @100 53.5 in the seeds "
    "0-9 table, 48.0 in the seeds 0-19 one, 49.6 on all 30), so methods with different seed counts "
    "are compared in the equal-seeds tables too.",
    "The real suite is the 9-problem default subset (`--full-real` runs all 21 model x dataset pairs); "
    "accuracies are discrete, so a problem's span (random's mean best - best found) can be tiny and "
    "its scores swing widely (a score below -100 means a few hundredths of accuracy, or 1e-4 of R^2 "
    "on ridge-diabetes). One seed missing the best accuracy of rf-wine by one sample moves that "
    "problem's score by 100 / seeds. The mean-rank table is the check that does not depend on spans.",
    "Runs are chaotic: the last digits of a GP fit depend on the BLAS thread count and the numpy / "
    "scipy versions, and by trial 100 of a 10-D problem the paths have parted (seeds rerun with numpy "
    "2.4.6 and scipy 1.17.1 gave other values than the same seeds cached earlier). Compare methods by "
    "their means over many seeds: with 10 seeds, tunelab-gp-warp led the synthetic suite at 100 by 4.6 "
    "points; with 30 it is level with the default.",
    "tunelab-auto delegates to the GP on every synthetic problem; GPSampler starts with the same "
    "Sobol' design and seed, so there auto and tunelab-gp propose the same points and their rows are "
    "identical (checked run by run). On the real suite auto uses TPE for the integer-heavy tree "
    "ensembles (rf, hgb, knn, rf_reg, gb_reg), after its Sobol' start-up where tunelab-tpe starts "
    "with random points, and the GP elsewhere. After the GP's escape step came in, every run of "
    "tunelab-gp and tunelab-gp-warp and every GP-mode run of auto (all synthetic, 4 real problems) "
    "was rerun; auto's tree-ensemble runs never reach the GP and are kept.",
    "tunelab-gp is GPSampler's default, which Yeo-Johnson-warps the objective values once 20 of them are "
    "all distinct (continuous objectives; accuracies tie before that and stay unwarped); "
    "`tunelab-gp-warp` is `GPSampler(output_warping=True)`, warped from the first fit: level with the "
    "default on the synthetic suite, but greedy on the quantised accuracies of the real one "
    "(logreg-breast_cancer: best accuracy on 4 of 10 seeds).",
    "ridge-diabetes has two minima in alpha (fit_intercept=True): 1 - R^2 = 0.50998 near alpha = 0.002 and "
    "0.50936 in a narrow basin near alpha = 0.05. Before GPSampler's escape step, the default GP refined "
    "the first for 80 trials on seed 23 and never sampled the second (expected improvement favours "
    "micro-improvements at a well-known minimum over an unexplored gap): ridge-diabetes @100 76, now "
    "100 (global basin on 30 of 30 seeds, by trial 50 on 27; before: 29 and 23). The escape step fires only after 10 "
    "trials in a row near the incumbent, so most runs of other problems are unchanged by it; runs "
    "that changed without an escape (svc-digits seeds 0 and 7, which no longer find the best "
    "accuracy: 59 -> 54 on that problem) changed through the chaos above, not the rule.",
    "Optuna 5's default TPE is multivariate; `optuna-tpe-uni` is the univariate TPE (Optuna <= 4's default).",
    "HEBO was not run: `pip install hebo` requires numpy 1.24, scipy 1.12 and pandas 2.3 (downgrades) "
    "and pulls catboost, GPy and gpytorch.",
    "Overhead is one run per method, the five one after another in one invocation (`--suite overhead "
    "--jobs 1`) on an otherwise idle machine; with two at a time on the 2 cores, figures were up to "
    "2.4x higher (tunelab-tpe 3.9 ms against optuna-tpe 9.3 ms at 900-1000).",
]

FIRST_SEEDS = (10, 20)  # equal-seeds tables: methods with n or more seeds compared on the same ones

OVERHEAD_METHODS = {"tunelab-tpe": 1000, "tunelab-auto": 1000, "tunelab-gp": 500,
                    "optuna-tpe": 1000, "optuna-gp": 500}


def problems(suite: str, full_real: bool = False) -> dict[str, functions.TestFunction]:
    """The problems of ``suite`` (``"synthetic"`` or ``"real"``) by name.

    Example:
        >>> sorted(problems("synthetic"))[:2]
        ['ackley10', 'branin']
    """
    if suite == "synthetic":
        return dict(functions.FUNCTIONS)
    import sklearn_problems

    return sklearn_problems.all_problems(full=full_real)


def _quiet() -> None:
    warnings.filterwarnings("ignore")
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass


def _ask_tell_loop(opt: Any, fn: Any, n: int) -> tuple[list[float], list[float]]:
    """``n`` evaluations of ``fn`` proposed by ``opt``: the values and each trial's ask + tell seconds."""
    values, seconds = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        config = opt.ask()
        t1 = time.perf_counter()
        value = fn(config)
        t2 = time.perf_counter()
        opt.tell(config, value)
        seconds.append((t1 - t0) + (time.perf_counter() - t2))
        values.append(float(value))
    return values, seconds


def run_one(method: str, suite: str, problem: str, seed: int, budget: int, full_real: bool = False) -> dict[str, Any]:
    """Run ``method`` on ``problem`` for ``budget`` evaluations; the record written to the cache.

    Example:
        >>> r = run_one("tunelab-random", "synthetic", "branin", 0, 5)
        >>> len(r["best"]), r["best"][-1] <= r["best"][0]
        (5, True)
    """
    _quiet()
    fn = problems(suite, full_real)[problem]
    opt = peers.make_adapter(method, fn.space, seed)
    start = time.perf_counter()
    values, seconds = _ask_tell_loop(opt, fn, budget)
    record: dict[str, Any] = {
        "kind": "run", "method": method, "suite": suite, "problem": problem, "seed": seed,
        "budget": budget, "best": [float(v) for v in np.minimum.accumulate(values)],
        "optimum": fn.optimum if fn.optimum == fn.optimum else None,
        "s_per_trial_overhead": float(np.sum(seconds)) / budget, "s_total": time.perf_counter() - start,
    }
    if method.startswith("tunelab"):
        record["sampler_history"] = opt.study.system_attrs.get("sampler_history", [])
    return record


def overhead_run(method: str, n_trials: int, dims: int = 10) -> dict[str, Any]:
    """Seconds of ask + tell for each trial of ``method`` on a cheap ``dims``-D problem.

    Example:
        >>> len(overhead_run("tunelab-tpe", 3)["seconds"])
        3
    """
    _quiet()
    fn = functions.rosenbrock(dims)
    opt = peers.make_adapter(method, fn.space, 0)
    _, seconds = _ask_tell_loop(opt, fn, n_trials)
    return {"kind": "overhead", "method": method, "dims": dims, "n_trials": n_trials, "seconds": seconds}


def _load(cache: Path) -> list[dict[str, Any]]:
    if not cache.exists():
        return []
    records = []
    for line in cache.read_text().splitlines():
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:  # a line cut by an interrupted run
                continue
    return records


def _run_tasks(args: argparse.Namespace, done: list[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
    have = {(r["method"], r["suite"], r["problem"], r["seed"]) for r in done
            if r["kind"] == "run" and r["budget"] >= args.budget}
    for suite in (["synthetic", "real"] if args.suite == "all" else [args.suite]):
        names = list(problems(suite, args.full_real))
        if args.quick:
            names = list(QUICK_PROBLEMS[suite])
        if args.problems:
            names = [n for n in names if n in args.problems]
        n_fast = args.real_seeds if suite == "real" else args.seeds
        for method in args.methods:
            n = min(n_fast, args.slow_seeds) if method in peers.SLOW_METHODS else n_fast
            for seed in range(n):
                for name in names:
                    if (method, suite, name, seed) not in have:
                        yield (run_one, method, suite, name, seed, args.budget, args.full_real)


def _overhead_tasks(args: argparse.Namespace, done: list[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
    have = {r["method"] for r in done if r["kind"] == "overhead"}
    for method, n in OVERHEAD_METHODS.items():
        if method not in have and (method in args.methods or args.suite == "overhead"):
            yield (overhead_run, method, n if not args.quick else min(n, 200))


def _cost(task: tuple[Any, ...]) -> float:
    """Rough relative cost, to start the longest tasks first."""
    if task[0] is overhead_run:
        return 1e6
    return (100.0 if task[1] in peers.SLOW_METHODS else 10.0 if "gp" in task[1] or "auto" in task[1] else 1.0) * (
        5.0 if task[2] == "real" else 1.0
    )


def _execute(tasks: list[tuple[Any, ...]], jobs: int, cache: Path) -> None:
    tasks.sort(key=_cost, reverse=True)
    cache.parent.mkdir(parents=True, exist_ok=True)
    print(f"{len(tasks)} runs to do with {jobs} jobs; cache {cache}", flush=True)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending = {pool.submit(task[0], *task[1:]): task for task in tasks}
        finished = 0
        while pending:
            ready, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in ready:
                task = pending.pop(future)
                finished += 1
                try:
                    record = future.result()
                except Exception as err:  # one broken peer must not stop the others
                    print(f"FAILED {task[1:]}: {type(err).__name__}: {err}", flush=True)
                    continue
                with cache.open("a") as fh:
                    fh.write(json.dumps(record) + "\n")
                label = " ".join(str(x) for x in task[1:5])
                print(f"[{finished}/{len(tasks)}] {label} {time.strftime('%H:%M:%S')}", flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (see the module docstring).

    Example:
        >>> parse_args(["--methods", "tunelab-auto,optuna-tpe"]).methods
        ['tunelab-auto', 'optuna-tpe']
    """
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="3 seeds, 2 problems per suite, overhead to 200")
    p.add_argument("--seeds", type=int, default=10, help="seeds per synthetic problem (fast methods)")
    p.add_argument("--real-seeds", type=int, default=3, help="seeds per real problem")
    p.add_argument("--slow-seeds", type=int, default=5, help="most seeds for slow peers " + str(peers.SLOW_METHODS))
    p.add_argument("--budgets", default="25,50,100")
    p.add_argument("--suite", default="all", choices=("synthetic", "real", "all", "overhead"))
    p.add_argument("--methods", default=",".join(peers.METHODS))
    p.add_argument("--problems", default="", help="comma-separated subset of problem names")
    p.add_argument("--full-real", action="store_true", help="all 21 model x dataset pairs, not the 9 default")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--cache", type=Path, default=Path("benchmarks/results/sample_efficiency.jsonl"))
    p.add_argument("--out", type=Path, default=Path("docs/benchmarks"))
    p.add_argument("--report-only", action="store_true")
    p.add_argument("--no-overhead", action="store_true")
    args = p.parse_args(argv)
    args.budget_list = [int(b) for b in args.budgets.split(",")]
    args.budget = max(args.budget_list)
    args.methods = [m for m in args.methods.split(",") if m]
    args.problems = [n for n in args.problems.split(",") if n]
    if args.quick:
        args.seeds = args.real_seeds = min(args.seeds, 3)
    unknown = set(args.methods) - set(peers.METHODS)
    if unknown:
        p.error(f"unknown methods {sorted(unknown)}; choose from {', '.join(peers.METHODS)}")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run what is missing from the cache, then write the report; returns the report data.

    Example:
        >>> callable(main)
        True
    """
    args = parse_args(argv)
    done = _load(args.cache)
    if not args.report_only:
        tasks: list[tuple[Any, ...]] = []
        if args.suite != "overhead":
            tasks += list(_run_tasks(args, done))
        if args.suite == "overhead" or (args.suite == "all" and not args.no_overhead):
            tasks += list(_overhead_tasks(args, done))
        if tasks:
            _execute(tasks, args.jobs, args.cache)
        done = _load(args.cache)
    data = report.build(done, args.methods, args.budget_list)
    data["first_seeds"] = [report.first_seeds(done, args.methods, args.budget_list, n) for n in FIRST_SEEDS]
    data["notes"] = NOTES
    report.write(data, args.out)
    print(args.out.with_suffix(".md").read_text())
    return data


if __name__ == "__main__":
    main()

"""Search estimators on every core: wall time with ``n_jobs``, TuneSearchCV against its peers.

The lecture's RandomForest problem (make_classification 1000x10, 80/20 stratified split) and its
36-point grid, 5-fold stratified CV, each search given ``n_jobs`` workers: GridSearchCV and
RandomizedSearchCV (folds and candidates in joblib processes), OptunaSearchCV (trials in threads)
and TuneSearchCV: ``sampler="grid"`` (candidates at once, as GridSearchCV), ``sampler="auto"``
without a pruner (one candidate's folds at once, so the results match one worker's) and with
fold pruning (candidates at once, each one's folds in order), plus TuneSearchCV with fold pruning
on one worker, the speed-up's reference. Reported per method: wall time, the ratio
of each peer's time to pruned TuneSearchCV's on the same workers, folds fitted, best CV score and
the held-out accuracy of the refitted model, as mean ± std over seeds, all in one run.

Run: ``python benchmarks/search_cv_parallel.py [--seeds 3] [--n-jobs 2] [--out docs/benchmarks_search_cv_parallel.md]``

Example:
    >>> parse_args(["--seeds", "1"]).n_jobs
    2
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

GRID = {"n_estimators": [50, 100, 200], "max_depth": [5, 10, 15, None], "min_samples_leaf": [1, 2, 5]}
N_TRIALS = 36


def _data() -> tuple[Any, Any, Any, Any]:
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    X, y = make_classification(n_samples=1000, n_features=10, n_informative=5, n_redundant=2, random_state=42)
    return tuple(train_test_split(X, y, test_size=0.2, stratify=y, random_state=42))  # type: ignore[return-value]


def _forest(seed: int) -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(random_state=seed)


def grid_search(seed: int, cv: Any, n_jobs: int) -> Any:
    from sklearn.model_selection import GridSearchCV

    return GridSearchCV(_forest(seed), GRID, cv=cv, scoring="accuracy", n_jobs=n_jobs)


def random_search(seed: int, cv: Any, n_jobs: int) -> Any:
    from scipy.stats import randint
    from sklearn.model_selection import RandomizedSearchCV

    space = {"n_estimators": randint(50, 201), "max_depth": GRID["max_depth"], "min_samples_leaf": randint(1, 6)}
    return RandomizedSearchCV(_forest(seed), space, n_iter=N_TRIALS, cv=cv, scoring="accuracy", n_jobs=n_jobs,
                              random_state=seed)


def optuna_search(seed: int, cv: Any, n_jobs: int) -> Any:
    import logging

    import optuna
    from optuna.distributions import CategoricalDistribution, IntDistribution
    from optuna_integration import OptunaSearchCV

    optuna.logging.set_verbosity(logging.WARNING)
    space = {"n_estimators": IntDistribution(50, 200), "max_depth": CategoricalDistribution(GRID["max_depth"]),
             "min_samples_leaf": IntDistribution(1, 5)}
    return OptunaSearchCV(_forest(seed), space, n_trials=N_TRIALS, cv=cv, scoring="accuracy", n_jobs=n_jobs,
                          random_state=seed)


def _tune(seed: int, cv: Any, n_jobs: int, pruner: Any) -> Any:
    import tunelab
    from tunelab.sklearn import TuneSearchCV

    space = {"n_estimators": tunelab.Int(50, 200), "max_depth": GRID["max_depth"],
             "min_samples_leaf": tunelab.Int(1, 5)}
    return TuneSearchCV(_forest(seed), space, n_trials=N_TRIALS, cv=cv, scoring="accuracy", pruner=pruner,
                        n_jobs=n_jobs, random_state=seed)


def _tune_grid(seed: int, cv: Any, n_jobs: int) -> Any:
    from tunelab.sklearn import TuneSearchCV

    return TuneSearchCV(_forest(seed), GRID, sampler="grid", cv=cv, scoring="accuracy", n_jobs=n_jobs)


REFERENCE = "TuneSearchCV auto + fold pruning"
ONE_WORKER = "TuneSearchCV auto + fold pruning, one worker"
METHODS: dict[str, Callable[[int, Any, int], Any]] = {
    "GridSearchCV": grid_search,
    "RandomizedSearchCV": random_search,
    "OptunaSearchCV": optuna_search,
    "TuneSearchCV grid": lambda seed, cv, n_jobs: _tune_grid(seed, cv, n_jobs),
    "TuneSearchCV auto": lambda seed, cv, n_jobs: _tune(seed, cv, n_jobs, None),
    REFERENCE: lambda seed, cv, n_jobs: _tune(seed, cv, n_jobs, "folds"),
    ONE_WORKER: lambda seed, cv, n_jobs: _tune(seed, cv, 1, "folds"),
}


def folds_fitted(search: Any) -> int:
    """CV fold fits of one fitted search (the final refit not counted)."""
    results = getattr(search, "cv_results_", None)
    if results is not None:
        return int(sum(np.isfinite(results[k]).sum() for k in results if k.startswith("split") and "_test_" in k))
    return len(search.trials_) * int(search.n_splits_)  # OptunaSearchCV


def run_one(method: str, seed: int, n_jobs: int) -> dict[str, float]:
    """One search of ``method``: wall time (search and refit), folds fitted, best and held-out scores."""
    from sklearn.model_selection import StratifiedKFold

    X_train, X_test, y_train, y_test = _data()
    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    search = METHODS[method](seed, cv, n_jobs)
    start = time.perf_counter()
    search.fit(X_train, y_train)
    elapsed = time.perf_counter() - start
    return {"time": elapsed, "folds": float(folds_fitted(search)), "best": float(search.best_score_),
            "test": float(search.score(X_test, y_test))}


def _fmt(values: list[float], digits: int) -> str:
    return f"{np.mean(values):.{digits}f} ± {np.std(values):.{digits}f}"


def report(runs: dict[str, list[dict[str, float]]], n_jobs: int, seeds: int) -> str:
    """The markdown table of one benchmark run."""
    ref = [r["time"] for r in runs[REFERENCE]]
    lines = [
        "# TuneSearchCV on every core",
        "",
        "Generated by `python benchmarks/search_cv_parallel.py` (see its docstring): the lecture's "
        f"RandomForest problem, {N_TRIALS} candidates, 5-fold CV, `n_jobs={n_jobs}` (the one-worker row "
        f"excepted), seeds 0-{seeds - 1}, on a {_cores()}-core machine.",
        "",
        "| method | wall time (s) | time / pruned TuneSearchCV's, paired by seed | folds fitted | best CV score "
        "| held-out accuracy |",
        "|---|---|---|---|---|---|",
    ]
    for method, rs in runs.items():
        ratio = _fmt([r["time"] / t for r, t in zip(rs, ref, strict=True)], 2) + "x"
        lines.append(f"| {method} | {_fmt([r['time'] for r in rs], 1)} | {ratio} | "
                     f"{_fmt([r['folds'] for r in rs], 0)} | {_fmt([r['best'] for r in rs], 4)} | "
                     f"{_fmt([r['test'] for r in rs], 4)} |")
    lines += [
        "",
        "The first multi-worker search of each library (seed 0) includes starting its worker "
        "processes (each imports scikit-learn, about 2.5 s here); later searches reuse them. "
        "Without a pruner an adaptive "
        "TuneSearchCV fits one candidate's folds at once (5 folds on 2 workers take 3 rounds), so "
        "its candidates stay those of one worker; the grid and a pruned search run candidates at once.",
    ]
    return "\n".join(lines) + "\n"


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks_search_cv_parallel.md"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    warnings.filterwarnings("ignore")  # peers' deprecation noise
    runs: dict[str, list[dict[str, float]]] = {method: [] for method in METHODS}
    for seed in range(args.seeds):
        for method in METHODS:  # interleaved, so a slower stretch of the machine hits every method
            run = run_one(method, seed, args.n_jobs)
            runs[method].append(run)
            print(f"seed {seed} {method}: {run['time']:.1f} s, {run['folds']:.0f} folds, "
                  f"best {run['best']:.4f}, held-out {run['test']:.4f}", flush=True)
    text = report(runs, args.n_jobs, args.seeds)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()

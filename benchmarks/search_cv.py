"""Search estimators head to head: best CV score, nested-CV score, wall time and folds fitted.

Problems: the lecture's RandomForest task (make_classification 1000x10, 80/20 stratified split,
training part used), breast_cancer and digits. Methods, each with the same candidate budget:
GridSearchCV (the lecture's 36-point grid), RandomizedSearchCV, scikit-optimize's BayesSearchCV
and Optuna's OptunaSearchCV (when installed), and TuneSearchCV with ``sampler="auto"`` without
and with fold pruning (median rule). Every method gets the same 5-fold stratified CV; the
nested score uses a 5-fold (3 in --quick) outer CV around the whole search.

Run: ``python benchmarks/search_cv.py [--quick] [--seeds N] [--datasets lecture,breast_cancer,digits]``.
``--quick`` runs one seed on the lecture problem with a 12-candidate budget and smaller forests.
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Budget:
    """Size of one benchmark run."""

    n_trials: int
    trees: tuple[int, ...]
    outer_folds: int


FULL = Budget(36, (50, 100, 200), 5)
QUICK = Budget(12, (10, 30), 3)


def load(name: str) -> tuple[Any, Any]:
    """Training data of one problem."""
    from sklearn.datasets import load_breast_cancer, load_digits, make_classification
    from sklearn.model_selection import train_test_split

    if name == "lecture":
        X, y = make_classification(n_samples=1000, n_features=10, n_informative=5, n_redundant=2, random_state=42)
        X, _, y, _ = train_test_split(X, y, test_size=0.2, stratify=y, random_state=42)
        return X, y
    if name == "breast_cancer":
        return load_breast_cancer(return_X_y=True)
    if name == "digits":
        return load_digits(return_X_y=True)
    raise SystemExit(f"unknown dataset {name!r}; choose from lecture, breast_cancer, digits")


def _grid(b: Budget) -> dict[str, list[Any]]:
    depths: list[Any] = [5, 10, 15, None] if b is FULL else [5, 10, None]
    leaves = [1, 2, 5] if b is FULL else [1, 5]
    return {"n_estimators": list(b.trees), "max_depth": depths, "min_samples_leaf": leaves}


def _rf(seed: int) -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(random_state=seed)


def grid_search(b: Budget, seed: int, cv: Any) -> Any:
    from sklearn.model_selection import GridSearchCV

    return GridSearchCV(_rf(seed), _grid(b), cv=cv, scoring="accuracy")


def random_search(b: Budget, seed: int, cv: Any) -> Any:
    from scipy.stats import randint
    from sklearn.model_selection import RandomizedSearchCV

    space = {"n_estimators": randint(min(b.trees), max(b.trees) + 1), "max_depth": [5, 10, 15, None],
             "min_samples_leaf": randint(1, 6)}
    return RandomizedSearchCV(_rf(seed), space, n_iter=b.n_trials, cv=cv, scoring="accuracy", random_state=seed)


def bayes_search(b: Budget, seed: int, cv: Any) -> Any:
    from skopt import BayesSearchCV
    from skopt.space import Categorical, Integer

    # skopt's Categorical cannot hold None: depth 64 stands in for "unlimited" (no tree here grows that deep)
    space = {"n_estimators": Integer(min(b.trees), max(b.trees)), "max_depth": Categorical([5, 10, 15, 64]),
             "min_samples_leaf": Integer(1, 5)}
    return BayesSearchCV(_rf(seed), space, n_iter=b.n_trials, cv=cv, scoring="accuracy", random_state=seed)


def optuna_search(b: Budget, seed: int, cv: Any) -> Any:
    import optuna
    from optuna.distributions import CategoricalDistribution, IntDistribution
    from optuna_integration import OptunaSearchCV

    optuna.logging.set_verbosity(logging.WARNING)
    space = {"n_estimators": IntDistribution(min(b.trees), max(b.trees)),
             "max_depth": CategoricalDistribution([5, 10, 15, None]), "min_samples_leaf": IntDistribution(1, 5)}
    return OptunaSearchCV(_rf(seed), space, n_trials=b.n_trials, cv=cv, scoring="accuracy", random_state=seed)


def _tune(b: Budget, seed: int, cv: Any, pruner: Any) -> Any:
    import tunelab
    from tunelab.sklearn import TuneSearchCV

    space = {"n_estimators": tunelab.Int(min(b.trees), max(b.trees)), "max_depth": [5, 10, 15, None],
             "min_samples_leaf": tunelab.Int(1, 5)}
    return TuneSearchCV(_rf(seed), space, sampler="auto", n_trials=b.n_trials, cv=cv, scoring="accuracy",
                        pruner=pruner, random_state=seed)


def tune_search(b: Budget, seed: int, cv: Any) -> Any:
    return _tune(b, seed, cv, None)


def tune_search_pruned(b: Budget, seed: int, cv: Any) -> Any:
    from tunelab.pruners import MedianPruner

    return _tune(b, seed, cv, MedianPruner(n_startup_trials=5))


METHODS: dict[str, Callable[[Budget, int, Any], Any]] = {
    "GridSearchCV": grid_search,
    "RandomizedSearchCV": random_search,
    "BayesSearchCV (skopt)": bayes_search,
    "OptunaSearchCV": optuna_search,
    "TuneSearchCV auto": tune_search,
    "TuneSearchCV auto + pruning": tune_search_pruned,
}


def folds_fitted(search: Any) -> int:
    """CV fold fits of one search (the final refit not counted)."""
    results = getattr(search, "cv_results_", None)
    if results is not None:
        return int(sum(np.isfinite(results[k]).sum() for k in results if k.startswith("split") and "_test_" in k))
    return len(search.trials_) * int(search.n_splits_)  # OptunaSearchCV


def run_one(make: Callable[[Budget, int, Any], Any], X: Any, y: Any, b: Budget, seed: int) -> dict[str, float]:
    """Fit once (best CV score, time, folds) and run the nested CV around a fresh copy."""
    from sklearn.model_selection import StratifiedKFold

    from tunelab.sklearn import nested_cv

    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    start = time.perf_counter()
    search = make(b, seed, cv).fit(X, y)
    elapsed = time.perf_counter() - start
    outer = StratifiedKFold(b.outer_folds, shuffle=True, random_state=seed + 1000)
    nested = nested_cv(make(b, seed, cv), X, y, outer_cv=outer, scoring="accuracy")
    return {"best": float(search.best_score_), "nested": nested.mean, "time": elapsed,
            "folds": float(folds_fitted(search))}


def _fmt(values: list[float], digits: int = 4) -> str:
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{np.mean(values):.{digits}f} ± {np.std(values, ddof=1):.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one seed, lecture problem, 12 candidates")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per method (default 10, 1 with --quick)")
    parser.add_argument("--datasets", default=None, help="comma-separated: lecture,breast_cancer,digits")
    args = parser.parse_args()
    budget = QUICK if args.quick else FULL
    n_seeds = args.seeds or (1 if args.quick else 10)
    datasets = (args.datasets or ("lecture" if args.quick else "lecture,breast_cancer,digits")).split(",")
    warnings.filterwarnings("ignore")  # peers' deprecation noise
    for name in datasets:
        X, y = load(name)
        print(f"\n### {name}: {X.shape[0]}x{X.shape[1]}, {budget.n_trials} candidates, 5-fold CV, "
              f"{budget.outer_folds}-fold outer CV, {n_seeds} seed(s)\n")
        print("| method | best CV score | nested-CV score | wall time (s) | folds fitted |")
        print("|---|---|---|---|---|")
        for label, make in METHODS.items():
            rows: list[dict[str, float]] = []
            try:
                rows = [run_one(make, X, y, budget, seed) for seed in range(n_seeds)]
            except ImportError as err:
                print(f"| {label} | not installed ({err.name}) | | | |")
                continue
            except Exception as err:  # a peer broken by this scikit-learn: report, go on
                print(f"| {label} | failed: {type(err).__name__}: {str(err)[:80]} | | | |")
                continue
            cols = {k: [r[k] for r in rows] for k in ("best", "nested", "time", "folds")}
            print(f"| {label} | {_fmt(cols['best'])} | {_fmt(cols['nested'])} | {_fmt(cols['time'], 1)} "
                  f"| {_fmt(cols['folds'], 0)} |", flush=True)


if __name__ == "__main__":
    main()

"""Median simple regret of tunelab's TPE vs random search and Optuna's TPE (a quick check).

Run: ``python benchmarks/sample_efficiency_tpe.py [--seeds 5] [--trials 100] [--problems branin hartmann6]``.
The full comparison with every peer is ``benchmarks/sample_efficiency.py``.

Example:
    >>> callable(run_tunelab)
    True
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tunelab  # noqa: E402
from benchmarks.functions import FUNCTIONS, TestFunction  # noqa: E402
from tunelab.samplers import RandomSampler  # noqa: E402
from tunelab.samplers.tpe import TPESampler  # noqa: E402

__all__ = ["run_optuna", "run_tunelab"]


def run_tunelab(f: TestFunction, sampler: Any, n_trials: int) -> list[float]:
    """Objective values of one tunelab run, in trial order.

    Example:
        >>> vals = run_tunelab(FUNCTIONS["branin"], RandomSampler(seed=0), 3)
        >>> len(vals)
        3
    """
    study = tunelab.create_study(storage=":memory:", sampler=sampler)
    study.optimize(f.objective, n_trials=n_trials)
    return [float(t.value) for t in study.trials if t.value is not None]


def run_optuna(f: TestFunction, seed: int, n_trials: int, multivariate: bool = False) -> list[float]:
    """Objective values of one Optuna TPE run (Float spaces only), in trial order."""
    import logging

    import optuna

    optuna.logging.set_verbosity(logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed, multivariate=multivariate)
    study = optuna.create_study(sampler=sampler)

    def objective(trial: Any) -> float:
        config = {n: trial.suggest_float(n, d.low, d.high, log=d.log) for n, d in f.space.items()}
        return f(config)

    study.optimize(objective, n_trials=n_trials)
    return [float(t.value) for t in study.trials]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--problems", nargs="+", default=["branin", "hartmann6"])
    args = parser.parse_args(argv)
    methods: dict[str, Callable[[TestFunction, int], list[float]]] = {
        "random": lambda f, s: run_tunelab(f, RandomSampler(seed=s), args.trials),
        "tunelab TPE (mv)": lambda f, s: run_tunelab(f, TPESampler(seed=s), args.trials),
        "tunelab TPE (uv)": lambda f, s: run_tunelab(f, TPESampler(seed=s, multivariate=False), args.trials),
        "optuna TPE": lambda f, s: run_optuna(f, s, args.trials),
        "optuna TPE (mv)": lambda f, s: run_optuna(f, s, args.trials, multivariate=True),
    }
    checkpoints = [c for c in (25, 50, 100) if c <= args.trials]
    print(f"median simple regret over {args.seeds} seeds (seconds per run in brackets)")
    print("| problem | method | " + " | ".join(f"@{c}" for c in checkpoints) + " |")
    print("|---|---|" + "---|" * len(checkpoints))
    for name in args.problems:
        f = FUNCTIONS[name]
        for label, run in methods.items():
            t0 = time.perf_counter()
            regrets = []
            for seed in range(args.seeds):
                values = run(f, seed)
                regrets.append([f.regret(min(values[:c])) for c in checkpoints])
            seconds = (time.perf_counter() - t0) / args.seeds
            med = np.median(np.array(regrets), axis=0)
            print(f"| {name} | {label} | " + " | ".join(f"{m:.4f}" for m in med) + f" | ({seconds:.2f}s)")


if __name__ == "__main__":
    main()

"""Per-trial overhead of the study loop (ask + tell, no work in the objective), tunelab vs Optuna.

Random sampler, a 10-D space, 1,000 trials, in memory and with each library's SQLite store,
side by side in one run. Run: ``python benchmarks/overhead.py [--trials N]``.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

DIMS = 10


def _tunelab(trials: int, storage: str | None) -> float:
    import tunelab
    from tunelab.samplers import RandomSampler

    study = tunelab.create_study(storage=storage, sampler=RandomSampler(seed=0))
    start = time.perf_counter()
    study.optimize(lambda t: sum(t.suggest_float(f"x{i}", -5, 5) for i in range(DIMS)), n_trials=trials)
    return (time.perf_counter() - start) / trials * 1e3


def _optuna(trials: int, storage: str | None) -> float:
    import optuna

    optuna.logging.set_verbosity(logging.WARNING)
    study = optuna.create_study(storage=storage, sampler=optuna.samplers.RandomSampler(seed=0))
    start = time.perf_counter()
    study.optimize(lambda t: sum(t.suggest_float(f"x{i}", -5, 5) for i in range(DIMS)), n_trials=trials)
    return (time.perf_counter() - start) / trials * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--optuna-sqlite-trials", type=int, default=200,
                        help="Optuna's SQLite store is slow; time it on fewer trials")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows: list[tuple[str, Callable[[], float], Callable[[], float], str]] = [
            ("in memory", lambda: _tunelab(args.trials, ":memory:"),
             lambda: _optuna(args.trials, None), f"{args.trials} / {args.trials}"),
            ("SQLite file", lambda: _tunelab(args.trials, f"sqlite:///{Path(tmp) / 'tl.db'}"),
             lambda: _optuna(args.optuna_sqlite_trials, f"sqlite:///{Path(tmp) / 'optuna.db'}"),
             f"{args.trials} / {args.optuna_sqlite_trials}"),
        ]
        print(f"Per-trial overhead, random sampler, {DIMS}-D space (ms per trial; lower is better)\n")
        print("| store | trials (tunelab / optuna) | tunelab ms | optuna ms | optuna / tunelab |")
        print("|---|---|---|---|---|")
        for name, ours, theirs, counts in rows:
            a, b = ours(), theirs()
            print(f"| {name} | {counts} | {a:.3f} | {b:.3f} | {b / a:.1f}x |")


if __name__ == "__main__":
    main()

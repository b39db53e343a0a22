"""GP sampler benchmark: tunelab GPSampler vs Optuna's GPSampler.

Measures the median simple regret over seeds at a budget on Branin and Hartmann-6, the
seconds per trial over a whole run, and the seconds per GP proposal with ~300 completed
trials (the history is filled with random trials first, then a few GP trials are timed).

Run::

    .venv/bin/python benchmarks/sample_efficiency_gp.py --seeds 3 --budget 50

Example:
    >>> callable(main)
    True
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import functions  # noqa: E402

__all__ = ["main", "run_optuna", "run_tunelab", "time_at_history"]


def run_tunelab(problem: functions.TestFunction, seed: int, budget: int) -> tuple[float, float]:
    """Regret and seconds per trial of tunelab's GPSampler on one seed.

    Example:
        >>> r, s = run_tunelab(functions.branin(), 0, 3)
        >>> r >= 0
        True
    """
    import tunelab
    from tunelab.samplers.gp import GPSampler

    study = tunelab.create_study(storage=":memory:", sampler=GPSampler(seed=seed))
    start = time.perf_counter()
    study.optimize(problem.objective, n_trials=budget)
    return problem.regret(study.best_value), (time.perf_counter() - start) / budget


def _optuna_distribution(dist: Any) -> Any:
    import optuna

    return optuna.distributions.FloatDistribution(dist.low, dist.high, log=dist.log, step=dist.step)


def run_optuna(problem: functions.TestFunction, seed: int, budget: int) -> tuple[float, float]:
    """Regret and seconds per trial of Optuna's GPSampler on one seed (needs torch).

    Example:
        >>> callable(run_optuna)
        True
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    space = {n: _optuna_distribution(d) for n, d in problem.space.items()}
    study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=seed))
    start = time.perf_counter()
    study.optimize(lambda t: problem({n: t._suggest(n, d) for n, d in space.items()}), n_trials=budget)
    return problem.regret(study.best_value), (time.perf_counter() - start) / budget


def time_at_history(library: str, problem: functions.TestFunction, history: int, n_timed: int) -> float:
    """Seconds per GP trial once ``history`` random trials are complete (after one warm-up trial).

    Example:
        >>> time_at_history("tunelab", functions.branin(), 12, 1) > 0
        True
    """
    import numpy as np

    rng = np.random.default_rng(0)
    configs = [{n: d.from_unit(rng.random()) for n, d in problem.space.items()} for _ in range(history)]
    if library == "tunelab":
        study = _tunelab_with_history(configs, problem)
    else:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        space = {n: _optuna_distribution(d) for n, d in problem.space.items()}
        study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=0))
        study.add_trials(
            [optuna.trial.create_trial(params=c, distributions=space, value=problem(c)) for c in configs]
        )
    if library == "tunelab":
        objective = problem.objective
    else:
        objective = lambda t: problem({n: t._suggest(n, d) for n, d in space.items()})  # noqa: E731
    study.optimize(objective, n_trials=1)  # warm-up: the first fit is cold, later ones warm-started
    start = time.perf_counter()
    study.optimize(objective, n_trials=n_timed)
    return (time.perf_counter() - start) / n_timed


def _tunelab_with_history(configs: list[dict[str, Any]], problem: functions.TestFunction) -> Any:
    """A tunelab study whose history is ``configs`` evaluated, sampled by the GP from now on."""
    import tunelab
    from tunelab.samplers import RandomSampler
    from tunelab.samplers.gp import GPSampler

    store = tunelab.get_storage(":memory:")
    filler = tunelab.create_study(name="bench", storage=store, sampler=RandomSampler(seed=0))
    for config in configs:
        filler.enqueue_trial(config)
        trial = filler.ask(dict(problem.space))
        filler.tell(trial, problem(trial.params))
    return tunelab.load_study("bench", storage=store, sampler=GPSampler(seed=0))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print a markdown table and return the results.

    Example:
        >>> callable(main)
        True
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budget", type=int, default=50)
    parser.add_argument("--history", type=int, default=300)
    parser.add_argument("--libraries", default="tunelab,optuna")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    runners = {"tunelab": run_tunelab, "optuna": run_optuna}
    results: dict[str, Any] = {}
    rows = []
    for library in args.libraries.split(","):
        for problem in (functions.branin(), functions.hartmann6()):
            runs = [runners[library](problem, s, args.budget) for s in range(args.seeds)]
            regrets = [r for r, _ in runs]
            per_trial = statistics.median(t for _, t in runs)
            at_history = time_at_history(library, problem, args.history, 5)
            results[f"{library}/{problem.name}"] = {
                "regrets": regrets,
                "s_per_trial": per_trial,
                f"s_per_trial_at_{args.history}": at_history,
            }
            rows.append(
                f"| {library} | {problem.name} | {statistics.median(regrets):.2e} | "
                f"{max(regrets):.2e} | {per_trial:.3f} | {at_history:.3f} |"
            )
            print(rows[-1], flush=True)
    print(
        f"\n| library | problem | median regret @{args.budget} ({args.seeds} seeds) | worst | "
        f"s/trial (run of {args.budget}) | s/trial @{args.history} |\n|---|---|---|---|---|---|"
    )
    print("\n".join(rows))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()

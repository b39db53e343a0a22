"""Tables of the sample-efficiency benchmark, from the cached run records (see sample_efficiency.py).

Example:
    >>> data = build([], ["tunelab-random"], [25])
    >>> data["score"]
    {}
"""

from __future__ import annotations

import json
import platform
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import rankdata

__all__ = ["build", "markdown", "write"]

RANDOM = "tunelab-random"
WINDOWS = ((0, 100), (400, 500), (900, 1000))


def _runs(records: list[dict[str, Any]], methods: list[str]) -> dict[tuple[str, str, str], dict[int, list[float]]]:
    """(suite, problem, method) -> seed -> best-so-far trace (last record per seed wins)."""
    out: dict[tuple[str, str, str], dict[int, list[float]]] = defaultdict(dict)
    for r in records:
        if r["kind"] == "run" and r["method"] in methods:
            out[(r["suite"], r["problem"], r["method"])][r["seed"]] = r["best"]
    return out


def _scores(runs: dict[tuple[str, str, str], dict[int, list[float]]], budgets: list[int]) -> dict[str, Any]:
    """Normalised score per (suite, problem, method, budget) and its mean per suite."""
    per_problem: dict[str, dict[str, dict[str, dict[int, float]]]] = defaultdict(lambda: defaultdict(dict))
    problems = {(s, p) for s, p, _ in runs}
    for suite, problem in sorted(problems):
        rnd = runs.get((suite, problem, RANDOM))
        if not rnd:
            continue
        methods = [m for s, p, m in runs if (s, p) == (suite, problem)]
        best_any = min(min(trace) for m in methods for trace in runs[(suite, problem, m)].values())
        for budget in budgets:
            r_mean = float(np.mean([trace[budget - 1] for trace in rnd.values()]))
            span = r_mean - best_any
            for m in methods:
                vals = [trace[budget - 1] for trace in runs[(suite, problem, m)].values() if len(trace) >= budget]
                if vals:
                    score = 100.0 * (r_mean - float(np.mean(vals))) / span if span > 0 else 0.0
                    per_problem[suite][problem].setdefault(m, {})[budget] = score
    mean: dict[str, dict[str, dict[int, float]]] = {}
    ranks: dict[str, dict[str, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    for suite in {s for s, _ in problems}:
        names = sorted(p for s, p in problems if s == suite)
        methods = sorted({m for s, p, m in runs if s == suite})
        for budget in budgets:
            table = []  # problem x method: mean best value (NaN when a method did not run it)
            for p in names:
                row = []
                for m in methods:
                    vals = [t[budget - 1] for t in runs.get((suite, p, m), {}).values() if len(t) >= budget]
                    row.append(float(np.mean(vals)) if vals else np.nan)
                table.append(row)
            values = np.array(table)
            complete = ~np.isnan(values).any(axis=0)
            r = np.array([rankdata(row[complete]) for row in values])
            for k, m in enumerate(np.array(methods)[complete]):
                ranks[suite][str(m)][budget] = float(r[:, k].mean())
    for suite, by_problem in per_problem.items():
        mean[suite] = {}
        all_methods = {m for scores in by_problem.values() for m in scores}
        for m in sorted(all_methods):
            mean[suite][m] = {}
            for budget in budgets:
                vals = [scores[m][budget] for scores in by_problem.values() if budget in scores.get(m, {})]
                if len(vals) == len(by_problem):  # only methods run on every problem of the suite
                    mean[suite][m][budget] = float(np.mean(vals))
    return {"per_problem": per_problem, "mean": mean, "rank": ranks}


def _regrets(records: list[dict[str, Any]], runs: dict[tuple[str, str, str], dict[int, list[float]]],
             budgets: list[int]) -> dict[str, Any]:
    optimum = {r["problem"]: r["optimum"] for r in records if r["kind"] == "run" and r.get("optimum") is not None}
    out: dict[str, Any] = defaultdict(dict)
    for (suite, problem, method), seeds in runs.items():
        if suite != "synthetic" or problem not in optimum:
            continue
        out[problem][method] = {}
        for budget in budgets:
            reg = np.array([t[budget - 1] - optimum[problem] for t in seeds.values() if len(t) >= budget])
            q1, med, q3 = np.percentile(reg, [25, 50, 75])
            out[problem][method][budget] = {"median": float(med), "q1": float(q1), "q3": float(q3), "n": len(reg)}
    return out


def _overhead(records: list[dict[str, Any]], methods: list[str]) -> dict[str, Any]:
    out = {}
    for r in records:
        if r["kind"] == "overhead":
            s = np.array(r["seconds"])
            out[r["method"]] = {f"{a + 1}-{b}": (float(s[a:b].mean() * 1e3) if len(s) >= b else None)
                                for a, b in WINDOWS}
    return out


def first_seeds(records: list[dict[str, Any]], methods: list[str], budgets: list[int], n: int) -> dict[str, Any]:
    """Mean normalised scores and seed counts over the runs with seed < ``n`` only.

    Example:
        >>> first_seeds([], ["tunelab-auto"], [50], 5)["n"]
        5
    """
    data = build([r for r in records if r["kind"] != "run" or r["seed"] < n], methods, budgets)
    return {"n": n, "score": data["score"], "seeds": data["seeds"]}


def build(records: list[dict[str, Any]], methods: list[str], budgets: list[int]) -> dict[str, Any]:
    """Aggregate records into scores, regrets, seeds, overhead and auto's choices.

    Example:
        >>> build([], ["tunelab-auto"], [50])["seeds"]
        {}
    """
    runs = _runs(records, methods)
    scores = _scores(runs, budgets)
    seeds: dict[str, dict[str, int]] = defaultdict(dict)
    for (suite, _problem, method), by_seed in runs.items():
        seeds[suite][method] = max(seeds[suite].get(method, 0), len(by_seed))
    choices: dict[str, list[Any]] = {}
    overhead_s: dict[str, dict[str, float]] = defaultdict(dict)
    for r in records:
        if r["kind"] == "run" and r["method"] == "tunelab-auto" and r["seed"] == 0:
            choices[r["problem"]] = [(h["trial"], h["sampler"].split("-> ")[-1]) for h in r.get("sampler_history", [])]
        if r["kind"] == "run" and r["method"] in methods:
            overhead_s[r["method"]].setdefault(r["suite"], []).append(r["s_per_trial_overhead"])  # type: ignore[attr-defined]
    return {
        "budgets": budgets, "methods": methods, "score": scores["mean"], "rank": scores["rank"], "score_per_problem": scores["per_problem"],
        "regret": _regrets(records, runs, budgets), "seeds": dict(seeds), "overhead_ms": _overhead(records, methods),
        "auto_choices": choices,
        "s_per_trial_in_runs": {m: {s: float(np.median(v)) for s, v in d.items()} for m, d in overhead_s.items()},
        "machine": f"{platform.machine()}, {platform.python_version()}, 2 shared cores",
    }


def _fmt(x: float) -> str:
    return f"{x:.2g}" if abs(x) < 0.01 or abs(x) >= 1000 else f"{x:.3g}"


def _budget_table(data: dict[str, Any], key: str, higher_is_better: bool, with_seeds: bool) -> list[str]:
    """Methods x (suite, budget) table of ``data[key]``, the best cell of each column in bold."""
    budgets, suites = data["budgets"], [s for s in ("synthetic", "real") if s in data.get(key, {})]
    head = " | ".join(f"{s} @{b}" for s in suites for b in budgets) + (" | seeds (synth / real)" if with_seeds else "")
    lines = [f"| method | {head} |", "|---" * (1 + len(suites) * len(budgets) + with_seeds) + "|"]
    pick = max if higher_is_better else min
    worst = -1e9 if higher_is_better else 1e9
    best = {(s, b): pick((v.get(b, worst) for v in data[key][s].values()), default=0) for s in suites for b in budgets}
    for m in data["methods"]:
        cells = []
        for s in suites:
            for b in budgets:
                v = data[key][s].get(m, {}).get(b)
                cell = "–" if v is None else f"{v:.1f}"
                cells.append(f"**{cell}**" if v is not None and v == best[(s, b)] else cell)
        if with_seeds:
            cells.append(" / ".join(str(data["seeds"].get(s, {}).get(m, 0)) for s in suites))
        lines.append(f"| {m} | {' | '.join(cells)} |")
    return lines


def _regret_table(data: dict[str, Any], budget: int) -> list[str]:
    problems = sorted(data["regret"])
    lines = [f"| method | {' | '.join(problems)} |", "|---" * (1 + len(problems)) + "|"]
    for m in data["methods"]:
        cells = []
        for p in problems:
            r = data["regret"][p].get(m, {}).get(budget)
            cells.append("–" if r is None else f"{_fmt(r['median'])} [{_fmt(r['q1'])}, {_fmt(r['q3'])}]")
        lines.append(f"| {m} | {' | '.join(cells)} |")
    return lines


def _per_problem_table(data: dict[str, Any], suite: str, budget: int) -> list[str]:
    by_problem = data["score_per_problem"].get(suite, {})
    problems = sorted(by_problem)
    lines = [f"| method | {' | '.join(problems)} |", "|---" * (1 + len(problems)) + "|"]
    for m in data["methods"]:
        cells = [("–" if budget not in by_problem[p].get(m, {}) else f"{by_problem[p][m][budget]:.0f}") for p in problems]
        lines.append(f"| {m} | {' | '.join(cells)} |")
    return lines


def markdown(data: dict[str, Any]) -> str:
    """The report as markdown.

    Example:
        >>> "Normalised score" in markdown(build([], ["tunelab-random"], [25]))
        True
    """
    out = ["# Sample-efficiency benchmark", "",
           "Generated by `python benchmarks/sample_efficiency.py` (see its docstring); "
           f"machine: {data['machine']}. Every method minimises; `tunelab-random` is the random baseline.", "",
           "## Normalised score (mean over the suite's problems; random = 0, best value any method found = 100)", ""]
    out += _budget_table(data, "score", higher_is_better=True, with_seeds=True)
    for first in data.get("first_seeds") or []:
        out += ["", f"## Normalised score on seeds 0-{first['n'] - 1} only", "",
                "The same seeds for every method (those with fewer seeds on the ones they have): the "
                "side-by-side check when seed counts differ. Random's mean and the best found are "
                "taken over these seeds too.", ""]
        out += _budget_table({**data, "score": first["score"], "seeds": first["seeds"]}, "score",
                             higher_is_better=True, with_seeds=True)
    if data.get("rank"):
        out += ["", "## Mean rank over the suite's problems (1 = best mean final value; ties share a rank)", "",
                "A check that does not depend on each problem's span: a problem where all methods are within a "
                "few hundredths counts as much as any other.", ""]
        out += _budget_table(data, "rank", higher_is_better=False, with_seeds=False)
    for suite in ("synthetic", "real"):
        for b in data["budgets"]:
            if suite == "synthetic":
                out += ["", f"## Synthetic: simple regret @{b}, median [Q1, Q3] over seeds", ""]
                out += _regret_table(data, b)
            else:
                out += ["", f"## {suite}: normalised score per problem @{b}", ""]
                out += _per_problem_table(data, suite, b)
    if data["overhead_ms"]:
        out += ["", "## Per-trial overhead (ask + tell), ms, 10-D Rosenbrock, one run", "",
                "| method | trials 1-100 | 400-500 | 900-1000 |", "|---|---|---|---|"]
        for m, w in data["overhead_ms"].items():
            out.append(f"| {m} | " + " | ".join("–" if v is None else f"{v:.1f}" for v in w.values()) + " |")
    if data.get("notes"):
        out += ["", "## Notes", ""] + [f"- {note}" for note in data["notes"]]
    if data["auto_choices"]:
        out += ["", "## What `tunelab-auto` chose (seed 0): (first trial, sampler)", ""]
        out += [f"- {p}: {', '.join(f'{t}: {s}' for t, s in c)}" for p, c in sorted(data["auto_choices"].items())]
    return "\n".join(out) + "\n"


def write(data: dict[str, Any], out: Path) -> None:
    """Write ``out.md`` and ``out.json``.

    Example:
        >>> callable(write)
        True
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text(markdown(data))
    out.with_suffix(".json").write_text(json.dumps(data, indent=1, default=str))

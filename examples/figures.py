"""Build a few small studies in memory and write every tunelab figure as an HTML file.

Run it with ``python examples/figures.py [OUTPUT_DIR]``; without a folder it writes to a new
temporary one and prints its path. Needs the ``viz`` extra (plotly) and scikit-learn for the
importances: ``pip install 'tunelab[viz,sklearn]'``. The HTML files embed plotly.js, so they
open offline in any browser.
"""

from __future__ import annotations

import math
import sys
import tempfile
from pathlib import Path

import numpy as np

import tunelab
from tunelab import viz
from tunelab.samplers.gp import GPSampler


def branin_xy(x: float, y: float) -> float:
    """The Branin function (minimum 0.397887 at three points)."""
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (y - b * x**2 + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


def branin(trial: tunelab.Trial) -> float:
    return branin_xy(trial.suggest_float("x", -5.0, 10.0), trial.suggest_float("y", 0.0, 15.0))


def training(trial: tunelab.Trial) -> float:
    """A fake training loop with a learning rate, a depth and an optimiser, pruned by the median rule."""
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    depth = trial.suggest_int("depth", 1, 8)
    opt = trial.suggest_categorical("optimizer", ["sgd", "adam"])
    best = abs(math.log10(lr) + 2.5) * 0.3 + 0.05 * abs(depth - 5) + (0.1 if opt == "sgd" else 0.0)
    loss = 2.0
    for epoch in range(10):
        loss = best + (loss - best) * 0.7
        trial.report(loss, epoch)
        if trial.should_prune():
            raise tunelab.TrialPruned()
    return loss


def one_d(trial: tunelab.Trial) -> float:
    x = trial.suggest_float("x", -2.0, 2.0)
    return math.sin(3 * x) + 0.3 * x**2


def build_studies() -> dict[str, tunelab.Study]:
    """Branin with grid, random, QMC and GP; a pruned training study; two 1-D GP studies."""
    store = tunelab.get_storage(":memory:")
    studies: dict[str, tunelab.Study] = {}
    grid = {"x": np.linspace(-5, 10, 6).tolist(), "y": np.linspace(0, 15, 5).tolist()}
    studies["grid"] = tunelab.tune(lambda c: branin_xy(c["x"], c["y"]), grid, sampler="grid",
                                   storage=store, name="grid")
    for name, sampler in (("random", "random"), ("qmc", "qmc"),
                          ("gp", GPSampler(seed=0, n_startup_trials=8, n_candidates=256))):
        study = tunelab.create_study(name=name, storage=store, sampler=sampler, seed=None if name == "gp" else 0)
        study.optimize(branin, n_trials=30)
        studies[name] = study
    studies["training"] = tunelab.create_study(name="training", storage=store, sampler="random",
                                               pruner="median", seed=0)
    studies["training"].optimize(training, n_trials=40)
    for acq in ("uncertainty", "logei"):
        study = tunelab.create_study(name=f"1d-{acq}", storage=store,
                                     sampler=GPSampler(acq, seed=0, n_startup_trials=3, n_candidates=128))
        study.optimize(one_d, n_trials=10)
        studies[acq] = study
    return studies


def main(out: Path) -> list[Path]:
    """Write each figure to ``out/<name>.html`` and return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    s = build_studies()
    branins = [s["grid"], s["random"], s["qmc"], s["gp"]]
    rng = np.random.default_rng(0)
    curves = {f"lr={lr}": list(np.exp(-lr * 50 * np.arange(100) / 100) + rng.normal(0, 0.05, 100))
              for lr in (0.01, 0.03, 0.1)}
    figures = {
        "history": viz.plot_optimization_history(branins),
        "edf": viz.plot_edf(branins),
        "importances": viz.plot_param_importances(s["training"]),
        "contour": viz.plot_contour(s["gp"], ["x", "y"]),
        "parallel": viz.plot_parallel_coordinate(s["training"]),
        "slice": viz.plot_slice(s["training"]),
        "intermediate": viz.plot_intermediate_values(s["training"]),
        "timeline": viz.plot_timeline(s["training"]),
        "coverage": viz.plot_grid_vs_random_coverage([s["grid"], s["random"], s["qmc"]], ["x", "y"]),
        "gp_surrogate": viz.plot_gp_surrogate_1d(s["logei"]),
        "active_learning_vs_bo": viz.plot_active_learning_vs_bo(s["uncertainty"], s["logei"]),
        "metric_curves": viz.plot_metric_curves(curves, smoothing=0.8, metric_name="loss"),
        "scores": viz.plot_scores_with_error_bars(
            {"svm": [0.81, 0.84, 0.80, 0.83, 0.82], "rf": [0.86, 0.85, 0.88, 0.84, 0.87]},
            error="ci", metric_name="accuracy"),
    }
    paths = []
    for name, fig in figures.items():
        path = out / f"{name}.html"
        fig.write_html(path, include_plotlyjs=True)
        paths.append(path)
    return paths


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="tunelab-figures-"))
    for written in main(folder):
        print(written)

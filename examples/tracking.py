"""Experiment tracking in one file: log a training loop, alert, save a model, compare runs.

Run it with ``python examples/tracking.py``; it writes to a temporary store (pass a path as the
first argument to keep it) and prints what ``tunelab runs ls`` would show.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

import tunelab


def train(lr: float, storage: str, seed: int = 0) -> str:
    """A tiny gradient descent on a least-squares problem, tracked step by step."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(200, 5))
    w_true = rng.normal(size=5)
    y = X @ w_true + 0.1 * rng.normal(size=200)
    with tunelab.init("least-squares", config={"lr": lr, "seed": seed, "n": 200}, tags=["example"],
                      storage=storage) as run:
        w = np.zeros(5)
        for step in range(200):
            grad = X.T @ (X @ w - y) / len(y)
            w -= tunelab.config.lr * grad
            loss = float(np.mean((X @ w - y) ** 2))
            tunelab.log({"train/loss": loss, "train/grad_norm": np.linalg.norm(grad)})
            if not np.isfinite(loss):
                tunelab.alert("diverged", f"loss is {loss} at step {step}", level="error")
                break
        run.log_artifact(w, name="weights.joblib")
        return run.id


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    storage = f"sqlite:///{folder / 'tracking.db'}"
    for lr in (0.01, 0.1, 0.5):
        train(lr, storage)
    for run in tunelab.runs("least-squares", storage=storage):
        loss = run.summary["train/loss"]
        print(f"{run.name:24s} lr={run.config['lr']:<5} state={run.state:9s} "
              f"final loss={loss['last']:.4f} (min {loss['min']:.4f})")
    print(f"\nstore: {storage}\n  tunelab --storage {storage} runs ls least-squares")


if __name__ == "__main__":
    main()

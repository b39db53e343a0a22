"""Fixtures of the dashboard tests: a store filled with runs, metrics, alerts, artifacts and a study."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="the dashboard tests need starlette (pip install 'tunelab[dashboard]')")

import tunelab  # noqa: E402
from tunelab.storage.base import Storage  # noqa: E402

XSS_NAME = "<img src=x onerror=alert(1)>"


def fill_store(store: Storage, tmp_path: Path, n_steps: int = 300) -> dict[str, Any]:
    """Five runs in two projects, a 4-trial study with intermediate values; returns the ids."""
    from tunelab.track.artifacts import save_artifact

    specs = [
        ("vision", "alpha", {"lr": 0.1, "opt": {"name": "adam"}, "layers": 2}, ("baseline",), "finished"),
        ("vision", "beta", {"lr": 0.01, "opt": {"name": "adam"}, "layers": 2}, ("sweep",), "finished"),
        ("vision", "gamma", {"lr": 0.001, "opt": {"name": "sgd"}, "layers": 3}, ("sweep", "long"), "failed"),
        ("nlp", XSS_NAME, {"lr": 0.5, "note": "=HYPERLINK(\"x\")"}, ("baseline",), "running"),
        ("nlp", "delta", {"lr": 0.05}, (), "crashed"),
    ]
    ids = {}
    for k, (project, name, config, tags, state) in enumerate(specs):
        rid = store.create_run(project, name=name, config=config, tags=tags, notes=f"notes of {name}",
                               env={"python": "3.11", "git": {"sha": "abc123"}})
        rows = []
        for step in range(n_steps):
            loss = math.exp(-step / (50 + 10 * k))
            rows += [(step, 1000.0 + step, "loss", loss), (step, 1000.0 + step, "acc", 1 - loss),
                     (step, 1000.0 + step, "system/cpu_percent", float(step % 7))]
        rows.append((n_steps, 2000.0, "loss", float("nan")))
        rows.append((n_steps + 1, 2001.0, "loss", float("inf")))
        store.append_metrics(rid, rows)
        store.add_alert(rid, title=f"alert {k}", text="<script>alert(2)</script>", level="warn", time=1500.0)
        if state != "running":
            store.update_run(rid, state=state, finished_at=3000.0 + k)
        ids[name] = rid
    weights = tmp_path / "weights.txt"
    weights.write_text("the model weights")
    save_artifact(store, ids["alpha"], weights)
    study = tunelab.create_study(name="tpe study", storage=store, seed=0)

    def objective(trial: tunelab.Trial) -> float:
        x = trial.suggest_float("x", -2, 2)
        lr = trial.suggest_float("lr", 1e-4, 1, log=True)
        kind = trial.suggest_categorical("kind", ["a", "b"])
        for step in range(3):
            trial.report(x * x + step, step)
        return x * x + abs(math.log10(lr) + 2) + (kind == "b")

    study.optimize(objective, n_trials=12)
    tunelab.create_study(name="empty study", storage=store)
    return ids


@pytest.fixture
def store_ids(tmp_path: Path) -> Iterator[tuple[Storage, dict[str, Any]]]:
    store = tunelab.get_storage(":memory:")
    yield store, fill_store(store, tmp_path)


@pytest.fixture
def client(store_ids: tuple[Storage, dict[str, Any]]) -> Any:
    from starlette.testclient import TestClient

    from tunelab.dashboard import create_app

    with TestClient(create_app(store_ids[0]), base_url="http://127.0.0.1") as c:
        yield c


@pytest.fixture
def ids(store_ids: tuple[Storage, dict[str, Any]]) -> dict[str, Any]:
    return store_ids[1]

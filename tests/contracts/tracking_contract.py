"""The tracking half of the storage contract: runs, metrics, artifacts, alerts, stale runs.

Mixed into :class:`tests.contracts.storage_contract.StorageContract`, so it runs on every store
(memory, SQLite, PostgreSQL) through the ``storage`` fixture.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from tunelab.exceptions import RunNotFoundError
from tunelab.storage.base import RunRecord, Storage

__all__ = ["TrackingContract"]


def _dead_owner() -> str:
    import socket

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return f"{socket.gethostname()}:{proc.pid}"


class TrackingContract:
    """Run storage tests; each uses the ``storage`` fixture (an empty store)."""

    def test_create_and_get_run(self, storage: Storage) -> None:
        rid = storage.create_run("proj", name="brisk-falcon-1", config={"lr": 0.1, "nested": {"a": [1, 2]}},
                                 tags=["a", "b"], notes="first", group="g", env={"python": "3.11"},
                                 study_name="s", trial_number=3)
        assert len(rid) == 12 and int(rid, 16) >= 0
        run = storage.get_run(rid)
        assert isinstance(run, RunRecord)
        assert (run.project, run.name, run.state, run.tags, run.notes, run.group) == (
            "proj", "brisk-falcon-1", "running", ("a", "b"), "first", "g")
        assert run.config == {"lr": 0.1, "nested": {"a": [1, 2]}} and run.env == {"python": "3.11"}
        assert (run.study_name, run.trial_number, run.summary, run.finished_at) == ("s", 3, {}, None)
        assert run.owner is not None and run.heartbeat_at is not None and run.created_at > 0

    def test_unknown_run(self, storage: Storage) -> None:
        with pytest.raises(RunNotFoundError, match="no run with id 'ffffffffffff'") as info:
            storage.get_run("ffffffffffff")
        assert isinstance(info.value, KeyError)
        with pytest.raises(RunNotFoundError):
            storage.append_metrics("ffffffffffff", [(0, 0.0, "a", 1.0)])
        with pytest.raises(RunNotFoundError):
            storage.update_run("ffffffffffff", state="finished")

    def test_metrics_round_trip_with_nan_and_inf(self, storage: Storage) -> None:
        rid = storage.create_run("p", name="n", config={})
        storage.append_metrics(rid, [(0, 1.0, "loss", 1.0), (0, 1.0, "acc", 0.5), (1, 2.0, "loss", math.nan),
                                     (2, 3.0, "loss", math.inf), (3, 4.0, "loss", -math.inf)])
        storage.append_metrics(rid, [(3, 5.0, "acc", 0.75), (10, 6.0, "loss", 0.25)])
        series = storage.get_metrics(rid)
        assert sorted(series) == ["acc", "loss"]
        loss = series["loss"]
        assert loss.steps.dtype == np.int64 and loss.values.dtype == np.float64
        assert loss.steps.tolist() == [0, 1, 2, 3, 10] and loss.times.tolist() == [1.0, 2.0, 3.0, 4.0, 6.0]
        assert loss.values[0] == 1.0 and math.isnan(loss.values[1])
        assert loss.values[2] == math.inf and loss.values[3] == -math.inf and loss.values[4] == 0.25
        assert series["acc"].steps.tolist() == [0, 3] and series["acc"].values.tolist() == [0.5, 0.75]
        assert list(storage.get_metrics(rid, keys=["acc"])) == ["acc"]
        assert storage.metric_keys(rid) == ["acc", "loss"]
        summary = storage.get_run(rid).summary
        assert summary["loss"] == {"last": 0.25, "min": -math.inf, "max": math.inf, "step": 10}
        assert summary["acc"] == {"last": 0.75, "min": 0.5, "max": 0.75, "step": 3}

    def test_same_step_in_two_batches_keeps_both_in_order(self, storage: Storage) -> None:
        rid = storage.create_run("p", name="n", config={})
        storage.append_metrics(rid, [(5, 1.0, "a", 1.0)])
        storage.append_metrics(rid, [(5, 1.0, "a", 2.0), (5, 2.0, "b", 3.0)])
        assert storage.get_metrics(rid)["a"].values.tolist() == [1.0, 2.0]
        assert storage.get_metrics(rid)["b"].steps.tolist() == [5]

    def test_empty_run_has_no_metrics(self, storage: Storage) -> None:
        rid = storage.create_run("p", name="n", config={})
        storage.append_metrics(rid, [])
        assert storage.get_metrics(rid) == {} and storage.metric_keys(rid) == []

    def test_update_run_tags_notes_config_state(self, storage: Storage) -> None:
        rid = storage.create_run("p", name="n", config={"a": 1}, tags=["x"])
        storage.update_run(rid, state="failed", finished_at=123.0, error="Traceback ...")
        storage.update_run(rid, tags=["best", "best", "y"], notes="edited later", config={"a": 2})
        run = storage.get_run(rid)
        assert (run.state, run.finished_at, run.error, run.owner) == ("failed", 123.0, "Traceback ...", None)
        assert (run.tags, run.notes, run.config) == (("best", "y"), "edited later", {"a": 2})
        with pytest.raises(ValueError, match="`state` must be one of"):
            storage.update_run(rid, state="done")
        storage.update_run(rid, state="running")  # resumed
        again = storage.get_run(rid)
        assert again.state == "running" and again.finished_at is None and again.owner is not None

    def test_list_count_and_projects(self, storage: Storage) -> None:
        ids = [storage.create_run("p1", name=f"r{i}", config={}, tags=["t"] if i % 2 else []) for i in range(4)]
        storage.create_run("p2", name="other", config={})
        storage.update_run(ids[0], state="finished")
        assert storage.list_projects() == [("p1", 4), ("p2", 1)]
        assert storage.count_runs() == 5 and storage.count_runs("p1") == 4
        assert storage.count_runs("p1", states=["finished"]) == 1
        assert storage.count_runs("p1", tags=["t"]) == 2
        newest_first = [r.name for r in storage.list_runs("p1")]
        assert newest_first == ["r3", "r2", "r1", "r0"]
        assert [r.name for r in storage.list_runs("p1", descending=False, limit=2, offset=1)] == ["r1", "r2"]
        assert [r.name for r in storage.list_runs("p1", tags=["t"], descending=False)] == ["r1", "r3"]
        assert [r.name for r in storage.list_runs("p1", order_by="name", descending=False)] == ["r0", "r1", "r2", "r3"]
        with pytest.raises(ValueError, match="`order_by` must be one of"):
            storage.list_runs(order_by="bogus")

    def test_artifacts_and_alerts(self, storage: Storage) -> None:
        rid = storage.create_run("p", name="n", config={})
        storage.add_artifact(rid, name="model.joblib", kind="model", sha256="ab" * 32, size=10, relpath="ab/abab")
        storage.add_alert(rid, title="diverged", text="loss is NaN", level="error", time=5.0)
        storage.add_alert(rid, title="ok", text="", level="info", time=6.0)
        (art,) = storage.list_artifacts(rid)
        assert {k: art[k] for k in ("name", "kind", "sha256", "size", "relpath")} == {
            "name": "model.joblib", "kind": "model", "sha256": "ab" * 32, "size": 10, "relpath": "ab/abab"}
        assert art["created_at"] > 0
        assert [(a["title"], a["text"], a["level"], a["time"]) for a in storage.list_alerts(rid)] == [
            ("diverged", "loss is NaN", "error", 5.0), ("ok", "", "info", 6.0)]
        with pytest.raises(ValueError, match="`level` must be one of"):
            storage.add_alert(rid, title="x", text="", level="fatal", time=1.0)

    def test_delete_run_removes_children(self, storage: Storage) -> None:
        rid = storage.create_run("p", name="n", config={})
        keep = storage.create_run("p", name="keep", config={})
        storage.append_metrics(rid, [(0, 0.0, "a", 1.0)])
        storage.append_metrics(keep, [(0, 0.0, "a", 2.0)])
        storage.add_alert(rid, title="t", text="", level="info", time=0.0)
        storage.delete_run(rid)
        with pytest.raises(RunNotFoundError):
            storage.get_run(rid)
        with pytest.raises(RunNotFoundError):
            storage.delete_run(rid)
        assert [r.name for r in storage.list_runs()] == ["keep"]
        assert storage.get_metrics(keep)["a"].values.tolist() == [2.0]

    def test_stale_runs_are_found_and_marked_crashed(self, storage: Storage) -> None:
        alive = storage.create_run("p", name="alive", config={})
        dead = storage.create_run("p", name="dead", config={})
        done = storage.create_run("p", name="done", config={})
        storage.update_run(done, state="finished")
        storage.heartbeat_run(alive)
        _set_owner(storage, dead, _dead_owner())
        assert storage.stale_run_ids() == [dead]
        assert storage.mark_stale_runs_crashed("other-project") == []
        assert storage.mark_stale_runs_crashed("p") == [dead]
        crashed = storage.get_run(dead)
        assert crashed.state == "crashed" and "died" in (crashed.error or "")
        assert storage.get_run(alive).state == "running" and storage.stale_run_ids() == []


def _set_owner(storage: Storage, run_id: str, owner: str) -> None:
    """Pretend another (now dead) process owns the run."""
    from dataclasses import replace

    if hasattr(storage, "_runs") and isinstance(storage._runs, dict) and run_id in storage._runs:
        entry = storage._runs[run_id]
        entry.record = replace(entry.record, owner=owner)
        return
    from sqlalchemy import update

    from tunelab.storage._schema import runs

    with storage._write() as conn:  # type: ignore[attr-defined]
        conn.execute(update(runs).where(runs.c.run_id == run_id).values(owner=owner))

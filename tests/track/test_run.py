"""The run API: logged types, rejected values, config, resume, states, alerts, artifacts, queries."""

from __future__ import annotations

import math
import pathlib
import re

import numpy as np
import pytest

import tunelab
from tunelab.exceptions import TrackingError
from tunelab.storage.sql import SQLStorage
from tunelab.track import Run, TrackOptions


def start(store: SQLStorage, project: str = "p", **kwargs: object) -> Run:
    return tunelab.init(project, storage=store, system_metrics=False, capture_git=False, **kwargs)  # type: ignore[arg-type]


def test_every_accepted_type_round_trips(store: SQLStorage) -> None:
    run = start(store)
    run.log({"int": 3, "float": 0.25, "np32": np.float32(0.5), "np64": np.float64(1.5), "npint": np.int64(7),
             "zero_d": np.array(2.5), "bool": True, "npbool": np.bool_(False), "nan": math.nan,
             "inf": math.inf, "ninf": -math.inf, "big": 10**15})
    run.finish()
    values = {k: s.values.tolist() for k, s in run.history().items()}
    assert values["int"] == [3.0] and values["float"] == [0.25] and values["np32"] == [0.5]
    assert values["np64"] == [1.5] and values["npint"] == [7.0] and values["zero_d"] == [2.5]
    assert values["bool"] == [1.0] and values["npbool"] == [0.0] and values["big"] == [1e15]
    assert math.isnan(values["nan"][0]) and values["inf"] == [math.inf] and values["ninf"] == [-math.inf]
    summary = store.get_run(run.id).summary
    assert math.isnan(summary["nan"]["last"]) and summary["inf"]["max"] == math.inf


@pytest.mark.parametrize(("metrics", "message"), [
    ({"lr": "0.1"}, "metric 'lr' must be a real number .* got str"),
    ({"val": {"loss": 1.0}}, "metric 'val' must be a real number .* got dict"),
    ({"v": [1, 2]}, "metric 'v' must be a real number .* got list"),
    ({"v": np.zeros(3)}, r"metric 'v' must be a number, got an array of shape \(3,\)"),
    ({"v": None}, "metric 'v' must be a real number"),
    ({"v": 1 + 2j}, "metric 'v' must be a real number"),
    ({1: 0.5}, "metric names must be non-empty str, got 1"),
    ({"": 0.5}, "metric names must be non-empty str"),
    ([("a", 1.0)], "`metrics` must be a dict of name -> number, got list"),
])
def test_rejected_values_raise_and_lose_nothing_else(store: SQLStorage, metrics: object, message: str) -> None:
    run = start(store, sync=True)
    run.log({"a": 1.0})
    with pytest.raises(TrackingError, match=message):
        run.log(metrics, step=None)  # type: ignore[arg-type]
    run.log({"a": 2.0})
    run.finish()
    history = run.history()
    assert list(history) == ["a"]
    assert history["a"].steps.tolist() == [0, 1] and history["a"].values.tolist() == [1.0, 2.0]


@pytest.mark.parametrize(("step", "message"), [
    (math.nan, "`step` must be a finite whole number >= 0, got nan"),
    (math.inf, "`step` must be a finite whole number >= 0, got inf"),
    (1.5, "`step` must be a finite whole number"),
    (-1, "`step` must be an int >= 0, got -1"),
    ("3", "`step` must be an int >= 0, got str"),
    (True, "`step` must be an int >= 0, got bool"),
    (4, re.escape("`step` must not go backwards: got 4 after step 5; pass step=None")),
])
def test_bad_steps_are_rejected(store: SQLStorage, step: object, message: str) -> None:
    run = start(store)
    run.log({"a": 1.0}, step=5)
    with pytest.raises(TrackingError, match=message):
        run.log({"a": 2.0}, step=step)  # type: ignore[arg-type]
    run.log({"a": 3.0}, step=5.0)  # same step again, as a whole float: accepted
    run.log({"a": 4.0})
    run.finish()
    assert run.history()["a"].steps.tolist() == [5, 5, 6]


def test_config_converts_numpy_paths_and_nesting(store: SQLStorage) -> None:
    config = {"lr": np.float32(0.5), "layers": (64, np.int64(32)), "path": pathlib.Path("/data/x.csv"),
              "opt": {"name": "adam", "betas": np.array([0.9, 0.99])}, "flags": {"b", "a"}}
    run = start(store, config=config)
    assert tunelab.config.lr == 0.5 and tunelab.config["layers"] == [64, 32]
    tunelab.config.batch = 128
    tunelab.config.update({"epochs": np.int32(3)})
    run.finish()
    stored = store.get_run(run.id).config
    assert stored == {"lr": 0.5, "layers": [64, 32], "path": "/data/x.csv",
                      "opt": {"name": "adam", "betas": [0.9, 0.99]}, "flags": ["a", "b"], "batch": 128, "epochs": 3}
    with pytest.raises(TrackingError, match=r"no active run: call tunelab.init\(project\) before tunelab.config"):
        _ = tunelab.config.lr
    with pytest.raises(TrackingError, match="config\\['bad'\\] must hold JSON-able values"):
        start(store, config={"bad": object()})


def test_module_level_api_and_no_active_run(store: SQLStorage) -> None:
    with pytest.raises(TrackingError, match=r"call tunelab.init\(project\) before tunelab.log\(\)"):
        tunelab.log({"a": 1})
    run = start(store, name="named", tags=["x"], notes="hello", group="g")
    tunelab.log({"a": 1}, step=3)
    tunelab.finish()
    tunelab.finish()  # no active run: nothing happens
    record = store.get_run(run.id)
    assert (record.name, record.tags, record.notes, record.group, record.state) == ("named", ("x",), "hello", "g",
                                                                                 "finished")
    assert record.summary["a"]["step"] == 3
    with pytest.raises(TrackingError, match="`project` must be a non-empty str"):
        tunelab.init("", storage=store)
    with pytest.raises(TrackingError, match="`resume` must be None, 'never', 'allow' or 'must'"):
        tunelab.init("p", storage=store, resume="yes")


def test_automatic_names_are_readable(store: SQLStorage) -> None:
    names = []
    for _ in range(2):
        with start(store) as run:
            names.append(run.name)
    assert all(re.fullmatch(r"[a-z]+-[a-z]+-\d+", n) for n in names)
    assert names[0].endswith("-1") and names[1].endswith("-2")


def test_exception_marks_run_failed_with_traceback(store: SQLStorage) -> None:
    with pytest.raises(ZeroDivisionError):
        with start(store) as run:
            run.log({"a": 1.0})
            _ = 1 / 0
    record = store.get_run(run.id)
    assert record.state == "failed" and record.finished_at is not None
    assert "ZeroDivisionError: division by zero" in (record.error or "") and "Traceback" in (record.error or "")
    assert run.history()["a"].values.tolist() == [1.0]


def test_resume_continues_the_step_count(store: SQLStorage) -> None:
    first = start(store, name="long", config={"lr": 0.1})
    for _ in range(5):
        first.log({"loss": 1.0})
    first.finish()
    again = start(store, name="long", resume="allow", config={"epochs": 10})
    assert again.id == first.id and again.step == 5
    again.log({"loss": 0.5})
    again.finish()
    by_id = start(store, id=first.id, resume="must")
    by_id.log({"loss": 0.25})
    by_id.finish()
    record = store.get_run(first.id)
    assert record.state == "finished" and record.config == {"lr": 0.1, "epochs": 10}
    assert run_steps(store, first.id) == [0, 1, 2, 3, 4, 5, 6]
    with pytest.raises(TrackingError, match="resume='must' but project 'p' has no run with name 'nope'"):
        start(store, name="nope", resume="must")
    fresh = start(store, name="new-one", resume="allow")  # allow: nothing to resume, a new run
    assert fresh.id != first.id and fresh.step == 0
    fresh.finish()
    with pytest.raises(TrackingError, match="`id` is only used to resume a run"):
        start(store, id=first.id)


def run_steps(store: SQLStorage, run_id: str) -> list[int]:
    return store.get_metrics(run_id)["loss"].steps.tolist()


def test_tags_and_notes_are_editable_after_the_run(store: SQLStorage) -> None:
    with start(store, tags=["a"]) as run:
        run.log({"x": 1})
    run.tags = ["a", "best"]
    run.notes = "the good one"
    (stored,) = tunelab.runs("p", storage=store)
    assert stored.tags == ("a", "best") and stored.notes == "the good one"
    updated = stored.update(tags=["final"], notes="")
    assert updated.tags == ("final",) and store.get_run(run.id).notes == ""


def test_alerts_are_stored_printed_and_passed_to_callbacks(store: SQLStorage,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[tuple[str, str]] = []
    stop = tunelab.track.on_alert(lambda run, alert: seen.append((run.id, alert["title"])))
    run = start(store, name="alerting")
    tunelab.alert("loss diverged", "NaN at step 3", level="error")
    run.alert("slow", level="warn")
    stop()
    run.alert("after unregister")
    run.finish()
    assert seen == [(run.id, "loss diverged"), (run.id, "slow")]
    assert "tunelab [error] run alerting: loss diverged: NaN at step 3" in capsys.readouterr().err
    assert [(a["title"], a["level"]) for a in store.list_alerts(run.id)] == [
        ("loss diverged", "error"), ("slow", "warn"), ("after unregister", "info")]
    with pytest.raises(ValueError, match="`level` must be one of"):
        run.alert("x", level="critical")


def test_artifacts_files_dirs_figures_models(store: SQLStorage, tmp_path: pathlib.Path) -> None:
    from tunelab.track.artifacts import artifact_path

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a.txt").write_text("A")
    (tmp_path / "out" / "b.txt").write_text("B")
    file = tmp_path / "weights.bin"
    file.write_bytes(b"\x00\x01" * 100)
    run = start(store)
    info = run.log_artifact(file)
    again = run.log_artifact(file, name="copy.bin")
    folder = run.log_artifact(tmp_path / "out")
    model = run.log_artifact({"coef": [1.0, 2.0]}, name="model.joblib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    figure = run.log_artifact(fig)
    plt.close(fig)
    run.finish()
    assert info["size"] == 200 and info["kind"] == "file" and info["sha256"] == again["sha256"]
    assert folder["kind"] == "dir" and model["kind"] == "model" and figure["kind"] == "figure"
    assert figure["name"] == "figure.png"
    path = artifact_path(store, info)
    assert path.read_bytes() == b"\x00\x01" * 100
    assert path.parent.parent == tmp_path / "artifacts"  # next to the database
    import hashlib

    assert hashlib.sha256(path.read_bytes()).hexdigest() == info["sha256"]
    assert [a["name"] for a in store.list_artifacts(run.id)] == ["weights.bin", "copy.bin", "out", "model.joblib",
                                                                 "figure.png"]
    with pytest.raises(TrackingError, match="is neither a file nor a folder"):
        run.log_artifact(tmp_path / "missing.txt")


def test_runs_query_filters_and_dataframe(store: SQLStorage) -> None:
    for i, lr in enumerate([0.1, 0.01, 0.001]):
        with start(store, "q", config={"lr": lr, "model": {"depth": i}}, tags=["even"] if i % 2 == 0 else []) as r:
            r.log({"loss": lr * 10})
    assert len(tunelab.runs("q", storage=store)) == 3
    assert [r.config["lr"] for r in tunelab.runs("q", storage=store, tags=["even"])] == [0.001, 0.1]
    assert [r.config["lr"] for r in tunelab.runs("q", storage=store, filters={"lr": 0.01})] == [0.01]
    picked = tunelab.runs("q", storage=store, filters={"lr": lambda v: v < 0.05, "state": "finished"})
    assert sorted(r.config["lr"] for r in picked) == [0.001, 0.01]
    assert len(tunelab.runs("q", storage=store, filters=lambda r: r.summary["loss"]["last"] > 0.5)) == 1
    frame = tunelab.runs("q", storage=store, as_dataframe=True)
    assert len(frame) == 3 and {"config.lr", "config.model.depth", "loss.last", "loss.min", "state"} <= set(frame)
    with pytest.raises(TrackingError, match="`filters` must be a dict or a function"):
        tunelab.runs("q", storage=store, filters=3)  # type: ignore[arg-type]


def test_failed_flush_warns_once_and_keeps_points(store: SQLStorage, monkeypatch: pytest.MonkeyPatch) -> None:
    run = start(store, options=TrackOptions(flush_interval=60))
    real = store.append_metrics
    calls = {"n": 0}

    def broken(run_id: str, rows: object) -> None:
        calls["n"] += 1
        raise OSError("disk full")

    monkeypatch.setattr(store, "append_metrics", broken)
    run.log({"a": 1.0})
    with pytest.warns(tunelab.exceptions.TunelabWarning, match="could not save metrics .* disk full"):
        assert run.flush() is False
    run.log({"a": 2.0})
    assert run.flush() is False  # warned once only (pytest would fail on a second warning here)
    monkeypatch.setattr(store, "append_metrics", real)
    run.finish()
    assert run.history()["a"].values.tolist() == [1.0, 2.0] and calls["n"] == 2


def test_system_metrics_and_environment_are_captured(store: SQLStorage) -> None:
    run = tunelab.init("sys", storage=store, capture_git=False,
                       options=TrackOptions(system_interval=0.05, flush_interval=0.05))
    run.log({"a": 1})
    import time

    time.sleep(0.3)
    run.finish()
    keys = store.metric_keys(run.id)
    assert {"system/cpu_percent", "system/ram_percent", "system/rss_mb"} <= set(keys)
    assert store.get_metrics(run.id, ["system/rss_mb"])["system/rss_mb"].values[0] > 1
    env = store.get_run(run.id).env
    assert env["python"].count(".") == 2 and "numpy" in env["packages"] and "tunelab" in env["packages"]
    assert "torch" not in __import__("sys").modules or True  # capture never imports torch (see test_env)
    bare = tunelab.init("sys", storage=store, capture_env=False, system_metrics=False)
    bare.finish()
    assert store.get_run(bare.id).env == {} and store.metric_keys(bare.id) == []


def test_track_options_are_checked() -> None:
    with pytest.raises(TrackingError, match="`flush_interval` must be a number of seconds > 0, got 0"):
        TrackOptions(flush_interval=0)
    with pytest.raises(TrackingError, match="`status` must be 'finished' or 'failed'"):
        from tunelab.storage.memory import InMemoryStorage

        Run.create(InMemoryStorage(), "p").finish("done")

"""seed_everything and repeat: what is seeded, bit-identical torch training, multi-seed statistics."""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from scipy import stats

from tunelab.repro import RepeatResult, SeedReport, repeat, seed_everything


@pytest.fixture(autouse=True)
def _restore_global_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PYTHONHASHSEED", os.environ.get("PYTHONHASHSEED", ""))
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", os.environ.get("CUBLAS_WORKSPACE_CONFIG", ""))
    from tunelab.track import env

    monkeypatch.setattr(env, "_SEED", [])  # seed_everything notes its seed for later runs: forget it after each test
    torch = sys.modules.get("torch")
    saved = torch.are_deterministic_algorithms_enabled() if torch is not None else None
    yield
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.use_deterministic_algorithms(bool(saved))


def test_python_and_numpy_are_seeded() -> None:
    seed_everything(11, deterministic=False)
    first = (random.random(), np.random.rand(3).tolist())
    report = seed_everything(11, deterministic=False)
    assert (random.random(), np.random.rand(3).tolist()) == first
    assert isinstance(report, SeedReport) and report.seed == 11
    assert "random" in report.set and any(s.startswith("numpy.random") for s in report.set)
    assert os.environ["PYTHONHASHSEED"] == "11"


def test_hash_seed_of_the_running_interpreter_is_reported_as_not_set() -> None:
    report = seed_everything(5, deterministic=False)
    if sys.flags.hash_randomization:
        assert "fixed at start-up" in report.not_set["PYTHONHASHSEED"]
    else:
        assert any("PYTHONHASHSEED" in s for s in report.set)


def test_deterministic_mode_sets_cublas_workspace() -> None:
    report = seed_everything(1)
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    assert "CUBLAS_WORKSPACE_CONFIG=:4096:8" in report.set


def test_without_torch_the_report_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    report = seed_everything(3)
    assert report.not_set["torch"] == "not installed"


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, True, "1"])
def test_bad_seeds_are_refused(seed: Any) -> None:
    with pytest.raises(ValueError, match=r"`seed` must be an int in \[0, 2\*\*32 - 1\]"):
        seed_everything(seed)


def _train_mlp(torch: Any) -> list[Any]:
    model = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                                torch.nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    X, y = torch.randn(64, 6), torch.randn(64, 1)
    for _ in range(20):
        idx = torch.randperm(64)[:16]
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(X[idx]), y[idx])
        loss.backward()
        opt.step()
    return [p.detach().clone() for p in model.parameters()]


def test_torch_mlp_weights_are_bit_identical_under_seed_everything() -> None:
    torch = pytest.importorskip("torch", reason="torch==2.13.0 (CPU) is in the test extra; not installed here")
    report = seed_everything(0)
    first = _train_mlp(torch)
    seed_everything(0)
    second = _train_mlp(torch)
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))
    assert torch.are_deterministic_algorithms_enabled()
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    assert "torch (CPU)" in report.set and "torch.use_deterministic_algorithms(True)" in report.set
    third = _train_mlp(torch)  # no reseed: the generator has moved on
    assert not all(torch.equal(a, b) for a, b in zip(first, third, strict=True))


def test_repeat_statistics_match_numpy_and_scipy() -> None:
    result = repeat(lambda seed: float(np.random.rand()) + seed / 1000, deterministic=False)
    assert isinstance(result, RepeatResult) and result.seeds == (42, 123, 456, 789, 1024)
    expected = []
    for seed in result.seeds:
        np.random.seed(seed)
        expected.append(float(np.random.rand()) + seed / 1000)
    values = np.array(expected)
    assert result.values == pytest.approx(tuple(expected))
    assert result.mean == pytest.approx(values.mean())
    assert result.std == pytest.approx(values.std(ddof=1))
    low, high = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    assert result.ci95 == pytest.approx((low, high))
    assert "5 seeds" in str(result)


def test_repeat_accepts_functions_without_a_seed_and_one_seed() -> None:
    result = repeat(lambda: random.random(), seeds=(9,), deterministic=False)
    random.seed(9)
    assert result.values == (random.random(),)
    assert np.isnan(result.std) and all(np.isnan(result.ci95))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"seeds": ()}, ValueError, "non-empty sequence"),
        ({"seeds": (1, 1)}, ValueError, "distinct"),
        ({"seeds": (1, -2)}, ValueError, "`seed` must be an int"),
        ({"fn": 3}, TypeError, "`fn` must be callable"),
        ({"fn": lambda s: "high"}, TypeError, "must return a number"),
        ({"fn": lambda s: float("nan")}, ValueError, "only finite values"),
    ],
)
def test_repeat_bad_inputs(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    options: dict[str, Any] = {"fn": lambda s: 1.0, "seeds": (1, 2), "deterministic": False}
    options.update(kwargs)
    with pytest.raises(error, match=message):
        repeat(**options)


# -- tracking: each seed a run, the seed in the environment, the fingerprint of every study -------------


@pytest.fixture
def store(tmp_path: Any) -> Iterator[Any]:
    from tunelab.storage.sql import SQLStorage

    s = SQLStorage(f"sqlite:///{tmp_path / 'repro.db'}")
    yield s
    s.close()


def _noisy(seed: int) -> float:
    import tunelab

    tunelab.log({"loss": float(np.random.rand())})  # goes to this seed's run
    return float(np.random.rand()) + seed / 1000


def test_seed_everything_notes_the_seed_for_run_environments() -> None:
    from tunelab.track.env import capture_env

    seed_everything(17, deterministic=False)
    assert capture_env(git=False, packages=False, command=False, system=False) == {"seed": 17}
    seed_everything(18, deterministic=False)
    assert capture_env(git=False, packages=False, command=False, system=False)["seed"] == 18


def test_repeat_with_track_makes_one_run_per_seed(store: Any) -> None:
    import tunelab

    plain = repeat(_noisy_untracked, seeds=(3, 5, 8), deterministic=False)
    result = repeat(_noisy, seeds=(3, 5, 8), deterministic=False, track=True, project="seeds", storage=store)
    assert result.values == plain.values  # tracking does not touch the random streams
    assert plain.run_ids == () and plain.group is None
    assert len(result.run_ids) == 3 and result.group is not None and result.group.startswith("repeat-")
    for seed, run_id, value in zip(result.seeds, result.run_ids, result.values, strict=True):
        run = tunelab.track.get_run(run_id, storage=store)
        assert run.project == "seeds" and run.name == f"seed-{seed}" and run.state == "finished"
        assert run.config == {"seed": seed, "deterministic": False}
        assert run.group == result.group and run.env["seed"] == seed
        assert run.summary["value"]["last"] == pytest.approx(value)
        assert run.history(["loss"])["loss"].values.size == 1
    assert {r.run_id for r in tunelab.runs("seeds", storage=store)} == set(result.run_ids)


def _noisy_untracked(seed: int) -> float:
    np.random.rand()  # the same draws as _noisy, without logging
    return float(np.random.rand()) + seed / 1000


def test_repeat_marks_the_failing_seed_run_failed_and_raises(store: Any) -> None:
    import tunelab

    def fn(seed: int) -> float:
        if seed == 2:
            raise RuntimeError("diverged at seed 2")
        return 1.0

    with pytest.raises(RuntimeError, match="diverged at seed 2"):
        repeat(fn, seeds=(1, 2, 3), deterministic=False, track=True, project="fails", storage=store)
    runs = {r.name: r for r in tunelab.runs("fails", storage=store)}
    assert set(runs) == {"seed-1", "seed-2"}  # seed 3 never started
    assert runs["seed-1"].state == "finished" and runs["seed-2"].state == "failed"
    assert "diverged at seed 2" in (runs["seed-2"].error or "")
    assert runs["seed-1"].group == runs["seed-2"].group
    with pytest.raises(TypeError, match="must return a number"):
        repeat(lambda s: "high", seeds=(4,), deterministic=False, track=True, project="bad-value", storage=store)
    assert [r.state for r in tunelab.runs("bad-value", storage=store)] == ["failed"]


def test_repeat_leaves_the_callers_run_current(store: Any) -> None:
    import tunelab

    with tunelab.init("outer", storage=store, system_metrics=False) as outer:
        result = repeat(lambda s: float(s), seeds=(1, 2), deterministic=False, track=True, storage=store)
        assert tunelab.track.current_run() is outer
        tunelab.log({"mean": result.mean})
    assert outer.history()["mean"].values.tolist() == [1.5]
    assert {r.name for r in tunelab.runs("repeat", storage=store)} == {"seed-1", "seed-2"}  # the default project


def test_repeat_tracks_into_the_default_store(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import tunelab

    monkeypatch.setenv("TUNELAB_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TUNELAB_STORAGE", raising=False)
    result = repeat(lambda s: s / 10, seeds=(1, 2), deterministic=False, track=True, project="default-store")
    assert (tmp_path / "home" / "tunelab.db").exists()
    assert sorted(r.run_id for r in tunelab.runs("default-store")) == sorted(result.run_ids)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"track": "yes"}, TypeError, "`track` must be True or False, got 'yes'"),
        ({"track": True, "project": ""}, ValueError, "`project` must be a non-empty str"),
        ({"project": "p"}, ValueError, "only used with track=True"),
        ({"storage": ":memory:"}, ValueError, "only used with track=True"),
    ],
)
def test_repeat_bad_tracking_options_fail_before_any_run(kwargs: dict[str, Any], error: type[Exception],
                                                        message: str) -> None:
    calls: list[int] = []
    with pytest.raises(error, match=message):
        repeat(lambda s: calls.append(s) or 1.0, seeds=(1, 2), deterministic=False, **kwargs)
    assert calls == []


def _check_fingerprint(study: Any) -> None:
    import platform

    import numpy
    import sklearn

    env = study.system_attrs["environment"]
    assert env["packages"]["numpy"] == numpy.__version__
    assert env["packages"]["scikit-learn"] == sklearn.__version__
    assert "tunelab" in env["packages"]
    assert env["python"] == platform.python_version() and env["os"] == platform.platform()
    assert "git" in env  # None outside a git work tree
    if env["git"] is not None:
        assert set(env["git"]) == {"commit", "branch", "dirty"}


def test_studies_of_searches_and_nested_cv_carry_the_environment_fingerprint() -> None:
    from sklearn.datasets import load_iris
    from sklearn.tree import DecisionTreeClassifier

    from tunelab.sklearn import TuneSearchCV, nested_cv

    X, y = load_iris(return_X_y=True)
    search = TuneSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [1, 3]}, sampler="grid", cv=3)
    _check_fingerprint(search.fit(X, y).study_)
    result = nested_cv(search, X, y, outer_cv=2)
    assert len(result.studies) == 2
    for study in result.studies:
        _check_fingerprint(study)

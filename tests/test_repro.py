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

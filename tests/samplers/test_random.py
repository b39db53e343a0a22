"""RandomSampler: the sampler contract plus the shape of its draws."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tunelab
from tests.contracts.sampler_contract import SamplerContract
from tunelab import Categorical, Float, Int
from tunelab.samplers import RandomSampler, Sampler, get_sampler


class TestRandomSamplerContract(SamplerContract):
    def make_sampler(self, seed: int | None) -> Sampler:
        return RandomSampler(seed=seed)


def draws(sampler: RandomSampler, dist: object, n: int = 4000) -> np.ndarray:
    return np.array([sampler.sample_independent(None, None, "p", dist) for _ in range(n)])  # type: ignore[arg-type]


def test_uniform_float_has_the_uniform_mean_and_spread() -> None:
    x = draws(RandomSampler(seed=0), Float(-2.0, 4.0))
    assert x.min() >= -2.0 and x.max() <= 4.0
    assert x.mean() == pytest.approx(1.0, abs=0.1)
    assert x.std() == pytest.approx(6 / math.sqrt(12), rel=0.05)


def test_log_float_is_uniform_in_log_space() -> None:
    x = draws(RandomSampler(seed=1), Float(1e-4, 1e0, log=True))
    logs = np.log10(x)
    assert np.median(logs) == pytest.approx(-2.0, abs=0.1)
    assert np.mean(logs < -3) == pytest.approx(0.25, abs=0.03)


def test_int_and_categorical_give_each_value_an_equal_share() -> None:
    ints = draws(RandomSampler(seed=2), Int(1, 4))
    counts = np.bincount(ints.astype(int), minlength=5)[1:]
    assert set(ints.tolist()) == {1, 2, 3, 4}
    assert np.all(np.abs(counts / len(ints) - 0.25) < 0.03)
    cats = draws(RandomSampler(seed=3), Categorical(("a", "b")), n=2000)
    assert np.mean(cats == "a") == pytest.approx(0.5, abs=0.04)


def test_stepped_values_stay_on_the_grid() -> None:
    x = draws(RandomSampler(seed=4), Float(0.0, 1.0, step=0.25), n=500)
    assert set(x.tolist()) == {0.0, 0.25, 0.5, 0.75, 1.0}


def test_create_study_seed_reproduces_the_sequence() -> None:
    def run(seed: int) -> list[float]:
        study = tunelab.create_study(storage=":memory:", sampler="random", seed=seed)
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
        return [t.params["x"] for t in study.trials]

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_reseed_restarts_the_generator() -> None:
    sampler = RandomSampler(seed=9)
    first = draws(sampler, Float(0, 1), n=3)
    sampler.reseed(9)
    assert draws(sampler, Float(0, 1), n=3).tolist() == first.tolist()


@pytest.mark.parametrize("seed", ["1", 1.5, True])
def test_bad_seed_is_refused(seed: object) -> None:
    with pytest.raises(TypeError, match="`seed` must be an int or None"):
        RandomSampler(seed=seed)  # type: ignore[arg-type]


# -- get_sampler: names, seeds, laziness ------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("random", "RandomSampler"),
        ("Random", "RandomSampler"),
        ("qmc", "QMCSampler"),
        ("tpe", "TPESampler"),
        ("gp", "GPSampler"),
    ],
)
def test_get_sampler_builds_each_name_with_the_seed(name: str, cls: str) -> None:
    sampler = get_sampler(name, seed=8)
    assert type(sampler).__name__ == cls and sampler.seed == 8


def test_get_sampler_auto_and_none_give_a_seeded_sampler() -> None:
    for spec in (None, "auto"):
        sampler = get_sampler(spec, seed=5)
        assert isinstance(sampler, Sampler) and sampler.seed == 5


def test_get_sampler_reseeds_an_unseeded_object_and_refuses_two_seeds() -> None:
    unseeded = RandomSampler()
    assert get_sampler(unseeded, seed=3) is unseeded and unseeded.seed == 3
    seeded = RandomSampler(seed=3)
    assert get_sampler(seeded, seed=3) is seeded and get_sampler(seeded) is seeded
    with pytest.raises(ValueError, match="give the seed to the sampler or to create_study, not both"):
        get_sampler(RandomSampler(seed=1), seed=2)


def test_get_sampler_rejects_unknown_names_and_types() -> None:
    with pytest.raises(
        ValueError, match="`sampler` must be one of 'auto', 'random', 'grid', 'qmc', 'tpe', 'gp', got 'cmaes'"
    ):
        get_sampler("cmaes")
    with pytest.raises(TypeError, match="`sampler` must be a Sampler, a name"):
        get_sampler(RandomSampler)  # type: ignore[arg-type]


def test_importing_the_samplers_package_does_not_load_scipy() -> None:
    import subprocess
    import sys

    code = "import sys, tunelab.samplers, tunelab.pruners; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

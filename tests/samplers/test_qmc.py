"""QMCSampler: the sampler contract, the sequence it follows, and its seeding rules."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import tunelab
from tests.contracts.sampler_contract import SamplerContract
from tunelab import Float, Int, TrialState
from tunelab.samplers import QMCSampler, RandomSampler, Sampler, get_sampler


class TestSobolContract(SamplerContract):
    def make_sampler(self, seed: int | None) -> Sampler:
        return QMCSampler(seed=seed)


class TestHaltonContract(SamplerContract):
    def make_sampler(self, seed: int | None) -> Sampler:
        return QMCSampler(qmc_type="halton", seed=seed)


def xy_study(sampler: Sampler, n_trials: int, **kwargs: object) -> tunelab.Study:
    study = tunelab.create_study(storage=":memory:", sampler=sampler, **kwargs)  # type: ignore[arg-type]
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), n_trials=n_trials)
    return study


def test_trial_n_takes_point_n_of_the_sequence() -> None:
    from scipy.stats import qmc

    study = xy_study(QMCSampler(scramble=False), 8)
    expected = qmc.Sobol(2, scramble=False).random_base2(3)
    # trial 0 runs before any trial completed, so its values are independent draws
    for trial in study.trials[1:]:
        assert [trial.params["x"], trial.params["y"]] == expected[trial.number].tolist()


def test_scrambled_points_match_scipy_with_the_same_seed() -> None:
    from scipy.stats import qmc

    study = xy_study(QMCSampler(qmc_type="halton", seed=11), 6)
    expected = qmc.Halton(2, scramble=True, rng=np.random.default_rng(11)).random(6)
    got = np.array([[t.params["x"], t.params["y"]] for t in study.trials[1:]])
    np.testing.assert_allclose(got, expected[1:6])


def test_qmc_covers_the_square_more_evenly_than_random() -> None:
    from scipy.stats import qmc

    def points(sampler: Sampler) -> np.ndarray:
        trials = xy_study(sampler, 65).trials[1:]
        return np.array([[t.params["x"], t.params["y"]] for t in trials])

    sobol = qmc.discrepancy(points(QMCSampler(seed=0)))
    random = np.mean([qmc.discrepancy(points(RandomSampler(seed=s))) for s in range(3)])
    assert sobol < random / 3


def test_parallel_trials_take_distinct_points() -> None:
    study = xy_study(QMCSampler(seed=2), 1)
    asked = [study.ask() for _ in range(4)]  # four RUNNING at once, as with workers
    values = [(t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)) for t in asked]
    assert len(set(values)) == 4
    sampler = study.sampler
    assert isinstance(sampler, QMCSampler)
    assert [list(v) for v in values] == [sampler.point(n, 2).tolist() for n in range(1, 5)]


def test_space_is_fixed_by_the_first_completed_trial() -> None:
    sampler = QMCSampler(seed=3)
    study = tunelab.create_study(storage=":memory:", sampler=sampler)
    first = study.ask()
    first.suggest_float("b", 0, 1)
    first.suggest_int("a", 1, 5)
    first.suggest_int("fixed", 2, 2)  # single-valued: not part of the sequence
    study.tell(first, 1.0)
    later = study.ask()
    space = sampler.infer_relative_space(study, later.freeze())
    assert space == {"a": Int(1, 5), "b": Float(0, 1)}


def test_independent_draws_are_reproducible_per_trial_and_name() -> None:
    one, two = QMCSampler(seed=5), QMCSampler(seed=5)
    study = tunelab.create_study(storage=":memory:", sampler=one)
    frozen = study.ask().freeze()
    dist = Float(0, 1)
    assert one.sample_independent(study, frozen, "x", dist) == two.sample_independent(
        study, frozen, "x", dist
    )
    assert one.sample_independent(study, frozen, "x", dist) != one.sample_independent(
        study, frozen, "y", dist
    )


def test_seed_reproduces_and_differs() -> None:
    def seq(sampler: Sampler, **kwargs: object) -> list[dict[str, object]]:
        return [t.params for t in xy_study(sampler, 6, **kwargs).trials]

    assert seq(QMCSampler(seed=1)) == seq(QMCSampler(seed=1))
    assert seq(QMCSampler(), seed=1) == seq(QMCSampler(seed=1))
    assert seq(QMCSampler(seed=1)) != seq(QMCSampler(seed=2))
    assert seq(QMCSampler(seed=1)) != seq(QMCSampler(seed=1, qmc_type="halton"))


def test_worker_reseed_keeps_the_shared_sequence() -> None:
    sampler = QMCSampler(seed=4)
    before = sampler.point(3, 2).tolist()
    sampler.reseed(5)  # what a parallel worker gets
    assert sampler.seed == 5 and sampler.point(3, 2).tolist() == before
    unseeded = QMCSampler()
    unseeded.reseed(4)  # what create_study(seed=4) does
    assert unseeded.point(3, 2).tolist() == before


def test_long_runs_and_large_indices_raise_no_scipy_warning() -> None:
    sampler = QMCSampler(seed=0)
    points = np.array([sampler.point(n, 3) for n in (0, 1, 5, 17, 100, 1000)])
    assert points.shape == (6, 3) and np.all((points >= 0) & (points < 1))
    study = xy_study(QMCSampler(seed=0), 20)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_pickled_sampler_continues_the_same_sequence() -> None:
    sampler = QMCSampler(seed=6)
    clone = pickle.loads(pickle.dumps(sampler))
    assert clone.point(7, 2).tolist() == sampler.point(7, 2).tolist()


def test_describe_and_get_sampler() -> None:
    assert QMCSampler(seed=0).describe() == "QMCSampler(qmc_type='sobol', scramble=True, seed=0)"
    resolved = get_sampler("QMC", seed=9)
    assert isinstance(resolved, QMCSampler) and resolved.seed == 9


@pytest.mark.parametrize("qmc_type", ["lhs", "", None, "Sobolev"])
def test_unknown_qmc_type_lists_the_allowed_ones(qmc_type: object) -> None:
    with pytest.raises(ValueError, match="`qmc_type` must be one of 'sobol', 'halton', got"):
        QMCSampler(qmc_type=qmc_type)  # type: ignore[arg-type]


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="`scramble` must be a bool"):
        QMCSampler(scramble="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`index` must be an int >= 0"):
        QMCSampler().point(-1, 2)
    assert QMCSampler(qmc_type="HALTON").qmc_type == "halton"


@pytest.mark.slow
def test_worker_processes_take_distinct_points(tmp_path: object) -> None:
    study = tunelab.create_study(storage=f"sqlite:///{tmp_path}/qmc.db", sampler=QMCSampler(seed=1))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), n_trials=12, n_jobs=2)
    points = {(t.params["x"], t.params["y"]) for t in study.trials}
    assert len(study.trials) == 12 and len(points) == 12

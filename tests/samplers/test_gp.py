"""GPSampler: proposals inside the space, direction, determinism, surrogate, arguments, quality."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tunelab
from tunelab import Categorical, Float, Int
from tunelab.samplers import RandomSampler
from tunelab.samplers.gp import GPSampler
from tunelab.space import ScipyDistribution
from tunelab.trial import TrialState


def _branin(x: float, y: float) -> float:
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


BRANIN_MIN = 0.397887


def _branin_objective(trial: tunelab.Trial) -> float:
    return _branin(trial.suggest_float("x", -5, 10), trial.suggest_float("y", 0, 15))


def _sampler(**kwargs: object) -> GPSampler:
    kwargs.setdefault("n_candidates", 128)
    return GPSampler(**kwargs)  # type: ignore[arg-type]


def test_gp_beats_random_on_branin_at_30_trials() -> None:
    gp_regrets, random_regrets = [], []
    for seed in (0, 1, 2):
        for sampler, out in (
            (_sampler(seed=seed, n_startup_trials=8), gp_regrets),
            (RandomSampler(seed=seed), random_regrets),
        ):
            study = tunelab.create_study(storage=":memory:", sampler=sampler)
            study.optimize(_branin_objective, n_trials=30)
            out.append(study.best_value - BRANIN_MIN)
    assert np.median(gp_regrets) < 0.05
    assert np.median(gp_regrets) < 0.2 * np.median(random_regrets)


def test_skewed_objective_is_found_through_the_output_warping() -> None:
    # exp(10 r²): a flat basin next to values 1,000x larger; standardised raw values hide the
    # basin's shape (median regret ~0.18 without the warp on these seeds).
    def bowl(trial: tunelab.Trial) -> float:
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        return math.exp(10 * ((x - 0.27) ** 2 + (y - 0.64) ** 2))

    regrets = []
    for seed in range(6):
        sampler = _sampler(seed=seed, n_startup_trials=6, output_warping=True)
        study = tunelab.create_study(storage=":memory:", sampler=sampler)
        study.optimize(bowl, n_trials=20)
        regrets.append(study.best_value - 1.0)
    assert np.median(regrets) < 0.08


@pytest.mark.parametrize(
    ("output_warping", "quantised", "expected"),
    [
        ("auto", False, list(range(20, 25))),  # continuous: warped once 20 values are all distinct
        ("auto", True, []),  # accuracy-like values tie: never warped
        (True, True, list(range(3, 25))),
        (False, False, []),
    ],
)
def test_output_warping_modes(
    monkeypatch: pytest.MonkeyPatch, output_warping: object, quantised: bool, expected: list[int]
) -> None:
    from tunelab.samplers import _gp

    def objective(trial: tunelab.Trial) -> float:
        value = math.exp(4 * trial.suggest_float("x", 0, 1))
        return round(value, 0) if quantised else value

    calls: list[int] = []
    warp = _gp.warp_outputs
    monkeypatch.setattr(_gp, "warp_outputs", lambda y: calls.append(len(y)) or warp(y))
    sampler = _sampler(seed=0, n_startup_trials=3, n_candidates=32, output_warping=output_warping)
    study = tunelab.create_study(storage=":memory:", sampler=sampler)
    study.optimize(objective, n_trials=25)
    assert calls == expected


def test_warped_surrogate_still_predicts_in_user_units() -> None:
    sampler = _sampler(seed=0, n_startup_trials=3, output_warping=True)
    assert sampler.describe() == "GPSampler(acquisition='logei', seed=0, output_warping=True)"
    study = tunelab.create_study(storage=":memory:", sampler=sampler)
    study.optimize(lambda t: math.exp(4 * t.suggest_float("x", 0, 1)), n_trials=6)
    mean, _ = sampler.surrogate(study).predict([t.params for t in study.trials])
    np.testing.assert_allclose(mean, [t.value for t in study.trials], rtol=0.05)


def test_maximize_direction_is_respected() -> None:
    study = tunelab.create_study(
        storage=":memory:", direction="maximize", sampler=_sampler(seed=0, n_startup_trials=5)
    )
    study.optimize(lambda t: -((t.suggest_float("x", 0, 1) - 0.7) ** 2), n_trials=15)
    assert abs(study.best_params["x"] - 0.7) < 0.05


def test_int_step_log_and_categorical_proposals_stay_in_domain() -> None:
    space = {
        "n": Int(1, 64, log=True),
        "k": Int(0, 20, step=4),
        "f": Float(0, 1, step=0.1),
        "kind": Categorical(["a", "b", "c"]),
        "lr": Float(1e-4, 1e-1, log=True),
        "C": ScipyDistribution("loguniform", (1e-2, 1e2)),
        "m": ScipyDistribution("randint", (1, 6)),
    }

    def objective(trial: tunelab.Trial) -> float:
        p = {name: trial.suggest(name, dist) for name, dist in space.items()}
        return (math.log(p["n"]) - 2) ** 2 + (p["k"] - 8) ** 2 / 50 + p["f"] + (p["kind"] != "b")

    study = tunelab.create_study(storage=":memory:", sampler=_sampler(seed=0, n_startup_trials=5))
    study.optimize(objective, n_trials=20)
    for t in study.trials:
        for name, dist in space.items():
            assert dist.contains(t.params[name]), (name, t.params[name])
        assert isinstance(t.params["n"], int) and t.params["k"] % 4 == 0
    assert study.best_params["kind"] == "b"


def test_conditional_parameters_fall_back_to_independent_sampling() -> None:
    def objective(trial: tunelab.Trial) -> float:
        kind = trial.suggest_categorical("kind", ["lin", "sq"])
        x = trial.suggest_float("x", -1, 1)
        if kind == "sq":
            return x * x + trial.suggest_float("extra", 0, 1)
        return abs(x) + 0.5

    study = tunelab.create_study(storage=":memory:", sampler=_sampler(seed=1, n_startup_trials=4))
    study.optimize(objective, n_trials=12)
    assert set(study.sampler.infer_relative_space(study, study.trials[-1])) <= {"kind", "x", "extra"}
    assert all(("extra" in t.params) == (t.params["kind"] == "sq") for t in study.trials)


def test_same_seed_gives_same_sequence() -> None:
    def run(seed: int) -> list[float]:
        study = tunelab.create_study(storage=":memory:", sampler=_sampler(seed=seed, n_startup_trials=4))
        study.optimize(_branin_objective, n_trials=8)
        return [t.params["x"] for t in study.trials]

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_startup_trials_are_spread_by_qmc() -> None:
    study = tunelab.create_study(storage=":memory:", sampler=_sampler(seed=0, n_startup_trials=8))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=8)
    xs = sorted(t.params["x"] for t in study.trials[1:])
    assert min(np.diff(xs)) > 0.01  # scrambled Sobol points never bunch up


def test_running_trials_make_parallel_proposals_distinct() -> None:
    study = tunelab.create_study(storage=":memory:", sampler=_sampler(seed=0, n_startup_trials=4))
    study.optimize(lambda t: (t.suggest_float("x", 0, 1) - 0.3) ** 2, n_trials=6)
    pending = [study.ask({"x": Float(0, 1)}) for _ in range(3)]
    xs = sorted(t.params["x"] for t in pending)
    assert min(np.diff(xs)) > 1e-3


def test_proposals_not_yet_stored_still_count_as_running() -> None:
    # Threads sharing one sampler: the second proposal comes before the first trial's
    # parameters reach the storage; the sampler's own record of the first must keep them apart.
    space = {"n": Int(0, 9)}
    sampler = _sampler(seed=0, n_startup_trials=4)
    study = tunelab.create_study(storage=":memory:", sampler=sampler)
    study.optimize(lambda t: (t.suggest_int("n", 0, 9) - 6) ** 2, n_trials=4)
    first, second = study.ask(), study.ask()  # RUNNING, no parameters stored yet
    frozen = {t.number: t for t in study.get_trials((TrialState.RUNNING,))}
    a = sampler.sample_relative(study, frozen[first.number], space)
    b = sampler.sample_relative(study, frozen[second.number], space)
    assert a != b
    sampler.after_trial(study, frozen[first.number], TrialState.COMPLETE, 0.0)
    assert sampler.sample_relative(study, frozen[second.number], space) == a  # forgotten once finished


def test_surrogate_predicts_in_user_units() -> None:
    study = tunelab.create_study(
        storage=":memory:", sampler=_sampler(seed=0, n_startup_trials=6, deterministic_objective=True)
    )
    study.optimize(lambda t: 100 + 50 * t.suggest_float("x", 0, 1) ** 2, n_trials=10)
    params = [dict(t.params) for t in study.trials]
    mean, std = study.sampler.surrogate(study).predict(params)
    np.testing.assert_allclose(mean, [t.value for t in study.trials], rtol=1e-3)
    assert std.max() < 0.5
    surrogate = study.sampler.surrogate(study)
    assert surrogate.predict([{"x": 0.5}])[0][0] == pytest.approx(112.5, abs=2.0)
    acq = surrogate.acquisition([{"x": 0.0}, {"x": 0.5}, {"x": 1.0}])
    assert acq.shape == (3,) and np.all(np.isfinite(acq))
    assert acq[0] > acq[2]  # improvement is likelier near the minimum x=0
    with pytest.raises(ValueError, match="missing"):
        surrogate.predict([{"y": 1.0}])


def test_surrogate_needs_completed_trials() -> None:
    study = tunelab.create_study(storage=":memory:", sampler=_sampler(seed=0))
    with pytest.raises(ValueError, match="at least 2 COMPLETE trials"):
        study.sampler.surrogate(study)


def _two_complete_six_pruned(observe_pruned: bool) -> tunelab.Study:
    """x = 0 and 1 complete; six more report (x - 0.3)^2 once and are pruned."""
    study = tunelab.create_study(storage=":memory:", sampler=_sampler(
        seed=0, n_startup_trials=2, deterministic_objective=True, observe_pruned=observe_pruned))
    for x in (0.0, 1.0, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8):
        study.enqueue_trial({"x": x})
    for k in range(8):
        trial = study.ask({"x": Float(0, 1)})
        value = (trial.params["x"] - 0.3) ** 2
        if k < 2:
            study.tell(trial, value)
        else:
            trial.report(value, step=0)
            study.tell(trial, state=TrialState.PRUNED)
    return study


def test_observed_pruned_trials_enter_the_fit_at_their_last_reported_value() -> None:
    observed = _two_complete_six_pruned(observe_pruned=True)
    mean, _ = observed.sampler.surrogate(observed).predict([{"x": 0.3}, {"x": 0.6}])
    np.testing.assert_allclose(mean, [0.0, 0.09], atol=0.01)
    ignored = _two_complete_six_pruned(observe_pruned=False)
    mean, _ = ignored.sampler.surrogate(ignored).predict([{"x": 0.3}])
    assert mean[0] > 0.05  # two points at 0.09 and 0.49 say nothing of the dip at 0.3
    assert "observe_pruned=True" in observed.sampler.describe()
    assert "observe_pruned" not in ignored.sampler.describe()


def test_observed_pruned_trials_steer_the_next_proposal() -> None:
    proposals = {}
    for observe in (True, False):
        study = _two_complete_six_pruned(observe_pruned=observe)
        study.sampler.n_candidates = 512
        proposals[observe] = study.ask({"x": Float(0, 1)}).params["x"]
    assert abs(proposals[True] - 0.3) < 0.03  # the pruned trials' minimum
    assert abs(proposals[False] - 0.3) > 0.05


@pytest.mark.parametrize("acquisition", ["ucb", "pi", "uncertainty"])
def test_every_acquisition_runs_and_stays_in_bounds(acquisition: str) -> None:
    study = tunelab.create_study(
        storage=":memory:", sampler=_sampler(acquisition=acquisition, seed=0, n_startup_trials=4)
    )
    study.optimize(lambda t: t.suggest_float("x", -2, 2) ** 2 + t.suggest_int("k", 0, 3), n_trials=8)
    complete = study.get_trials((TrialState.COMPLETE,))
    assert len(complete) == 8
    assert all(-2 <= t.params["x"] <= 2 and t.params["k"] in range(4) for t in complete)


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(
        ValueError, match="`acquisition` must be one of 'logei', 'ucb', 'pi', 'uncertainty', got 'ei'"
    ):
        GPSampler("ei")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`n_startup_trials` must be an int >= 1, got 0"):
        GPSampler(n_startup_trials=0)
    with pytest.raises(ValueError, match="`n_candidates` must be an int >= 1, got 2.5"):
        GPSampler(n_candidates=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`max_history` must be an int >= 10"):
        GPSampler(max_history=5)
    with pytest.raises(TypeError, match="`deterministic_objective` must be a bool"):
        GPSampler(deterministic_objective="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`output_warping` must be True, False or 'auto', got 'yes'"):
        GPSampler(output_warping="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`seed` must be an int or None"):
        GPSampler(seed="0")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`observe_pruned` must be True or False, got 1"):
        GPSampler(observe_pruned=1)  # type: ignore[arg-type]


def test_long_history_is_fitted_on_a_capped_subset() -> None:
    store = tunelab.get_storage(":memory:")
    filler = tunelab.create_study(name="long", storage=store, sampler=RandomSampler(seed=0))
    for _ in range(60):
        trial = filler.ask({"x": Float(0, 1), "y": Float(0, 1)})
        filler.tell(trial, (trial.params["x"] - 0.2) ** 2 + trial.params["y"])
    best = min(t.value for t in filler.trials)
    study = tunelab.load_study("long", storage=store, sampler=_sampler(seed=0, max_history=20))
    surrogate = study.sampler.surrogate(study)
    assert surrogate.gp.X.shape == (20, 2)
    # The best observations are always kept: the model reproduces the incumbent.
    best_params = min(study.trials, key=lambda t: t.value).params
    assert surrogate.predict([best_params])[0][0] == pytest.approx(best, abs=0.05)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), n_trials=2)
    assert len(study.trials) == 62


def _two_basins(trial: tunelab.Trial) -> float:
    # A broad local minimum at x = 0.2 (value 0) and a narrower, deeper one at 0.75 (-0.11).
    x = trial.suggest_float("x", 0.0, 1.0)
    return 0.3 * (x - 0.2) ** 2 - 0.2 * math.exp(-(((x - 0.75) / 0.05) ** 2))


def test_escape_steps_find_the_deeper_basin_that_plain_expected_improvement_misses() -> None:
    found = {}
    for escape_after in (10, None):
        hits = 0
        for seed in range(4):
            sampler = _sampler(seed=seed, n_startup_trials=5, escape_after=escape_after)
            study = tunelab.create_study(storage=":memory:", sampler=sampler)
            study.optimize(_two_basins, n_trials=80)
            hits += abs(study.best_params["x"] - 0.75) < 0.02
        found[escape_after] = hits
    assert found[10] == 4
    assert found[None] <= 2


def test_after_ten_trials_near_the_incumbent_the_next_proposal_leaves_its_neighbourhood() -> None:
    def quadratic(trial: tunelab.Trial) -> float:
        return (trial.suggest_float("x", 0.0, 1.0) - 0.5) ** 2

    for escape_after, leaves in ((10, True), (None, False)):
        study = tunelab.create_study(storage=":memory:", sampler=_sampler(seed=0, n_startup_trials=5, escape_after=escape_after))
        for x in (0.05, 0.25, 0.75, 0.95, 0.9):
            study.enqueue_trial({"x": x})
        for k in range(10):  # ten trials in a row within 0.05 of the incumbent (x = 0.5)
            study.enqueue_trial({"x": 0.5 + (k - 5) * 0.004})
        study.optimize(quadratic, n_trials=15)
        study.optimize(quadratic, n_trials=1)
        assert (abs(study.trials[-1].params["x"] - 0.5) > 0.05) is leaves


def test_escape_after_is_checked_and_shown() -> None:
    for bad in (0, -1, 2.5, "10", True):
        with pytest.raises(ValueError, match="`escape_after` must be an int >= 1"):
            GPSampler(escape_after=bad)  # type: ignore[arg-type]
    assert GPSampler(seed=0, escape_after=None).describe() == "GPSampler(acquisition='logei', seed=0, escape_after=None)"
    assert GPSampler(seed=0).describe() == "GPSampler(acquisition='logei', seed=0)"

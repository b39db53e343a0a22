"""The contract every sampler keeps, as a test class to subclass.

Usage, in ``tests/samplers/test_<name>.py``::

    class TestMySamplerContract(SamplerContract):
        def make_sampler(self, seed: int | None) -> Sampler:
            return MySampler(seed=seed)

A sampler that cannot search the default mixed space (a grid needs finite values) overrides
:meth:`SamplerContract.space` with one it can search, keeping its shape: a log float, a stepped
float, ints (plain, stepped, log), a categorical and two parameters conditional on it.

Nothing test-only is imported at module top, so this can move to ``tunelab.testing`` later.
"""

from __future__ import annotations

import pickle
from typing import Any

import tunelab
from tunelab.samplers.base import Sampler
from tunelab.space import Categorical, Distribution, Float, Int
from tunelab.trial import Trial, TrialState

__all__ = ["SamplerContract"]


class SamplerContract:
    """Tests run against every sampler; subclass and define :meth:`make_sampler`."""

    n_trials = 12

    # -- what a subclass provides ------------------------------------------------------------
    def make_sampler(self, seed: int | None) -> Sampler:
        """Build the sampler under test with ``seed``."""
        raise NotImplementedError

    def space(self) -> dict[str, Distribution]:
        """The mixed space searched; ``C`` only when kind == "svm", ``trees`` when "rf"."""
        return {
            "lr": Float(1e-5, 1e-1, log=True),
            "frac": Float(0.0, 1.0, step=0.25),
            "x": Float(-3.0, 3.0),
            "depth": Int(1, 9, step=2),
            "units": Int(8, 512, log=True),
            "kind": Categorical(("svm", "rf", None)),
            "C": Float(1e-3, 1e3, log=True),
            "trees": Int(10, 100),
        }

    def enqueued(self) -> dict[str, Any]:
        """A point of the space to enqueue."""
        return {"lr": 1e-3, "frac": 0.5, "x": 0.0, "depth": 3, "units": 64, "kind": "rf", "trees": 50}

    # -- helpers ------------------------------------------------------------------------------
    def objective(self, trial: Trial) -> float:
        space = self.space()
        values = {
            name: trial.suggest(name, space[name]) for name in ("lr", "frac", "x", "depth", "units", "kind")
        }
        total = float(values["x"]) ** 2 + float(values["frac"]) + float(values["depth"]) / 10
        if values["kind"] == "svm":
            total += abs(float(trial.suggest("C", space["C"])) - 1.0)
        elif values["kind"] == "rf":
            total += float(trial.suggest("trees", space["trees"])) / 100
        return total

    def run(
        self,
        sampler: Sampler,
        n_trials: int | None = None,
        *,
        seed: int | None = None,
        enqueue: tuple[dict[str, Any], ...] = (),
    ) -> tunelab.Study:
        study = tunelab.create_study(storage=":memory:", sampler=sampler, seed=seed)
        for params in enqueue:
            study.enqueue_trial(params)
        study.optimize(self.objective, n_trials=n_trials or self.n_trials)
        return study

    @staticmethod
    def params(study: tunelab.Study) -> list[dict[str, Any]]:
        return [t.params for t in study.trials]

    # -- the contract ---------------------------------------------------------------------------
    def test_values_always_lie_in_their_distribution(self) -> None:
        study = self.run(self.make_sampler(0))
        space = self.space()
        assert len(study.trials) == self.n_trials
        for trial in study.trials:
            assert trial.state == TrialState.COMPLETE, trial.error
            for name, value in trial.params.items():
                assert space[name].contains(value), (name, value)
                assert trial.distributions[name] == space[name]

    def test_conditional_parameters_follow_their_branch(self) -> None:
        study = self.run(self.make_sampler(1))
        for trial in study.trials:
            kind = trial.params["kind"]
            assert ("C" in trial.params) == (kind == "svm")
            assert ("trees" in trial.params) == (kind == "rf")

    def test_same_seed_gives_the_same_sequence(self) -> None:
        first = self.params(self.run(self.make_sampler(42)))
        second = self.params(self.run(self.make_sampler(42)))
        assert first == second

    def test_seed_given_to_create_study_matches_the_sampler_seed(self) -> None:
        via_study = self.params(self.run(self.make_sampler(None), seed=7))
        via_sampler = self.params(self.run(self.make_sampler(7)))
        assert via_study == via_sampler

    def test_different_seeds_give_different_sequences(self) -> None:
        first = self.params(self.run(self.make_sampler(1)))
        second = self.params(self.run(self.make_sampler(2)))
        assert first != second

    def test_enqueued_trial_is_evaluated_first(self) -> None:
        point = self.enqueued()
        study = self.run(self.make_sampler(3), enqueue=(point,))
        assert study.trials[0].params == point
        assert len(study.trials) == self.n_trials
        assert all(t.state == TrialState.COMPLETE for t in study.trials)

    def test_partially_enqueued_trial_samples_the_rest(self) -> None:
        point = {"kind": "svm", "depth": 5}
        study = self.run(self.make_sampler(4), enqueue=(point,))
        first = study.trials[0].params
        assert first["kind"] == "svm" and first["depth"] == 5 and "C" in first
        assert self.space()["C"].contains(first["C"])

    def test_sampler_survives_pickling(self) -> None:
        sampler = self.make_sampler(5)
        clone = pickle.loads(pickle.dumps(sampler))
        assert type(clone) is type(sampler) and clone.seed == sampler.seed
        assert isinstance(clone.describe(), str) and clone.describe() == sampler.describe()
        assert self.params(self.run(clone)) == self.params(self.run(self.make_sampler(5)))

    def test_seed_conflict_is_refused(self) -> None:
        import pytest

        with pytest.raises(ValueError, match="give the seed to the sampler or to create_study, not both"):
            tunelab.create_study(storage=":memory:", sampler=self.make_sampler(1), seed=2)

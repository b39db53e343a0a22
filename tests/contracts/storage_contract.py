"""The contract every storage keeps (see :mod:`tunelab.storage.base`), as a test class.

Usage: subclass it in a test module; the ``storage`` fixture of ``tests/conftest.py`` gives an
empty store of each kind (memory, SQLite, PostgreSQL), so each test runs once per kind::

    class TestStorageContract(StorageContract):
        pass

Nothing test-only is imported at module top, so this can move to ``tunelab.testing`` later.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from tests.contracts.tracking_contract import TrackingContract
from tunelab.exceptions import (
    ConflictingDistributionError,
    DuplicatedStudyError,
    StudyNotFoundError,
    TrialFinishedError,
)
from tunelab.space import Categorical, Float, Int
from tunelab.storage.base import Storage, StudySummary
from tunelab.trial import FrozenTrial, TrialState

__all__ = ["StorageContract"]

COMPLETE, RUNNING, WAITING = TrialState.COMPLETE, TrialState.RUNNING, TrialState.WAITING
PRUNED, FAIL = TrialState.PRUNED, TrialState.FAIL
_ABSENT = 987_654


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


class StorageContract(TrackingContract):
    """Tests every Storage passes; they use the ``storage`` fixture (an empty store).

    The tracking tests (runs, metrics, artifacts, alerts) come from
    :class:`~tests.contracts.tracking_contract.TrackingContract`.
    """

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def finished(store: Storage, study_id: int, value: float, **params: Any) -> int:
        tid, _ = store.create_trial(study_id)
        for name, val in params.items():
            store.set_param(tid, name, Float(-100, 100), val)
        store.finish_trial(tid, COMPLETE, value)
        return tid

    # -- studies ------------------------------------------------------------------------------
    def test_create_and_find_study(self, storage: Storage) -> None:
        sid = storage.create_study("alpha", "maximize")
        assert isinstance(sid, int)
        assert storage.get_study_id("alpha") == sid
        assert storage.get_study_name(sid) == "alpha"
        assert storage.get_study_direction(sid) == "maximize"
        other = storage.create_study("beta", "minimize")
        assert other != sid
        assert storage.get_study_direction(other) == "minimize"

    def test_duplicate_study_name_is_refused(self, storage: Storage) -> None:
        storage.create_study("dup", "minimize")
        with pytest.raises(DuplicatedStudyError, match="a study named 'dup' already exists; pass load_if_exists"):
            storage.create_study("dup", "maximize")
        assert isinstance(DuplicatedStudyError("x"), ValueError)
        assert len(storage.list_studies()) == 1

    def test_unknown_study_name(self, storage: Storage) -> None:
        with pytest.raises(StudyNotFoundError) as info:
            storage.get_study_id("nope")
        assert str(info.value) == "no study named 'nope'; `tunelab studies ls` lists the studies."

    @pytest.mark.parametrize("call", [
        lambda s: s.get_study_name(_ABSENT), lambda s: s.get_study_direction(_ABSENT),
        lambda s: s.get_trials(_ABSENT), lambda s: s.n_trials(_ABSENT), lambda s: s.create_trial(_ABSENT),
        lambda s: s.pop_waiting_trial(_ABSENT), lambda s: s.stale_trial_ids(_ABSENT),
        lambda s: s.set_study_attr(_ABSENT, "k", 1), lambda s: s.get_study_attrs(_ABSENT),
        lambda s: s.delete_study(_ABSENT),
    ])
    def test_unknown_study_id(self, storage: Storage, call: Any) -> None:
        storage.create_study("present", "minimize")
        with pytest.raises(StudyNotFoundError, match=f"no study with id {_ABSENT}"):
            call(storage)

    def test_list_studies(self, storage: Storage) -> None:
        assert storage.list_studies() == []
        low = storage.create_study("low", "minimize")
        high = storage.create_study("high", "maximize")
        storage.create_study("empty", "minimize")
        for value in (3.0, 1.0, 2.0):
            self.finished(storage, low, value)
            self.finished(storage, high, value)
        tid, _ = storage.create_trial(low)
        storage.finish_trial(tid, FAIL, error="boom")
        storage.set_study_attr(low, "dataset", "iris")
        storage.set_study_attr(low, "hidden", 1, system=True)
        summaries = storage.list_studies()
        assert all(isinstance(s, StudySummary) for s in summaries)
        assert [s.name for s in summaries] == ["low", "high", "empty"]
        assert [s.n_trials for s in summaries] == [4, 3, 0]
        assert [s.best_value for s in summaries] == [1.0, 3.0, None]
        assert summaries[0].user_attrs == {"dataset": "iris"}
        assert summaries[0].datetime_start is not None

    def test_study_attrs_are_json_and_namespaced(self, storage: Storage) -> None:
        sid = storage.create_study("s", "minimize")
        value = {"list": [1, 2.5, "x", None, True], "nested": {"a": {"b": []}}}
        storage.set_study_attr(sid, "cfg", value)
        storage.set_study_attr(sid, "cfg", "system", system=True)
        storage.set_study_attr(sid, "n", 1)
        storage.set_study_attr(sid, "n", 2)  # overwrite
        assert storage.get_study_attrs(sid) == {"cfg": value, "n": 2}
        assert storage.get_study_attrs(sid, system=True) == {"cfg": "system"}

    def test_delete_study_removes_its_trials(self, storage: Storage) -> None:
        sid = storage.create_study("gone", "minimize")
        keep = storage.create_study("kept", "minimize")
        tid = self.finished(storage, sid, 1.0, x=1.0)
        kept_tid = self.finished(storage, keep, 2.0, x=2.0)
        storage.get_trials(sid)  # warm any cache
        storage.delete_study(sid)
        with pytest.raises(StudyNotFoundError):
            storage.get_study_id("gone")
        with pytest.raises(KeyError):
            storage.get_trial(tid)
        assert [s.name for s in storage.list_studies()] == ["kept"]
        assert storage.get_trial(kept_tid).value == 2.0
        again = storage.create_study("gone", "maximize")  # the name is free again
        assert storage.get_trials(again) == []
        tid2, number = storage.create_trial(again)
        assert number == 0
        storage.set_param(tid2, "x", Int(0, 3), 2)  # the old distribution of "x" is gone too

    # -- creating trials ---------------------------------------------------------------------------
    def test_trial_numbers_count_per_study(self, storage: Storage) -> None:
        a, b = storage.create_study("a", "minimize"), storage.create_study("b", "minimize")
        made = [storage.create_trial(a), storage.create_trial(b), storage.create_trial(a)]
        assert [number for _, number in made] == [0, 0, 1]
        assert len({tid for tid, _ in made}) == 3
        trial = storage.get_trial(made[0][0])
        assert isinstance(trial, FrozenTrial)
        assert (trial.number, trial.state, trial.value) == (0, RUNNING, None)
        assert trial.datetime_start is not None and trial.datetime_complete is None
        assert storage.n_trials(a) == 2 and storage.n_trials(b) == 1

    def test_create_trial_rejects_finished_states(self, storage: Storage) -> None:
        sid = storage.create_study("s", "minimize")
        with pytest.raises(ValueError, match="`state` must be RUNNING or WAITING"):
            storage.create_trial(sid, state=COMPLETE)
        assert storage.n_trials(sid) == 0

    def test_waiting_trials_are_popped_oldest_first(self, storage: Storage) -> None:
        sid = storage.create_study("q", "minimize")
        assert storage.pop_waiting_trial(sid) is None
        first = storage.create_trial(sid, state=WAITING, fixed_params={"x": 0.5},
                                     system_attrs={"retried_from": 3})
        storage.create_trial(sid)  # a RUNNING one in between is not popped
        second = storage.create_trial(sid, state=WAITING, fixed_params={"x": 0.7})
        waiting = storage.get_trial(first[0])
        assert waiting.state == WAITING and waiting.datetime_start is None
        assert waiting.system_attrs == {"retried_from": 3, "fixed_params": {"x": 0.5}}
        assert storage.pop_waiting_trial(sid) == first
        assert storage.pop_waiting_trial(sid) == second
        assert storage.pop_waiting_trial(sid) is None
        popped = storage.get_trial(first[0])
        assert popped.state == RUNNING and popped.datetime_start is not None
        assert storage.n_trials(sid, states=(RUNNING,)) == 3

    def test_numbers_unique_across_threads(self, storage: Storage) -> None:
        sid = storage.create_study("threads", "minimize")
        numbers: list[int] = []

        def work() -> None:
            for i in range(8):
                tid, number = storage.create_trial(sid)
                storage.set_param(tid, "x", Float(0, 1), i / 10)
                storage.finish_trial(tid, COMPLETE, float(number))
                numbers.append(number)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(numbers) == list(range(32))
        assert [t.number for t in storage.get_trials(sid)] == list(range(32))
        assert all(t.value == t.number for t in storage.get_trials(sid))

    # -- writing to trials ---------------------------------------------------------------------------
    def test_params_round_trip(self, storage: Storage) -> None:
        sid = storage.create_study("p", "minimize")
        tid, _ = storage.create_trial(sid)
        space = {
            "lr": (Float(1e-5, 1e-1, log=True), 0.00123456789),
            "frac": (Float(0.0, 1.0, step=0.25), 0.75),
            "depth": (Int(1, 9, step=2), 7),
            "kind": (Categorical(("svm", None, True, 3, 2.5)), None),
            "flag": (Categorical((True, False)), False),
        }
        for name, (dist, value) in space.items():
            storage.set_param(tid, name, dist, value)
        trial = storage.get_trial(tid)
        assert trial.params == {name: value for name, (_, value) in space.items()}
        assert trial.distributions == {name: dist for name, (dist, _) in space.items()}
        assert type(trial.params["depth"]) is int and type(trial.params["flag"]) is bool

    def test_one_distribution_per_name(self, storage: Storage) -> None:
        sid = storage.create_study("d", "minimize")
        t1, _ = storage.create_trial(sid)
        storage.set_param(t1, "x", Float(0, 1), 0.5)
        t2, _ = storage.create_trial(sid)
        storage.set_param(t2, "x", Float(0, 1), 0.25)  # same distribution: fine
        with pytest.raises(ConflictingDistributionError, match="parameter 'x' is Float.* in study 'd'"):
            storage.set_param(t2, "x", Float(0, 2), 1.5)
        with pytest.raises(ValueError):  # also a ValueError
            storage.set_param(t2, "x", Int(0, 1), 1)
        assert storage.get_trial(t2).params == {"x": 0.25}
        other = storage.create_study("other", "minimize")
        t3, _ = storage.create_trial(other)
        storage.set_param(t3, "x", Int(0, 1), 1)  # another study may use another distribution

    def test_intermediate_values_keep_nan(self, storage: Storage) -> None:
        sid = storage.create_study("i", "minimize")
        tid, _ = storage.create_trial(sid)
        storage.set_intermediate(tid, 0, 1.5)
        storage.set_intermediate(tid, 3, float("nan"))
        storage.set_intermediate(tid, 1, float("inf"))
        storage.set_intermediate(tid, 0, 0.5)  # overwrite
        values = storage.get_trial(tid).intermediate_values
        assert set(values) == {0, 1, 3}
        assert values[0] == 0.5 and values[1] == math.inf and math.isnan(values[3])
        storage.finish_trial(tid, PRUNED, 0.5)
        assert math.isnan(storage.get_trials(sid)[0].intermediate_values[3])

    def test_trial_attrs(self, storage: Storage) -> None:
        sid = storage.create_study("a", "minimize")
        tid, _ = storage.create_trial(sid)
        value = {"scores": [0.5, float("nan")], "name": "ok"}
        storage.set_trial_user_attr(tid, "report", value)
        storage.set_trial_system_attr(tid, "host", "here")
        trial = storage.get_trial(tid)
        assert trial.user_attrs["report"]["name"] == "ok"
        assert math.isnan(trial.user_attrs["report"]["scores"][1])
        assert trial.system_attrs == {"host": "here"}
        waiting, _ = storage.create_trial(sid, state=WAITING)
        storage.set_trial_system_attr(waiting, "note", 1)  # allowed while WAITING
        with pytest.raises(TrialFinishedError, match="is WAITING and cannot change"):
            storage.set_trial_user_attr(waiting, "k", 1)

    def test_non_json_attr_is_refused(self, storage: Storage) -> None:
        sid = storage.create_study("j", "minimize")
        tid, _ = storage.create_trial(sid)
        if type(storage).__name__ == "InMemoryStorage":
            pytest.skip("the in-memory store keeps Python objects; JSON is checked by Trial/Study first")
        with pytest.raises(TypeError):
            storage.set_trial_user_attr(tid, "obj", object())
        assert storage.get_trial(tid).user_attrs == {}

    # -- finishing -----------------------------------------------------------------------------------
    def test_finish_states(self, storage: Storage) -> None:
        sid = storage.create_study("f", "minimize")
        ids = [storage.create_trial(sid)[0] for _ in range(3)]
        storage.finish_trial(ids[0], COMPLETE, 0.25)
        storage.finish_trial(ids[1], PRUNED, 3.0)
        storage.finish_trial(ids[2], FAIL, error="Traceback: boom")
        done = storage.get_trials(sid)
        assert [(t.state, t.value, t.error) for t in done] == [
            (COMPLETE, 0.25, None), (PRUNED, 3.0, None), (FAIL, None, "Traceback: boom")]
        assert all(t.datetime_complete is not None and t.duration is not None for t in done)
        assert done[0].datetime_complete >= done[0].datetime_start  # type: ignore[operator]

    def test_finish_rejects_unfinished_state(self, storage: Storage) -> None:
        tid, _ = storage.create_trial(storage.create_study("f", "minimize"))
        with pytest.raises(ValueError, match="`state` must be COMPLETE, PRUNED or FAIL"):
            storage.finish_trial(tid, RUNNING)
        assert storage.get_trial(tid).state == RUNNING

    @pytest.mark.parametrize("write", [
        lambda s, t: s.finish_trial(t, COMPLETE, 2.0),
        lambda s, t: s.set_param(t, "y", Float(0, 1), 0.5),
        lambda s, t: s.set_intermediate(t, 5, 1.0),
        lambda s, t: s.set_trial_user_attr(t, "k", 1),
        lambda s, t: s.set_trial_system_attr(t, "k", 1),
    ])
    def test_finished_trials_are_immutable(self, storage: Storage, write: Any) -> None:
        sid = storage.create_study("imm", "minimize")
        tid = self.finished(storage, sid, 1.0, x=0.5)
        before = storage.get_trial(tid)
        with pytest.raises(TrialFinishedError, match="trial 0 is COMPLETE and cannot change"):
            write(storage, tid)
        after = storage.get_trial(tid)
        assert (after.value, after.params, after.user_attrs, after.intermediate_values) == (
            before.value, before.params, before.user_attrs, before.intermediate_values)

    @pytest.mark.parametrize("write", [
        lambda s, t: s.finish_trial(t, COMPLETE, 2.0),
        lambda s, t: s.set_param(t, "y", Float(0, 1), 0.5),
        lambda s, t: s.set_intermediate(t, 5, 1.0),
        lambda s, t: s.set_trial_system_attr(t, "k", 1),
        lambda s, t: s.get_trial(t),
    ])
    def test_unknown_trial_id(self, storage: Storage, write: Any) -> None:
        storage.create_trial(storage.create_study("s", "minimize"))
        with pytest.raises(KeyError, match=f"no trial with id {_ABSENT}"):
            write(storage, _ABSENT)

    # -- reading -------------------------------------------------------------------------------------
    def test_get_trials_filters_and_follows_changes(self, storage: Storage) -> None:
        sid = storage.create_study("r", "minimize")
        running, _ = storage.create_trial(sid)
        self.finished(storage, sid, 5.0, x=1.0)
        first = storage.get_trials(sid)
        assert [t.state for t in first] == [RUNNING, COMPLETE]
        storage.set_param(running, "x", Float(-100, 100), 2.0)
        storage.finish_trial(running, COMPLETE, 4.0)
        again = storage.get_trials(sid)
        assert [(t.number, t.state, t.value, t.params) for t in again] == [
            (0, COMPLETE, 4.0, {"x": 2.0}), (1, COMPLETE, 5.0, {"x": 1.0})]
        assert first[0].state == RUNNING and first[0].params == {}  # snapshots do not change
        storage.create_trial(sid, state=WAITING)
        assert [t.number for t in storage.get_trials(sid, states=(WAITING,))] == [2]
        assert [t.number for t in storage.get_trials(sid, states={COMPLETE})] == [0, 1]
        assert storage.get_trials(sid, states=()) == []
        assert storage.n_trials(sid) == 3
        assert storage.n_trials(sid, states=(COMPLETE,)) == 2
        assert storage.n_trials(sid, states=(FAIL, PRUNED)) == 0

    def test_get_trials_of_an_empty_study(self, storage: Storage) -> None:
        sid = storage.create_study("empty", "minimize")
        assert storage.get_trials(sid) == []
        assert storage.n_trials(sid) == 0

    # -- heartbeats and stale trials -------------------------------------------------------------------
    def test_stale_by_heartbeat(self, storage: Storage) -> None:
        storage.grace_period = 1.5  # well above a slow round trip on a loaded CI machine (0.3 s was not)
        sid = storage.create_study("hb", "minimize")
        old, _ = storage.create_trial(sid)
        beating, _ = storage.create_trial(sid)
        done = self.finished(storage, sid, 1.0)
        assert storage.stale_trial_ids(sid) == []
        time.sleep(1.6)
        storage.heartbeat([beating, done])
        assert storage.stale_trial_ids(sid) == [old]
        failed = storage.fail_stale_trials(sid)
        assert [(t.trial_id, t.state) for t in failed] == [(old, FAIL)]
        assert "died" in (failed[0].error or "")
        assert storage.stale_trial_ids(sid) == []
        assert storage.get_trial(beating).state == RUNNING

    def test_stale_when_owner_process_is_gone(self, storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
        sid = storage.create_study("dead", "minimize")
        alive, _ = storage.create_trial(sid)
        dead_pid = _dead_pid()
        with monkeypatch.context() as patch:
            patch.setattr(os, "getpid", lambda: dead_pid)
            orphan, _ = storage.create_trial(sid)
        waiting, _ = storage.create_trial(sid, state=WAITING)
        assert storage.stale_trial_ids(sid) == [orphan]
        assert [t.trial_id for t in storage.fail_stale_trials(sid)] == [orphan]
        assert [t.state for t in storage.get_trials(sid)] == [RUNNING, FAIL, WAITING]
        assert alive != waiting

    # -- sealed hold-out sets ----------------------------------------------------------------------------
    def test_holdout_looks(self, storage: Storage) -> None:
        looks = [
            {"name": "test", "data_fingerprint": "f1", "time": 1.0, "model_fingerprint": "m", "scoring": "acc",
             "score": 0.9},
            {"name": "other", "data_fingerprint": "f1", "time": 2.0, "model_fingerprint": "m", "scoring": "acc",
             "score": 0.8},
            {"name": "third", "data_fingerprint": "f3", "time": 3.0, "model_fingerprint": "n", "scoring": "acc",
             "score": 0.7},
        ]
        for look in looks:
            storage.record_holdout_look(look)
        assert storage.holdout_looks(name="test") == [looks[0]]
        assert storage.holdout_looks(data_fingerprint="f1") == looks[:2]
        assert storage.holdout_looks(name="third", data_fingerprint="f1") == looks
        assert storage.holdout_looks() == []
        assert storage.holdout_looks(name="missing") == []

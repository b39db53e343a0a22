"""The sealed test set: recorded looks, warnings, strict refusal, fingerprints, refused training."""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

import tunelab
from tunelab.exceptions import TunelabWarning
from tunelab.holdout import SealedSet, SealedSetError, check_not_sealed, data_fingerprint, seal
from tunelab.sklearn import TuneSearchCV


@pytest.fixture
def data() -> tuple[Any, Any, Any, Any]:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 4))
    y = (X[:, 0] + 0.3 * rng.normal(size=120) > 0).astype(int)
    return X[:90], y[:90], X[90:], y[90:]


def test_every_look_is_recorded_and_the_second_warns(data: tuple[Any, ...]) -> None:
    X_train, y_train, X_test, y_test = data
    store = tunelab.get_storage(":memory:")
    test = seal(X_test, y_test, name="final", storage=store)
    model = LogisticRegression().fit(X_train, y_train)
    first = test.evaluate(model, scoring="accuracy")
    assert first == pytest.approx(float((model.predict(X_test) == y_test).mean()))
    with pytest.warns(TunelabWarning, match=r"'final' is being looked at again: 1 earlier look"):
        second = test.evaluate(model)
    assert second == pytest.approx(first)
    looks = store.holdout_looks(name="final")
    assert [look["scoring"] for look in looks] == ["accuracy", "model.score"]
    assert looks[0]["data_fingerprint"] == test.fingerprint == data_fingerprint(X_test, y_test)
    assert looks[0]["model_fingerprint"] == looks[1]["model_fingerprint"]
    assert looks[0]["model"] == "LogisticRegression" and looks[0]["time"] <= looks[1]["time"]
    other = LogisticRegression(C=0.01).fit(X_train, y_train)
    with pytest.warns(TunelabWarning, match="2 earlier look"):
        test.evaluate(other, scoring="accuracy")
    assert store.holdout_looks(name="final")[2]["model_fingerprint"] != looks[0]["model_fingerprint"]


def test_strict_mode_refuses_the_second_look_without_recording(data: tuple[Any, ...]) -> None:
    X_train, y_train, X_test, y_test = data
    store = tunelab.get_storage(":memory:")
    test = seal(X_test, y_test, name="strict", storage=store, strict=True)
    model = LogisticRegression().fit(X_train, y_train)
    test.evaluate(model)
    with pytest.raises(SealedSetError, match=r"'strict' is strict and has already been looked at 1 time"):
        test.evaluate(model)
    assert len(test.looks) == 1


def test_the_same_data_under_another_name_is_recognised(data: tuple[Any, ...]) -> None:
    X_train, y_train, X_test, y_test = data
    store = tunelab.get_storage(":memory:")
    model = LogisticRegression().fit(X_train, y_train)
    seal(X_test, y_test, name="first-name", storage=store).evaluate(model)
    renamed = seal(pd.DataFrame(X_test.copy()), pd.Series(y_test), name="second-name", storage=store)
    assert renamed.fingerprint != data_fingerprint(X_test, y_test)  # DataFrame column names are hashed
    frame_test = seal(X_test.copy(), list(y_test), name="second-name", storage=store)
    assert frame_test.fingerprint == data_fingerprint(X_test, y_test)
    with pytest.warns(TunelabWarning, match="'first-name'"):
        frame_test.evaluate(model)


def test_fingerprints_follow_content_not_objects() -> None:
    a = np.arange(12.0).reshape(4, 3)
    frame = pd.DataFrame(a, columns=list("abc"))
    assert data_fingerprint(a, [0, 1, 0, 1]) == data_fingerprint(a.copy(order="F"), np.array([0, 1, 0, 1]))
    assert data_fingerprint(frame, None) == data_fingerprint(frame.set_index(frame.index + 10), None)
    assert data_fingerprint(frame, None) != data_fingerprint(frame.rename(columns={"a": "z"}), None)
    assert data_fingerprint(a, None) != data_fingerprint(a.astype(np.float32), None)
    assert data_fingerprint(np.array(["x", "y"], dtype=object)) == data_fingerprint(np.array(["x", "y"], dtype=object))


def test_training_on_sealed_data_is_refused(data: tuple[Any, ...]) -> None:
    _, _, X_test, y_test = data
    test = seal(X_test, y_test, name="guarded", storage=tunelab.get_storage(":memory:"))
    search = TuneSearchCV(DecisionTreeClassifier(), {"max_depth": [1, 2]}, sampler="grid", cv=3)
    with pytest.raises(SealedSetError, match="TuneSearchCV.fit refuses to train on a sealed test set"):
        search.fit(test, y_test)
    with pytest.raises(SealedSetError, match="equals the X of sealed set 'guarded'"):
        search.fit(X_test.copy(), y_test)
    with pytest.raises(SealedSetError, match="cannot be turned into an array"):
        np.asarray(test)
    check_not_sealed(X_test[:-1], y_test[:-1], where="fit")  # a different set passes


def test_bad_arguments() -> None:
    store = tunelab.get_storage(":memory:")
    X = np.zeros((3, 2))
    with pytest.raises(ValueError, match="same number of rows"):
        seal(X, [0, 1], storage=store)
    with pytest.raises(ValueError, match="`name` must be a non-empty str"):
        seal(X, [0, 1, 0], name="", storage=store)
    with pytest.raises(TypeError, match="`strict` must be True or False"):
        seal(X, [0, 1, 0], strict="yes", storage=store)  # type: ignore[arg-type]
    sealed = seal(X, [0, 1, 0], name="x", storage=store)
    assert isinstance(sealed, SealedSet) and len(sealed) == 3 and "fingerprint=" in repr(sealed)
    with pytest.raises(SealedSetError, match="already a SealedSet"):
        seal(sealed, [0, 1, 0], storage=store)
    with pytest.raises(ValueError, match="scorer name"):
        sealed.evaluate(LogisticRegression(), scoring="acc")


def _sql_records_looks() -> bool:
    if importlib.util.find_spec("tunelab.storage.sql") is None:
        return False
    from tunelab.storage.base import Storage
    from tunelab.storage.sql import SQLStorage

    return SQLStorage.record_holdout_look is not Storage.record_holdout_look


@pytest.mark.skipif(not _sql_records_looks(), reason="SQLStorage does not record sealed-set looks yet")
def test_looks_persist_in_a_sqlite_store(data: tuple[Any, ...], tmp_path: Any) -> None:
    X_train, y_train, X_test, y_test = data
    url = f"sqlite:///{tmp_path / 'looks.db'}"
    model = LogisticRegression().fit(X_train, y_train)
    seal(X_test, y_test, name="disk", storage=url).evaluate(model)
    reopened = seal(X_test, y_test, name="disk-again", storage=url)
    with pytest.warns(TunelabWarning, match="'disk'"):
        reopened.evaluate(model)
    assert len(reopened.looks) == 2

"""A sealed test set: every look at it is recorded, the second one warns, strict mode refuses.

A test set that is looked at while choosing a model stops being a test set: its score becomes
one more thing that was tuned. :func:`seal` wraps ``X_test, y_test`` so that the only way to
use them is :meth:`SealedSet.evaluate`, which records each look (time, model fingerprint, scoring,
score) in the store. Looks are found again by name *and* by a fingerprint of the data
(SHA-256 of ``X`` and ``y``), so sealing the same data again under another name is recognised.

Training on sealed data is refused: :class:`~tunelab.sklearn.TuneSearchCV` and
:func:`~tunelab.sklearn.nested_cv` call :func:`check_not_sealed`, which rejects a
:class:`SealedSet` object, and any ``X`` whose contents equal the ``X`` of a sealed set that is
still alive in this process (compared by fingerprint, only when the number of rows matches). A
training set that merely *contains* some sealed rows is not detected.

Example:
    >>> import numpy as np, tunelab
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(60, 3)), np.arange(60) % 2
    >>> store = tunelab.get_storage(":memory:")
    >>> test = seal(X[40:], y[40:], name="demo", storage=store)
    >>> model = LogisticRegression().fit(X[:40], y[:40])
    >>> 0.0 <= test.evaluate(model, scoring="accuracy") <= 1.0
    True
    >>> len(test.looks)
    1
"""

from __future__ import annotations

import hashlib
import time
import warnings
import weakref
from pathlib import Path
from typing import Any

from tunelab.exceptions import SealedSetError, TunelabWarning
from tunelab.storage.base import Storage, get_storage

__all__ = ["SealedSet", "SealedSetError", "check_not_sealed", "data_fingerprint", "seal"]

# (n_rows, fingerprint of X) -> the live SealedSet; an entry goes when its SealedSet is collected
_SEALED_X: weakref.WeakValueDictionary[tuple[int, str], SealedSet] = weakref.WeakValueDictionary()


def _array_digest(h: Any, data: Any) -> None:
    """Feed one array-like (numpy, pandas, scipy.sparse, list) into the hash ``h``."""
    import numpy as np

    if data is None:
        h.update(b"none")
        return
    if hasattr(data, "tocsr") and hasattr(data, "nnz"):  # scipy.sparse
        csr = data.tocsr()
        h.update(f"sparse{csr.shape}{csr.dtype}".encode())
        for part in (csr.data, csr.indices, csr.indptr):
            h.update(np.ascontiguousarray(part).tobytes())
        return
    if hasattr(data, "columns") and hasattr(data, "dtypes"):  # pandas DataFrame
        h.update(repr([str(c) for c in data.columns]).encode())
        data = data.to_numpy()
    elif hasattr(data, "to_numpy"):  # pandas Series
        data = data.to_numpy()
    arr = np.asarray(data)
    h.update(f"{arr.shape}|{arr.dtype.kind}".encode())
    if arr.dtype.kind == "O":  # pointers are not content: hash the values' reprs
        h.update("\x1f".join(repr(v) for v in arr.ravel().tolist()).encode())
    else:
        h.update(np.ascontiguousarray(arr).tobytes())


def data_fingerprint(X: Any, y: Any = None) -> str:
    """SHA-256 (hex) of the contents of ``X`` and ``y``: numpy, pandas, scipy.sparse or lists.

    Equal data gives equal fingerprints whatever object holds it; the index of a pandas object
    is ignored, its column names are not.

    Example:
        >>> import numpy as np
        >>> a = np.arange(6.0).reshape(3, 2)
        >>> data_fingerprint(a, [0, 1, 0]) == data_fingerprint(a.copy(), np.array([0, 1, 0]))
        True
        >>> data_fingerprint(a, [0, 1, 0]) == data_fingerprint(a, [1, 1, 0])
        False
    """
    h = hashlib.sha256()
    _array_digest(h, X)
    h.update(b"|y|")
    _array_digest(h, y)
    return h.hexdigest()


def _n_rows(X: Any) -> int | None:
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) >= 1:
        return int(shape[0])
    try:
        return len(X)
    except TypeError:
        return None


def _model_fingerprint(model: Any) -> str:
    cls = type(model)
    get_params = getattr(model, "get_params", None)
    detail = repr(sorted(get_params(deep=False).items())) if callable(get_params) else repr(model)
    text = f"{cls.__module__}.{cls.__qualname__}|{detail}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class SealedSet:
    """A test set that can only be scored, with every look recorded. Build it with :func:`seal`.

    Example:
        >>> import numpy as np, tunelab
        >>> test = seal(np.zeros((4, 2)), [0, 1, 0, 1], name="t", storage=tunelab.get_storage(":memory:"))
        >>> test.name, test.n_samples, test.strict
        ('t', 4, False)
    """

    def __init__(self, X: Any, y: Any, *, name: str, storage: Storage, strict: bool) -> None:
        self._X = X
        self._y = y
        self._name = name
        self._storage = storage
        self._strict = strict
        self._fingerprint = data_fingerprint(X, y)
        self._n_samples = _n_rows(X) or 0

    @property
    def name(self) -> str:
        """The name looks are recorded under."""
        return self._name

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the sealed ``X`` and ``y`` (see :func:`data_fingerprint`)."""
        return self._fingerprint

    @property
    def n_samples(self) -> int:
        """Number of rows in the sealed set."""
        return self._n_samples

    @property
    def strict(self) -> bool:
        """True if a second look raises instead of warning."""
        return self._strict

    @property
    def storage(self) -> Storage:
        """The store the looks are recorded in."""
        return self._storage

    @property
    def looks(self) -> list[dict[str, Any]]:
        """Every recorded look at this set, under its name or at the same data, oldest first."""
        return self._storage.holdout_looks(name=self._name, data_fingerprint=self._fingerprint)

    def evaluate(self, model: Any, scoring: str | Any = None) -> float:
        """Score a fitted model on the sealed set and record the look.

        Args:
            model: A fitted estimator.
            scoring: None for ``model.score(X, y)``, a scikit-learn scorer name such as
                ``"accuracy"``, or a callable ``scorer(model, X, y)``.

        Returns:
            The score.

        Raises:
            SealedSetError: ``strict=True`` and the set (or the same data under another name)
                has been looked at before; nothing is scored or recorded.
            ValueError: ``scoring`` is not a known scorer name.

        Warns:
            TunelabWarning: From the second look on, naming how many looks came before and under
            which names.

        Example:
            >>> import numpy as np, tunelab
            >>> from sklearn.dummy import DummyClassifier
            >>> X, y = np.zeros((6, 1)), [0, 0, 0, 1, 1, 1]
            >>> test = seal(X, y, name="t", storage=tunelab.get_storage(":memory:"))
            >>> test.evaluate(DummyClassifier().fit(X, y))
            0.5
        """
        previous = self.looks
        if previous and self._strict:
            raise SealedSetError(
                f"sealed set {self._name!r} is strict and has already been looked at "
                f"{len(previous)} time(s) ({_describe(previous)}); a second look would tune on the "
                "test set. Estimate performance with tunelab.sklearn.nested_cv, or seal a fresh hold-out."
            )
        scorer, scoring_name = _resolve_scoring(scoring)
        score = float(model.score(self._X, self._y) if scorer is None else scorer(model, self._X, self._y))
        self._storage.record_holdout_look({
            "name": self._name, "data_fingerprint": self._fingerprint, "time": time.time(),
            "model_fingerprint": _model_fingerprint(model), "model": type(model).__name__,
            "scoring": scoring_name, "score": score, "n_samples": self._n_samples,
        })
        if previous:
            warnings.warn(
                f"sealed set {self._name!r} is being looked at again: {len(previous)} earlier look(s) "
                f"({_describe(previous)}). Every look leaks test information into your choices; "
                "report the first score, or use nested cross-validation.",
                TunelabWarning, stacklevel=2,
            )
        return score

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise SealedSetError(
            f"sealed set {self._name!r} cannot be turned into an array; score a fitted model "
            "with .evaluate(model) instead."
        )

    def __len__(self) -> int:
        return self._n_samples

    def __repr__(self) -> str:
        return (f"SealedSet(name={self._name!r}, n_samples={self._n_samples}, "
                f"fingerprint={self._fingerprint[:12]!r}, strict={self._strict})")


def _describe(looks: list[dict[str, Any]]) -> str:
    names = sorted({str(look.get("name")) for look in looks})
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(looks[-1].get("time", 0.0))))
    return f"under the name(s) {', '.join(repr(n) for n in names)}; last at {when}"


def _resolve_scoring(scoring: Any) -> tuple[Any, str]:
    if scoring is None:
        return None, "model.score"
    if isinstance(scoring, str):
        from sklearn.metrics import get_scorer, get_scorer_names

        if scoring not in get_scorer_names():
            raise ValueError(
                f"`scoring` must be a scikit-learn scorer name (see sklearn.metrics.get_scorer_names()), "
                f"a callable scorer(model, X, y) or None, got {scoring!r}."
            )
        return get_scorer(scoring), scoring
    if callable(scoring):
        return scoring, getattr(scoring, "__name__", repr(scoring))
    raise TypeError(f"`scoring` must be None, a scorer name or a callable, got {scoring!r}.")


def seal(
    X_test: Any,
    y_test: Any,
    name: str = "test",
    storage: str | Path | Storage | None = None,
    strict: bool = False,
) -> SealedSet:
    """Seal a test set: it can then only be scored through :meth:`SealedSet.evaluate`.

    Args:
        X_test: Features of the hold-out set (numpy, pandas, scipy.sparse or lists).
        y_test: Its targets.
        name: Name the looks are recorded under.
        storage: Where looks are recorded: None for the default store (as
            :func:`tunelab.create_study`), a URL or path, ``":memory:"`` or a Storage object.
            A ``":memory:"`` string makes a new store each call; pass the same Storage object to
            let two sealed sets see each other's looks.
        strict: Raise :class:`SealedSetError` on a second look instead of warning.

    Returns:
        The sealed set.

    Example:
        >>> import numpy as np, tunelab
        >>> store = tunelab.get_storage(":memory:")
        >>> X, y = np.eye(3), [0, 1, 1]
        >>> seal(X, y, name="a", storage=store).fingerprint == seal(X, y, name="b", storage=store).fingerprint
        True
    """
    if isinstance(X_test, SealedSet) or isinstance(y_test, SealedSet):
        raise SealedSetError("`X_test` is already a SealedSet; seal the raw arrays once.")
    if not isinstance(name, str) or not name:
        raise ValueError(f"`name` must be a non-empty str, got {name!r}.")
    if not isinstance(strict, bool):
        raise TypeError(f"`strict` must be True or False, got {strict!r}.")
    n_x, n_y = _n_rows(X_test), _n_rows(y_test)
    if n_x is None or n_x == 0 or (y_test is not None and n_x != n_y):
        raise ValueError(
            f"`X_test` and `y_test` must be non-empty with the same number of rows, got {n_x} and {n_y}."
        )
    sealed = SealedSet(X_test, y_test, name=name, storage=get_storage(storage), strict=strict)
    _SEALED_X[(n_x, data_fingerprint(X_test))] = sealed
    return sealed


def check_not_sealed(X: Any, y: Any = None, *, where: str) -> None:
    """Raise :class:`SealedSetError` if ``X`` or ``y`` is a SealedSet or ``X`` is sealed data.

    Args:
        X: Training features about to be fitted on.
        y: Training targets.
        where: The caller's name, for the message (e.g. ``"TuneSearchCV.fit"``).

    Example:
        >>> import numpy as np, tunelab
        >>> X = np.arange(8.0).reshape(4, 2)
        >>> held = seal(X, [0, 1, 0, 1], name="held", storage=tunelab.get_storage(":memory:"))
        >>> check_not_sealed(X.copy(), where="fit")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tunelab.exceptions.SealedSetError: fit refuses to train on sealed data: `X` equals the X of sealed set 'held'. ...
    """
    for label, value in (("X", X), ("y", y)):
        if isinstance(value, SealedSet):
            raise SealedSetError(
                f"{where} refuses to train on a sealed test set: `{label}` is {value!r}. Train on "
                "the training split and score the final model once with .evaluate(model)."
            )
    n_rows = _n_rows(X)
    if n_rows is None or not any(rows == n_rows for rows, _ in list(_SEALED_X.keys())):
        return
    sealed = _SEALED_X.get((n_rows, data_fingerprint(X)))
    if sealed is not None:
        raise SealedSetError(
            f"{where} refuses to train on sealed data: `X` equals the X of sealed set {sealed.name!r}. "
            "Pass the training split; the sealed set is for one final .evaluate(model)."
        )

"""Checks :class:`~tunelab.sklearn.TuneSearchCV` runs before any model is fitted.

Each raises :class:`SearchCVError` (a ``ValueError``) naming the parameter, the rule, the value
received and the fix, so a typo costs nothing instead of an hour of fits.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tunelab.exceptions import SearchCVError

__all__ = ["SearchCVError", "Scoring", "check_cv", "check_options", "check_scoring"]


@dataclass(frozen=True)
class Scoring:
    """The resolved scoring: what ``cross_validate`` gets, metric names, and ``scorer_``."""

    spec: Any
    names: tuple[str, ...] | None  # None: single metric, or a callable whose output is not known yet
    multimetric: bool
    refit_metric: str
    scorer: Any


def _scorer_from_name(name: Any, where: str) -> Any:
    from sklearn.metrics import get_scorer, get_scorer_names

    if callable(name):
        return name
    if not isinstance(name, str) or name not in get_scorer_names():
        import difflib

        close = difflib.get_close_matches(str(name), get_scorer_names(), n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise SearchCVError(
            f"`{where}` must be a scikit-learn scorer name (sklearn.metrics.get_scorer_names()) or a "
            f"callable scorer(estimator, X, y), got {name!r}.{hint}"
        )
    return get_scorer(name)


def _check_refit(refit: Any, names: tuple[str, ...]) -> str:
    if refit is False or callable(refit):
        return names[0]
    if isinstance(refit, str) and refit in names:
        return refit
    raise SearchCVError(
        f"`refit` must be one of the scorer names {list(names)!r}, a callable or False when "
        f"`scoring` has several metrics, got {refit!r}."
    )


def check_scoring(estimator: Any, scoring: Any, refit: Any) -> Scoring:
    """Resolve ``scoring`` (None, name, callable, list/tuple of names, dict) and check ``refit``."""
    from sklearn.metrics import check_scoring as sk_check_scoring

    if not (isinstance(refit, bool) or isinstance(refit, str) or callable(refit)):
        raise SearchCVError(f"`refit` must be True, False, a scorer name or a callable, got {refit!r}.")
    if scoring is None or callable(scoring):
        try:
            scorer = sk_check_scoring(estimator, scoring)
        except TypeError as err:
            raise SearchCVError(f"`scoring`: {err} Pass scoring='accuracy', 'r2', ….") from None
        return Scoring(scoring, None, False, "score", scorer)
    if isinstance(scoring, str):
        return Scoring(scoring, None, False, "score", _scorer_from_name(scoring, "scoring"))
    if isinstance(scoring, (list, tuple, set)):
        names = tuple(scoring)
        if not names or len(set(names)) != len(names) or not all(isinstance(n, str) for n in names):
            raise SearchCVError(f"`scoring` as a list must hold distinct scorer names, got {scoring!r}.")
        scorers = {n: _scorer_from_name(n, f"scoring[{n!r}]") for n in names}
    elif isinstance(scoring, dict):
        if not scoring or not all(isinstance(k, str) for k in scoring):
            raise SearchCVError(f"`scoring` as a dict must map str names to scorers, got {scoring!r}.")
        names = tuple(scoring)
        scorers = {n: _scorer_from_name(s, f"scoring[{n!r}]") for n, s in scoring.items()}
    else:
        raise SearchCVError(
            f"`scoring` must be None, a scorer name, a callable, a list of names or a dict, got {scoring!r}."
        )
    return Scoring(dict(scorers), names, True, _check_refit(refit, names), scorers)


def check_cv(cv: Any, X: Any, y: Any, groups: Any, classifier: bool) -> tuple[Any, list[tuple[Any, Any]]]:
    """Resolve ``cv`` and compute the splits, refusing more folds than the smallest class has."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold
    from sklearn.model_selection import check_cv as sk_check_cv

    if isinstance(cv, bool) or (isinstance(cv, numbers.Integral) and cv < 2):
        raise SearchCVError(f"`cv` must be an int >= 2, a CV splitter or an iterable of splits, got {cv!r}.")
    splitter = sk_check_cv(cv, y, classifier=classifier)
    n_splits = splitter.get_n_splits(X, y, groups)
    n_samples = X.shape[0] if hasattr(X, "shape") else len(X)
    if n_splits > n_samples:
        raise SearchCVError(f"`cv` asks for {n_splits} folds but X has only {n_samples} samples; use cv <= {n_samples}.")
    if isinstance(splitter, StratifiedKFold) and y is not None:
        _, counts = np.unique(np.asarray(y), return_counts=True)
        if counts.min() < n_splits:
            raise SearchCVError(
                f"`cv` asks for {n_splits} stratified folds but the smallest class in y has only "
                f"{int(counts.min())} members; every fold needs each class. Use cv <= {int(counts.min())}, "
                "merge rare classes, or pass a non-stratified splitter such as KFold."
            )
    try:
        splits = list(splitter.split(X, y, groups))
    except ValueError as err:
        raise SearchCVError(f"`cv` could not split the data: {err}") from None
    return splitter, splits


def _int_at_least(name: str, value: Any, low: int, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        extra = " or None" if allow_none else ""
        raise SearchCVError(f"`{name}` must be an int >= {low}{extra}, got {value!r}.")


def check_options(search: Any) -> None:
    """Type/range checks of the plain options of a TuneSearchCV."""
    _int_at_least("n_trials", search.n_trials, 1)
    if search.timeout is not None and (
        isinstance(search.timeout, bool) or not isinstance(search.timeout, numbers.Real) or search.timeout <= 0
    ):
        raise SearchCVError(f"`timeout` must be a number of seconds > 0 or None, got {search.timeout!r}.")
    if search.n_jobs is not None and (isinstance(search.n_jobs, bool) or not isinstance(search.n_jobs, numbers.Integral)
                                      or search.n_jobs == 0 or search.n_jobs < -1):
        raise SearchCVError(f"`n_jobs` must be None, an int >= 1 or -1 (every core), got {search.n_jobs!r}.")
    if not isinstance(search.return_train_score, bool):
        raise SearchCVError(f"`return_train_score` must be True or False, got {search.return_train_score!r}.")
    if not (search.error_score == "raise" or (isinstance(search.error_score, numbers.Real)
                                              and not isinstance(search.error_score, bool))):
        raise SearchCVError(f"`error_score` must be 'raise' or a number (NaN allowed), got {search.error_score!r}.")
    if search.storage is not None and not isinstance(search.storage, (str, Path)):
        raise SearchCVError(
            f"`storage` must be None (a private in-memory study), ':memory:', a database URL or a path, "
            f"got {type(search.storage).__name__}; Storage objects cannot be cloned by scikit-learn."
        )
    if search.study_name is not None and (not isinstance(search.study_name, str) or not search.study_name):
        raise SearchCVError(f"`study_name` must be a non-empty str or None, got {search.study_name!r}.")
    if not isinstance(search.track, bool):
        raise SearchCVError(f"`track` must be True or False, got {search.track!r}.")
    if not isinstance(search.start_from_estimator, bool):
        raise SearchCVError(f"`start_from_estimator` must be True or False, got {search.start_from_estimator!r}.")

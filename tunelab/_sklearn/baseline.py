"""The estimator as given: the first candidate of a search, and ``TuneSearchCV(min_lead=...)``.

``TuneSearchCV(start_from_estimator=True)`` (the default) evaluates the estimator's own values of
the searched parameters before sampling any other candidate, when they lie in the space.

Choosing the candidate with the highest mean CV score selects on noise when many candidates are
about as good as each other: the winner is the one whose folds happened to be kind, and its
parameters need not generalise better than the ones the user started from. In the TuneSearchCV
benchmark (``docs/benchmarks_search_cv.md``) a RandomForest's scikit-learn defaults scored as
high in nested CV as every 36-candidate search, peers included. ``min_lead`` guards against it:
the estimator's own values (the *baseline*, the first trial of an adaptive search; a point of
the grid with ``sampler="grid"``) must lie in the space, and another candidate can be chosen
only if it leads the baseline on the same folds by more than ``min_lead`` standard errors of
the paired fold difference; among those and the baseline, the highest mean CV score wins."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from tunelab._sklearn.space import SearchSpace
from tunelab.exceptions import SearchCVError

__all__ = ["baseline_params", "check_min_lead", "own_params_in_space", "select_with_min_lead"]


def check_min_lead(min_lead: Any, refit: Any) -> None:
    """``min_lead`` is None or a finite number >= 0, and ``refit`` leaves the choice to it."""
    if min_lead is None:
        return
    if isinstance(min_lead, bool) or not isinstance(min_lead, numbers.Real) or not (
        math.isfinite(float(min_lead)) and float(min_lead) >= 0
    ):
        raise SearchCVError(f"`min_lead` must be None or a number of standard errors >= 0, got {min_lead!r}.")
    if callable(refit):
        raise SearchCVError("`min_lead` and a callable `refit` both choose the best candidate; pass one of them.")


def _stored_value(space: SearchSpace, name: str, value: Any) -> Any:
    """The study's value of ``value`` for parameter ``name``, or raise if the space lacks it."""
    labels = space.labels.get(name, {})
    for label, obj in labels.items():
        if obj is value:
            return label
    for label, obj in labels.items():
        try:
            if bool(obj == value):
                return label
        except Exception:  # objects whose == is not a truth value (arrays, some estimators)
            continue
    dist = space.distributions[name]
    try:
        inside = dist.contains(value)
    except (TypeError, ValueError):
        inside = False
    if not inside:
        raise SearchCVError(
            f"`min_lead` keeps the estimator as given unless a candidate beats it, so `param_space` must "
            f"contain the estimator's own values; {name}={value!r} is not in {dist!r}. Widen the space or "
            "set the estimator's parameter to a value inside it."
        )
    return value


def baseline_params(space: SearchSpace, estimator: Any) -> dict[str, Any]:
    """The estimator's own values of the searched parameters, as the study stores them.

    Raises:
        SearchCVError: A value lies outside its distribution.

    Example:
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> from tunelab._sklearn.space import build_space
        >>> tree = DecisionTreeClassifier(max_depth=3)
        >>> baseline_params(build_space({"max_depth": [1, 3, None]}, tree), tree)
        {'max_depth': 3}
    """
    own = estimator.get_params(deep=True)
    return {name: _stored_value(space, name, own[name]) for name in space.distributions}


def own_params_in_space(space: SearchSpace, estimator: Any) -> dict[str, Any] | None:
    """The estimator's own values as :func:`baseline_params` stores them, or None if one lies outside.

    Example:
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> from tunelab._sklearn.space import build_space
        >>> tree = DecisionTreeClassifier()  # max_depth=None
        >>> own_params_in_space(build_space({"max_depth": [3, None]}, tree), tree)
        {'max_depth': None}
        >>> own_params_in_space(build_space({"max_depth": [3, 5]}, tree), tree) is None
        True
    """
    try:
        return baseline_params(space, estimator)
    except SearchCVError:
        return None


def select_with_min_lead(results: dict[str, Any], metric: str, baseline: int, min_lead: float) -> int:
    """Index of the best candidate among the baseline and those leading it by ``min_lead`` SEs.

    A candidate qualifies if every fold was scored and the mean of its fold-by-fold differences
    to the baseline exceeds ``min_lead`` standard errors of those differences (and zero).

    Example:
        >>> import numpy as np
        >>> results = {"split0_test_score": np.array([0.80, 0.81, 0.90]),
        ...            "split1_test_score": np.array([0.70, 0.72, 0.79]),
        ...            "split2_test_score": np.array([0.75, 0.74, 0.86]),
        ...            "mean_test_score": np.array([0.75, 0.7567, 0.85])}
        >>> select_with_min_lead(results, "score", baseline=0, min_lead=2.0)
        2
        >>> results["split2_test_score"][2], results["mean_test_score"][2] = 0.60, 0.7633  # a lucky lead
        >>> select_with_min_lead(results, "score", baseline=0, min_lead=2.0)
        0
    """
    k = 0
    while f"split{k}_test_{metric}" in results:
        k += 1
    scores = np.column_stack([np.asarray(results[f"split{j}_test_{metric}"], dtype=float) for j in range(k)])
    diff = scores - scores[baseline]
    lead = diff.mean(axis=1)
    se = diff.std(axis=1, ddof=1) / math.sqrt(k) if k > 1 else np.zeros(len(diff))
    qualifies = np.isfinite(scores).all(axis=1) & (lead > 0) & (lead > min_lead * se)
    qualifies[baseline] = True
    means = np.where(qualifies, np.asarray(results[f"mean_test_{metric}"], dtype=float), -np.inf)
    return int(np.argmax(means))

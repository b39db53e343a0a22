"""Nested cross-validation: an outer CV around the whole search, and the optimism gap it exposes.

``best_score_`` of a search is the best of many noisy CV estimates, so it is biased upwards.
Nested CV refits the search on each outer training split and scores the chosen model on the
outer test split, which took no part in the choice. The optimism gap is the mean inner
``best_score_`` minus the mean outer score (meaningful when both use the same metric).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["NestedCVResult", "nested_cv"]


@dataclass(frozen=True, slots=True)
class NestedCVResult:
    """Outer scores of a nested CV with mean, sample std (ddof=1), 95% t interval and the gap.

    Attributes:
        outer_scores: Score of each outer fold's chosen model on its outer test split.
        mean, std, ci95: Their mean, sample standard deviation and 95% Student-t interval.
        inner_best_scores: The search's ``best_score_`` on each outer training split.
        best_params: The parameters chosen on each outer training split.
        optimism_gap: ``mean(inner_best_scores) - mean``; > 0 when ``best_score_`` flatters.
        scoring: The outer metric's name.
        studies: Each outer fold's tunelab study (None for searches without ``study_``).
        searches: Each outer fold's fitted search (its ``cv_results_``, ``best_estimator_`` …).

    Example:
        >>> r = NestedCVResult(outer_scores=(0.8, 0.9), mean=0.85, std=0.07, ci95=(0.2, 1.5),
        ...                    inner_best_scores=(0.9, 0.95), best_params=({}, {}), optimism_gap=0.075,
        ...                    scoring="accuracy")
        >>> round(r.inner_mean, 3)
        0.925
    """

    outer_scores: tuple[float, ...]
    mean: float
    std: float
    ci95: tuple[float, float]
    inner_best_scores: tuple[float, ...]
    best_params: tuple[dict[str, Any], ...]
    optimism_gap: float
    scoring: str
    studies: tuple[Any, ...] = field(default=(), compare=False, repr=False)
    searches: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    @property
    def inner_mean(self) -> float:
        """Mean of the inner ``best_score_`` values: the optimistic estimate."""
        return float(sum(self.inner_best_scores) / len(self.inner_best_scores))

    def __str__(self) -> str:
        return (f"nested CV {self.scoring}: {self.mean:.4f} ± {self.std:.4f} "
                f"(95% CI {self.ci95[0]:.4f} – {self.ci95[1]:.4f}); optimistic best_score_ "
                f"{self.inner_mean:.4f}, optimism gap {self.optimism_gap:+.4f}")

    def figure(self) -> Any:
        """A plotly figure of the optimistic vs the nested estimate, with error bars.

        Drawn by :func:`tunelab.viz.plot_scores_with_error_bars` (the chart multi-seed reports
        use too, and only one implementation of it). Two bars with 95% Student-t intervals (± std if a side has a single score): the inner
        ``best_score_`` of each outer fold (optimistic) and the outer scores (nested), with each
        fold's score as a point; the title gives the optimism gap.

        Example:
            >>> r = NestedCVResult((0.8, 0.9), 0.85, 0.07, (0.2, 1.5), (0.9, 0.95), ({}, {}), 0.075, "acc")
            >>> [trace.type for trace in r.figure().data]
            ['bar', 'scatter']
        """
        from tunelab.viz.error_bars import plot_scores_with_error_bars

        scores = {"optimistic: best_score_": self.inner_best_scores, "nested CV: outer score": self.outer_scores}
        error: Literal["std", "ci"] = "ci" if min(len(v) for v in scores.values()) >= 2 else "std"
        fig = plot_scores_with_error_bars(scores, error=error, confidence=0.95, metric_name=self.scoring)
        what = "95% CI" if error == "ci" else "± std"
        fig.update_layout(title=f"Optimism gap {self.optimism_gap:+.4f} ({self.scoring}; mean {what})")
        return fig


def _outer_scorer(scoring: Any) -> tuple[Any, str]:
    if scoring is None:
        return None, "search scoring"
    from tunelab._sklearn.checks import _scorer_from_name

    return _scorer_from_name(scoring, "scoring"), scoring if isinstance(scoring, str) else repr(scoring)


def nested_cv(search: Any, X: Any, y: Any, outer_cv: Any = 5, scoring: Any = None) -> NestedCVResult:
    """Run ``search`` inside an outer cross-validation and report the unbiased outer scores.

    Works with any scikit-learn search estimator that refits (``TuneSearchCV``,
    ``GridSearchCV`` …). For a ``TuneSearchCV``, each outer fold's study is named
    ``"<study_name>-outer<k>"`` (kept in its ``storage`` when that is a URL) and returned in
    :attr:`NestedCVResult.studies`.

    Args:
        search: An unfitted search estimator with ``refit`` enabled; it is cloned per fold.
        X: Data; a sealed test set is refused.
        y: Targets.
        outer_cv: Outer folds (int >= 2, stratified for classifiers), a splitter or splits.
        scoring: None scores with the search's own (refit) metric; else a scorer name or callable.

    Returns:
        A :class:`NestedCVResult`.

    Raises:
        SearchCVError: ``refit=False``, or a bad ``outer_cv``/``scoring`` (before any fitting).
        SealedSetError: ``X`` is sealed data.

    Example:
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> from tunelab.sklearn import TuneSearchCV
        >>> X, y = load_iris(return_X_y=True)
        >>> search = TuneSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [1, 3]},
        ...                       sampler="grid", cv=3)
        >>> result = nested_cv(search, X, y, outer_cv=3)
        >>> len(result.outer_scores), 0.8 < result.mean <= 1.0
        (3, True)
    """
    from sklearn.base import clone, is_classifier
    from sklearn.utils import _safe_indexing, indexable

    from tunelab._sklearn.checks import SearchCVError, check_cv
    from tunelab._stats import mean_std_ci
    from tunelab.holdout import check_not_sealed

    check_not_sealed(X, y, where="nested_cv")
    if not hasattr(search, "fit") or not hasattr(search, "get_params"):
        raise SearchCVError(f"`search` must be a scikit-learn search estimator, got {search!r}.")
    if not getattr(search, "refit", True):
        raise SearchCVError("`search` must have refit enabled (refit=True or a metric name), got refit=False.")
    X, y = indexable(X, y)
    scorer, scoring_name = _outer_scorer(scoring)
    _, splits = check_cv(outer_cv, X, y, None, is_classifier(search))
    has_study = "study_name" in search.get_params(deep=False)
    base = (search.get_params(deep=False).get("study_name") if has_study else None) or f"nested-{uuid.uuid4().hex[:8]}"
    outer, inner, chosen, studies, searches = [], [], [], [], []
    for k, (train, test) in enumerate(splits):
        fold = clone(search)
        if has_study:
            fold.set_params(study_name=f"{base}-outer{k}")
        fold.fit(_safe_indexing(X, train), _safe_indexing(y, train))
        X_test, y_test = _safe_indexing(X, test), _safe_indexing(y, test)
        outer.append(float(fold.score(X_test, y_test) if scorer is None else scorer(fold, X_test, y_test)))
        inner.append(float(fold.best_score_))
        chosen.append(dict(fold.best_params_))
        studies.append(getattr(fold, "study_", None))
        searches.append(fold)
    mean, std, ci = mean_std_ci(outer)
    gap = float(sum(inner) / len(inner)) - mean
    if scoring is None:
        refit, inner_scoring = getattr(search, "refit", None), getattr(search, "scoring", None)
        scoring_name = refit if isinstance(refit, str) else inner_scoring if isinstance(inner_scoring, str) else "score"
    return NestedCVResult(tuple(outer), mean, std, ci, tuple(inner), tuple(chosen), gap, scoring_name,
                          tuple(studies), tuple(searches))

"""Per-fold records of a search and the ``cv_results_`` dict built from them.

The dict has GridSearchCV's keys, order and array shapes, computed with the same formulas
(``np.average`` means, population std, ``rankdata(-mean, method="min")`` ranks with NaN tied
worst), plus a ``state`` column. Pruned candidates keep NaN in the folds they never fitted;
their ``mean_*``/``std_*`` are taken over the folds they did fit, and for ranking they count as
NaN: they share the worst rank with failed candidates, after every completed one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Candidate", "Fold", "build_cv_results"]


@dataclass
class Fold:
    """One fitted fold: times and scores per metric (``test``/``train`` None if the fit failed)."""

    fit_time: float
    score_time: float
    test: dict[str, float] | None
    train: dict[str, float] | None = None
    error: str | None = None
    exception: BaseException | None = None


@dataclass
class Candidate:
    """One trial of the search: its parameters, final state and folds (None = not fitted)."""

    params: dict[str, Any]
    state: str = "RUNNING"
    folds: list[Fold | None] = field(default_factory=list)
    number: int = 0  # the study's trial number: candidates are listed in this order


def _param_arrays(candidates: list[Candidate]) -> dict[str, Any]:
    import numpy as np

    n = len(candidates)
    values: dict[str, dict[int, Any]] = {}
    for i, cand in enumerate(candidates):
        for name, value in cand.params.items():
            values.setdefault(f"param_{name}", {})[i] = value
    out = {}
    for key, by_index in values.items():
        try:
            arr = np.array(list(by_index.values()))
            dtype = arr.dtype if arr.dtype.kind != "U" and arr.ndim == 1 else np.dtype(object)
        except ValueError:
            dtype = np.dtype(object)
        masked = np.ma.MaskedArray(np.empty(n, dtype=dtype), mask=True)
        for i, value in by_index.items():
            masked[i] = value
        out[key] = masked
    return out


def _rank(means: Any) -> Any:
    import numpy as np
    from scipy.stats import rankdata

    if np.isnan(means).all():
        return np.ones_like(means, dtype=np.int32)
    filled = np.where(np.isnan(means), np.nanmin(means) - 1, means)
    return rankdata(-filled, method="min").astype(np.int32, copy=False)


def _store(results: dict[str, Any], key: str, array: Any, pruned: Any, splits: bool, rank: bool) -> None:
    import numpy as np

    if splits:
        for k in range(array.shape[1]):
            results[f"split{k}_{key}"] = array[:, k]
    means = np.average(array, axis=1)
    stds = np.sqrt(np.average((array - means[:, np.newaxis]) ** 2, axis=1))
    if pruned.any():  # partial rows: statistics over the folds that were fitted
        part = array[pruned]
        with np.errstate(invalid="ignore"):
            means[pruned] = np.nanmean(part, axis=1)
            stds[pruned] = np.nanstd(part, axis=1)
    results[f"mean_{key}"] = means
    results[f"std_{key}"] = stds
    if rank:
        results[f"rank_{key}"] = _rank(np.where(pruned, np.nan, means))


def _matrix(candidates: list[Candidate], n_splits: int, get: Any) -> Any:
    import numpy as np

    out = np.full((len(candidates), n_splits), np.nan)
    for i, cand in enumerate(candidates):
        for k, fold in enumerate(cand.folds):
            if fold is not None:
                out[i, k] = get(fold)
    return out


def build_cv_results(
    candidates: list[Candidate], n_splits: int, names: tuple[str, ...], return_train_score: bool,
    error_score: float,
) -> dict[str, Any]:
    """Return ``cv_results_`` for ``candidates``; ``names`` are the metric names (``("score",)``)."""
    import numpy as np

    pruned = np.array([c.state == "PRUNED" for c in candidates], dtype=bool)
    results: dict[str, Any] = {}
    for key in ("fit_time", "score_time"):
        _store(results, key, _matrix(candidates, n_splits, lambda f, k=key: getattr(f, k)), pruned, False, False)
    results.update(_param_arrays(candidates))
    results["params"] = [c.params for c in candidates]
    for name in names:
        def test(f: Fold, n: str = name) -> float:
            return error_score if f.test is None else f.test[n]

        def train(f: Fold, n: str = name) -> float:
            return error_score if f.train is None else f.train[n]

        _store(results, f"test_{name}", _matrix(candidates, n_splits, test), pruned, True, True)
        if return_train_score:
            _store(results, f"train_{name}", _matrix(candidates, n_splits, train), pruned, True, False)
    results["state"] = np.array([c.state for c in candidates], dtype=object)
    return results

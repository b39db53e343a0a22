"""`tunelab demo`: the lecture's tuning flow on embedded data, stored in the default store.

The 1000×10 ``make_classification`` problem (5 informative, 2 redundant, seed 42) split 80/20
with stratification; a RandomForest tuned by 5-fold CV three ways with the same budget —
grid search over the 3×4×3 grid, random search over the lecture's scipy.stats space, and
scrambled Sobol QMC — then the winner's test accuracy, evaluated once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from tunelab.samplers import GridSampler, QMCSampler, RandomSampler, Sampler
from tunelab.study import Study, create_study
from tunelab.trial import Trial

__all__ = ["DemoResult", "run_demo"]

GRID: dict[str, list[Any]] = {
    "n_estimators": [50, 100, 200],
    "max_depth": [5, 10, 15, None],
    "min_samples_leaf": [1, 2, 5],
}


@dataclass(frozen=True)
class DemoResult:
    """One row of the demo's comparison table."""

    method: str
    study: str
    evaluations: int
    best_cv_accuracy: float
    best_params: dict[str, Any]
    wall_seconds: float


def _data(seed: int = 42) -> tuple[Any, Any, Any, Any]:
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    X, y = make_classification(n_samples=1000, n_features=10, n_informative=5, n_redundant=2,
                               n_classes=2, random_state=seed)
    return tuple(train_test_split(X, y, test_size=0.2, stratify=y, random_state=seed))


def _random_space() -> dict[str, Any]:
    from scipy.stats import randint, uniform

    return {"n_estimators": randint(50, 500), "max_depth": randint(3, 30),
            "min_samples_leaf": randint(1, 20), "max_features": uniform(0.1, 0.9)}


def _objective(X: Any, y: Any, space: dict[str, Any]) -> Any:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    from tunelab.space import as_space

    distributions = as_space(space)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)

    def objective(trial: Trial) -> float:
        params = {name: trial.suggest(name, dist) for name, dist in distributions.items()}
        model = RandomForestClassifier(random_state=42, n_jobs=1, **params)
        return float(cross_val_score(model, X, y, cv=folds, scoring="accuracy").mean())

    return objective


def run_demo(budget: int = 36, n_jobs: int = 1, storage: str | None = None,
             prefix: str = "demo") -> tuple[list[DemoResult], float, Study]:
    """Run the three searches; return the table rows, the winner's test accuracy and its study.

    Example:
        >>> rows, test_acc, best = run_demo(budget=2, storage=":memory:")  # doctest: +SKIP
    """
    from sklearn.ensemble import RandomForestClassifier

    X_train, X_test, y_train, y_test = _data()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    methods: list[tuple[str, Sampler, dict[str, Any]]] = [
        ("grid", GridSampler(GRID), GRID),
        ("random", RandomSampler(seed=42), _random_space()),
        ("qmc", QMCSampler(seed=42), _random_space()),
    ]
    rows, studies = [], []
    for method, sampler, space in methods:
        study = create_study(name=f"{prefix}-{method}-{stamp}", storage=storage, sampler=sampler,
                             direction="maximize")
        study.set_user_attr("demo", "RandomForest on make_classification(1000x10), 5-fold CV accuracy")
        start = time.perf_counter()
        study.optimize(_objective(X_train, y_train, space), n_trials=budget, n_jobs=n_jobs)
        rows.append(DemoResult(method, study.name, len(study.trials), study.best_value,
                               study.best_params, time.perf_counter() - start))
        studies.append(study)
    winner = max(range(len(rows)), key=lambda i: rows[i].best_cv_accuracy)
    model = RandomForestClassifier(random_state=42, n_jobs=1, **rows[winner].best_params)
    test_accuracy = float(model.fit(X_train, y_train).score(X_test, y_test))
    studies[winner].set_user_attr("test_accuracy", test_accuracy)
    return rows, test_accuracy, studies[winner]

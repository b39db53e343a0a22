"""Real tuning problems: scikit-learn models scored by 3-fold CV on datasets shipped with scikit-learn.

Each problem is a :class:`functions.TestFunction` whose value is minimised: ``1 - accuracy``
for classifiers, ``1 - R^2`` for regressors, the mean over a fixed 3-fold split. Models and
splits have fixed seeds, so a configuration always gets the same value (the regret of a method
is then comparable across methods). Models are kept small (<= 100 trees or iterations,
modest ``max_iter``) so that one evaluation takes ~0.02-0.3 s; digits is subsampled to 600
images for the same reason. The optimum is unknown: ``optimum`` is NaN and scores are
normalised by the best value any method found.

The full grid is the six classifiers on three datasets plus three regressors on diabetes
(21 problems, :func:`all_problems`); :data:`DEFAULT` is the 9-problem subset that the
published run uses (each classifier on one dataset, rotating), for CPU reasons.

Example:
    >>> p = make_problem("knn", "wine")
    >>> 0 <= p(p.default_config) <= 1
    True
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from functions import TestFunction

from tunelab.space import Categorical, Distribution, Float, Int

__all__ = ["CLASSIFIERS", "DEFAULT", "REGRESSORS", "RealProblem", "all_problems", "make_problem"]

CLASSIFIERS = ("rf", "hgb", "svc", "mlp", "knn", "logreg")
REGRESSORS = ("ridge", "rf_reg", "gb_reg")
DEFAULT = (
    ("rf", "wine"), ("hgb", "breast_cancer"), ("svc", "digits"), ("mlp", "wine"),
    ("knn", "digits"), ("logreg", "breast_cancer"),
    ("ridge", "diabetes"), ("rf_reg", "diabetes"), ("gb_reg", "diabetes"),
)

_SPACES: dict[str, dict[str, Distribution]] = {
    "rf": {"n_estimators": Int(10, 100, log=True), "max_depth": Int(1, 20), "min_samples_leaf": Int(1, 20),
           "max_features": Float(0.05, 1.0), "criterion": Categorical(("gini", "entropy"))},
    "hgb": {"learning_rate": Float(1e-3, 1.0, log=True), "max_iter": Int(10, 100),
            "max_leaf_nodes": Int(2, 64, log=True), "min_samples_leaf": Int(1, 64, log=True),
            "l2_regularization": Float(1e-6, 10.0, log=True)},
    "svc": {"C": Float(1e-3, 1e3, log=True), "gamma": Float(1e-5, 1.0, log=True),
            "kernel": Categorical(("rbf", "sigmoid"))},
    "mlp": {"hidden": Int(4, 128, log=True), "alpha": Float(1e-6, 1.0, log=True),
            "learning_rate_init": Float(1e-4, 1e-1, log=True), "activation": Categorical(("relu", "tanh"))},
    "knn": {"n_neighbors": Int(1, 50), "weights": Categorical(("uniform", "distance")), "p": Int(1, 2)},
    "logreg": {"C": Float(1e-4, 1e3, log=True), "class_weight": Categorical((None, "balanced")),
               "intercept_scaling": Float(0.1, 10.0, log=True)},
    "ridge": {"alpha": Float(1e-4, 1e3, log=True), "fit_intercept": Categorical((True, False))},
    "rf_reg": {"n_estimators": Int(10, 100, log=True), "max_depth": Int(1, 20), "min_samples_leaf": Int(1, 30),
               "max_features": Float(0.05, 1.0)},
    "gb_reg": {"n_estimators": Int(10, 100), "learning_rate": Float(1e-3, 1.0, log=True), "max_depth": Int(1, 6),
               "subsample": Float(0.3, 1.0), "min_samples_leaf": Int(1, 30)},
}


def _estimator(model: str, c: Mapping[str, Any]) -> Any:
    from sklearn import ensemble, linear_model, neighbors, neural_network, pipeline, preprocessing, svm

    scaled = functools.partial(pipeline.make_pipeline, preprocessing.StandardScaler())
    if model == "rf":
        return ensemble.RandomForestClassifier(random_state=0, n_jobs=1, **c)
    if model == "hgb":
        return ensemble.HistGradientBoostingClassifier(random_state=0, early_stopping=False, **c)
    if model == "svc":
        return scaled(svm.SVC(**c))
    if model == "mlp":
        return scaled(neural_network.MLPClassifier(
            hidden_layer_sizes=(c["hidden"],), alpha=c["alpha"], learning_rate_init=c["learning_rate_init"],
            activation=c["activation"], max_iter=60, random_state=0))
    if model == "knn":
        return scaled(neighbors.KNeighborsClassifier(**c))
    if model == "logreg":
        return scaled(linear_model.LogisticRegression(max_iter=300, **c))
    if model == "ridge":
        return linear_model.Ridge(**c)
    if model == "rf_reg":
        return ensemble.RandomForestRegressor(random_state=0, n_jobs=1, **c)
    if model == "gb_reg":
        return ensemble.GradientBoostingRegressor(random_state=0, **c)
    raise ValueError(f"unknown model {model!r}")


@functools.cache
def _data(name: str) -> tuple[Any, Any]:
    from sklearn import datasets

    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    if name == "digits":  # 600 images keep one CV run well under a second
        X, y = X[::3], y[::3]
    return X, y


@dataclass(frozen=True)
class RealProblem:
    """A model, a dataset and its space; call it with a config to get ``1 - CV score``.

    Example:
        >>> RealProblem("ridge", "diabetes").name
        'ridge-diabetes'
    """

    model: str
    dataset: str
    space: dict[str, Distribution] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "space", dict(_SPACES[self.model]))

    @property
    def name(self) -> str:
        return f"{self.model}-{self.dataset}"

    @property
    def default_config(self) -> dict[str, Any]:
        """The centre of the unit-encoded space (for smoke tests)."""
        return {n: d.from_unit(0.5) for n, d in self.space.items()}

    def __call__(self, config: Mapping[str, Any]) -> float:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

        X, y = _data(self.dataset)
        regression = self.model in REGRESSORS
        cv = (KFold if regression else StratifiedKFold)(3, shuffle=True, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            scores = cross_val_score(_estimator(self.model, config), X, y, cv=cv,
                                     scoring="r2" if regression else "accuracy", error_score=-1.0)
        value = 1.0 - float(scores.mean())
        return value if math.isfinite(value) else 2.0


def make_problem(model: str, dataset: str) -> TestFunction:
    """The problem as a :class:`TestFunction` (optimum NaN: unknown).

    Example:
        >>> make_problem("ridge", "diabetes").name
        'ridge-diabetes'
    """
    problem = RealProblem(model, dataset)
    fn = TestFunction(problem.name, problem.space, problem, math.nan)
    object.__setattr__(fn, "default_config", problem.default_config)
    return fn


def all_problems(full: bool = False) -> dict[str, TestFunction]:
    """:data:`DEFAULT` problems, or every classifier x dataset plus the regressors with ``full``.

    Example:
        >>> len(all_problems()), len(all_problems(full=True))
        (9, 21)
    """
    pairs = list(DEFAULT)
    if full:
        pairs = [(m, d) for m in CLASSIFIERS for d in ("breast_cancer", "digits", "wine")]
        pairs += [(m, "diabetes") for m in REGRESSORS]
    return {f"{m}-{d}": make_problem(m, d) for m, d in pairs}

"""tunelab: hyperparameter tuning, AutoML and experiment tracking in one local-first tool.

Example:
    >>> import tunelab
    >>> study = tunelab.create_study(storage=":memory:", seed=0)
    >>> study.optimize(lambda trial: (trial.suggest_float("x", -2, 2) - 1) ** 2, n_trials=30)
    >>> round(study.best_params["x"], 0)
    1.0
"""

from __future__ import annotations

import importlib

from tunelab._heartbeat import RetryFailedTrialCallback
from tunelab.exceptions import TrialPruned
from tunelab.space import Categorical, Float, Int
from tunelab.storage.base import get_storage
from tunelab.study import (
    Study,
    create_study,
    delete_study,
    list_studies,
    load_study,
)
from tunelab.track.api import alert, config, finish, init, log
from tunelab.track.query import runs
from tunelab.trial import FrozenTrial, Trial, TrialState
from tunelab.tuning import tune

__version__ = "0.1.0"

__all__ = [
    "Categorical",
    "Float",
    "FrozenTrial",
    "Int",
    "RetryFailedTrialCallback",
    "Study",
    "Trial",
    "TrialPruned",
    "TrialState",
    "alert",
    "config",
    "create_study",
    "delete_study",
    "finish",
    "get_storage",
    "init",
    "list_studies",
    "load_study",
    "log",
    "repeat",
    "runs",
    "seal",
    "seed_everything",
    "tune",
]

_LAZY_FUNCTIONS = {
    "seed_everything": "tunelab.repro",
    "repeat": "tunelab.repro",
    "seal": "tunelab.holdout",
}

_LAZY = {
    "dashboard": "tunelab.dashboard",
    "sklearn": "tunelab.sklearn",
    "holdout": "tunelab.holdout",
    "repro": "tunelab.repro",
    "viz": "tunelab.viz",
    "importance": "tunelab.importance",
    "samplers": "tunelab.samplers",
    "pruners": "tunelab.pruners",
    "storage": "tunelab.storage",
    "track": "tunelab.track",
    "settings": "tunelab.settings",
    "exceptions": "tunelab.exceptions",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return importlib.import_module(_LAZY[name])
    if name in _LAZY_FUNCTIONS:
        return getattr(importlib.import_module(_LAZY_FUNCTIONS[name]), name)
    raise AttributeError(f"module 'tunelab' has no attribute {name!r}")

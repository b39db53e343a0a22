"""Translate a scikit-learn style ``param_space`` into tunelab distributions and back.

Lists become :class:`~tunelab.space.Categorical` grids. Values a store cannot hold (estimators,
functions, tuples …) are replaced by string labels in the study and mapped back to the original
objects when the estimator is configured, so ``{"clf": [LogisticRegression(), SVC()]}`` works.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tunelab.exceptions import SpaceError
from tunelab.space import Categorical, Distribution, as_space

__all__ = ["SearchSpace", "build_space"]

_STORABLE = (type(None), bool, int, float, str)


@dataclass(frozen=True)
class SearchSpace:
    """Distributions for the study plus the label → object maps of non-storable choices.

    Example:
        >>> from sklearn.svm import SVC
        >>> from sklearn.preprocessing import StandardScaler
        >>> s = build_space({"C": [0.1, 1.0], "kernel": ["rbf", SVC]}, SVC())
        >>> s.distributions["kernel"]
        Categorical(choices=('rbf', "1: <class 'sklearn.svm._classes.SVC'>"))
        >>> s.decode({"C": 1.0, "kernel": "1: <class 'sklearn.svm._classes.SVC'>"})["kernel"] is SVC
        True
        >>> s.decode({"C": 1.0, "kernel": "rbf"})
        {'C': 1.0, 'kernel': 'rbf'}
    """

    distributions: dict[str, Distribution]
    labels: dict[str, dict[str, Any]]

    def decode(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Map stored values back to the objects the estimator receives."""
        out = {}
        for name in self.distributions:
            value = params[name]
            mapping = self.labels.get(name)
            out[name] = mapping[value] if mapping is not None and isinstance(value, str) and value in mapping \
                else value
        return out


def _plain(value: Any) -> Any:
    """numpy scalars → Python scalars (they are stored as JSON)."""
    if type(value).__module__ == "numpy" and hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    return value


def _is_storable(values: list[Any]) -> bool:
    if not all(isinstance(v, _STORABLE) for v in values):
        return False
    keys = [(type(v).__name__, v) for v in values]
    return len(set(keys)) == len(keys)


def _list_axis(name: str, values: Any) -> tuple[Distribution, dict[str, Any] | None]:
    values = [_plain(v) for v in (values.tolist() if hasattr(values, "tolist") else list(values))]
    if not values:
        raise SpaceError(f"`param_space[{name!r}]` must list at least one value, got [].")
    if _is_storable(values):
        return Categorical(tuple(values)), None
    storable = [v for v in values if isinstance(v, _STORABLE)]
    keep_plain = _is_storable(storable)  # label only what a store cannot hold, unless values repeat
    labels: dict[str, Any] = {}
    choices = []
    for i, value in enumerate(values):
        if keep_plain and isinstance(value, _STORABLE):
            choices.append(value)
            continue
        label = f"{i}: {value!r}"[:200]
        labels[label] = value
        choices.append(label)
    return Categorical(tuple(choices)), labels


def _check_names(names: list[str], estimator: Any) -> None:
    valid = set(estimator.get_params(deep=True))
    for name in names:
        if name in valid:
            continue
        close = difflib.get_close_matches(name, sorted(valid), n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise SpaceError(
            f"`param_space` names {name!r}, which is not a parameter of {type(estimator).__name__}."
            f"{hint} Valid names are those of estimator.get_params() (Pipeline steps as 'step__param')."
        )


def build_space(param_space: Any, estimator: Any) -> SearchSpace:
    """Validate ``param_space`` against ``estimator`` and return the study's search space.

    Args:
        param_space: Name → tunelab distribution, list/array of values, or frozen
            scipy.stats distribution. Names are ``estimator.get_params()`` keys.
        estimator: The estimator (anything with ``get_params``).

    Raises:
        SpaceError: Not a dict, empty, an unknown name, an empty list or an unusable value.

    Example:
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> build_space({"max_depth": [2, None]}, DecisionTreeClassifier()).distributions
        {'max_depth': Categorical(choices=(2, None))}
    """
    if isinstance(param_space, (list, tuple)):
        raise SpaceError(
            "`param_space` must be one dict of name -> values/distribution; a list of dicts "
            "(scikit-learn's alternative grids) is not supported: search each dict separately."
        )
    if not isinstance(param_space, Mapping):
        raise SpaceError(f"`param_space` must be a dict of name -> values/distribution, got {param_space!r}.")
    if not param_space:
        raise SpaceError("`param_space` must name at least one parameter, got {}.")
    _check_names(list(param_space), estimator)
    distributions: dict[str, Distribution] = {}
    labels: dict[str, dict[str, Any]] = {}
    for name in sorted(param_space):  # sorted as scikit-learn's ParameterGrid, for grid order
        value = param_space[name]
        if isinstance(value, (list, tuple)) or (hasattr(value, "tolist") and hasattr(value, "ndim")):
            distributions[name], mapping = _list_axis(name, value)
            if mapping is not None:
                labels[name] = mapping
        else:
            try:
                distributions[name] = as_space({name: value})[name]
            except SpaceError as err:
                raise SpaceError(f"`param_space[{name!r}]`: {err}") from None
    return SearchSpace(distributions, labels)

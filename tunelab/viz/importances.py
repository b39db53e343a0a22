"""Hyperparameter importances as a horizontal bar chart (values from :mod:`tunelab.importance`).

Example:
    >>> import tunelab
    >>> study = tunelab.create_study(storage=":memory:", seed=0)
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) + 0 * t.suggest_float("y", 0, 1), n_trials=6)
    >>> sorted(plot_param_importances(study).data[0].y)
    ['x', 'y']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tunelab.viz._common import check_positive_int, check_study, complete_trials, plotly_modules

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from tunelab.study import Study

__all__ = ["plot_param_importances"]


@dataclass(frozen=True, slots=True)
class _ImportanceInfo:
    names: tuple[str, ...]  # most important first
    importances: np.ndarray  # shares summing to 1
    n_trials: int  # COMPLETE trials the importances come from


def _info(study: Study, params: Sequence[str] | None = None, n_trees: int = 64,
          seed: int = 0) -> _ImportanceInfo:
    """Importances of the study's parameters, most important first."""
    from tunelab.importance import param_importances

    check_study(study)
    n_trials = len(complete_trials(study))
    shares = param_importances(study, params=params, n_trees=check_positive_int("n_trees", n_trees), seed=seed)
    return _ImportanceInfo(tuple(shares), np.array(list(shares.values())), n_trials)


def plot_param_importances(
    study: Study, *, params: Sequence[str] | None = None, n_trees: int = 64, seed: int = 0
) -> go.Figure:
    """Bar chart of each parameter's share of the objective's variance (fANOVA-style).

    Args:
        study: A study with at least one COMPLETE trial.
        params: Parameters to rate; None rates every sampled parameter.
        n_trees: Trees of the forest behind the importances (>= 1).
        seed: Seed of the forest.

    Returns:
        A plotly Figure with one horizontal Bar trace, the most important parameter on top.

    Raises:
        ValueError: No COMPLETE trial, or ``params`` names a parameter that was never sampled.

    Example:
        >>> import tunelab
        >>> study = tunelab.create_study(storage=":memory:", seed=0)
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> plot_param_importances(study).layout.xaxis.title.text
        'Importance (share of variance)'
    """
    info = _info(study, params, n_trees, seed)
    go, _ = plotly_modules()
    fig = go.Figure(go.Bar(
        x=info.importances[::-1], y=list(info.names[::-1]), orientation="h",
        text=[f"{v:.2f}" for v in info.importances[::-1]], textposition="outside",
        marker={"color": "#1f77b4"}, hovertemplate="%{y}: %{x:.3f}<extra></extra>",
    ))
    fig.update_layout(title=f"Hyperparameter importances ({info.n_trials} COMPLETE trials)",
                      xaxis_title="Importance (share of variance)", yaxis_title="Parameter",
                      xaxis_range=[0, 1.1])
    return fig

"""Optimisation history: each trial's value and the best value so far, for one or several studies.

Example:
    >>> import tunelab
    >>> study = tunelab.create_study(name="random", storage=":memory:", seed=0)
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=5)
    >>> [trace.name for trace in plot_optimization_history(study).data]
    ['random', 'random (best)']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tunelab.viz._common import PALETTE, check_studies, complete_trials, plotly_modules, values_of

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from tunelab.study import Study

__all__ = ["plot_optimization_history"]


@dataclass(frozen=True, slots=True)
class _Series:
    name: str
    numbers: np.ndarray  # trial numbers of the COMPLETE trials, ascending
    values: np.ndarray  # their objective values
    best: np.ndarray  # best value so far (direction-aware)


@dataclass(frozen=True, slots=True)
class _HistoryInfo:
    direction: str
    series: tuple[_Series, ...]


def _info(studies: Study | Sequence[Study]) -> _HistoryInfo:
    """Per study: COMPLETE trial numbers, values and the running best (min or max)."""
    checked = check_studies(studies)
    series = []
    for study in checked:
        trials = sorted(complete_trials(study), key=lambda t: t.number)
        values = values_of(trials)
        accumulate = np.minimum.accumulate if study.direction == "minimize" else np.maximum.accumulate
        numbers = np.array([t.number for t in trials], dtype=int)
        series.append(_Series(study.name, numbers, values, accumulate(values)))
    return _HistoryInfo(checked[0].direction, tuple(series))


def plot_optimization_history(
    study: Study | Sequence[Study], *, target_name: str = "Objective value", log_y: bool = False
) -> go.Figure:
    """Plot every COMPLETE trial's value and the best-so-far line; several studies are overlaid.

    Args:
        study: A study, or a list of studies with one direction (e.g. grid, random, TPE, GP on
            the same problem); each appears in the legend under its name.
        target_name: Title of the value axis.
        log_y: Use a logarithmic value axis (values must be positive).

    Returns:
        A plotly Figure with two traces per study: markers for the trials, a line for the best.

    Raises:
        TypeError: ``study`` is not a Study or a list of them.
        ValueError: A study has no COMPLETE trial, or the studies' directions differ.

    Example:
        >>> import tunelab
        >>> a = tunelab.create_study(name="a", storage=":memory:", seed=0)
        >>> a.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
        >>> fig = plot_optimization_history([a], target_name="loss")
        >>> fig.layout.yaxis.title.text
        'loss'
    """
    info = _info(study)
    if info.series and log_y and any(np.any(s.values <= 0) for s in info.series):
        raise ValueError("`log_y=True` needs positive values; some trial values are <= 0.")
    go, _ = plotly_modules()
    fig = go.Figure()
    for k, s in enumerate(info.series):
        colour = PALETTE[k % len(PALETTE)]
        fig.add_trace(go.Scatter(
            x=s.numbers, y=s.values, mode="markers", name=s.name, legendgroup=s.name,
            marker={"color": colour, "size": 6, "opacity": 0.6},
            hovertemplate="trial %{x}<br>value %{y:.6g}<extra>" + s.name + "</extra>",
        ))
        fig.add_trace(go.Scatter(
            x=s.numbers, y=s.best, mode="lines", name=f"{s.name} (best)", legendgroup=s.name,
            line={"color": colour, "width": 2, "shape": "hv"},
        ))
    layout: dict[str, Any] = {"title": f"Optimisation history ({info.direction})",
                              "xaxis_title": "Trial", "yaxis_title": target_name}
    if log_y:
        layout["yaxis_type"] = "log"
    fig.update_layout(**layout)
    return fig

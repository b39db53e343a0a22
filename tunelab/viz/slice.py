"""Slice plots: the objective against each parameter, one panel per parameter.

Example:
    >>> import tunelab
    >>> study = tunelab.create_study(storage=":memory:", seed=0)
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 1, 4), n_trials=5)
    >>> [trace.name for trace in plot_slice(study).data]
    ['x', 'n']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tunelab.viz._common import (
    ParamAxis,
    check_study,
    complete_trials,
    param_axis,
    plotly_modules,
    sampled_distributions,
    select_params,
    values_of,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from tunelab.study import Study

__all__ = ["plot_slice"]


@dataclass(frozen=True, slots=True)
class _Panel:
    axis: ParamAxis  # coordinates of the trials that sampled the parameter
    values: np.ndarray  # their objective values
    numbers: np.ndarray  # their trial numbers


@dataclass(frozen=True, slots=True)
class _SliceInfo:
    panels: tuple[_Panel, ...]


def _info(study: Study, params: Sequence[str] | None = None) -> _SliceInfo:
    """For each parameter, the COMPLETE trials that sampled it, their coordinates and values."""
    check_study(study)
    trials = complete_trials(study)
    found = sampled_distributions(trials)
    names = select_params(found, params, study.name)
    panels = []
    for name in names:
        kept = [t for t in trials if name in t.params]
        axis = param_axis(name, found[name], [t.params[name] for t in kept])
        panels.append(_Panel(axis, values_of(kept), np.array([t.number for t in kept])))
    return _SliceInfo(tuple(panels))


def plot_slice(
    study: Study, params: Sequence[str] | None = None, *, target_name: str = "Objective value"
) -> go.Figure:
    """Plot the objective value against each parameter, coloured by trial number.

    Args:
        study: A study with COMPLETE trials.
        params: Parameters to show; None shows every sampled parameter.
        target_name: Title of the value axis.

    Returns:
        A plotly Figure with one panel and one Scatter trace per parameter (named after it).

    Raises:
        ValueError: No COMPLETE trial, or ``params`` names a parameter that was never sampled.

    Example:
        >>> import tunelab
        >>> study = tunelab.create_study(storage=":memory:", seed=0)
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> plot_slice(study).layout.yaxis.title.text
        'Objective value'
    """
    info = _info(study, params)
    go, subplots = plotly_modules()
    n = len(info.panels)
    fig = subplots.make_subplots(rows=1, cols=n, shared_yaxes=True, horizontal_spacing=min(0.05, 0.5 / n))
    last = max(int(p.numbers.max()) for p in info.panels)
    for k, panel in enumerate(info.panels, start=1):
        fig.add_trace(go.Scatter(
            x=panel.axis.coords, y=panel.values, mode="markers", name=panel.axis.name,
            customdata=panel.numbers, showlegend=False,
            marker={"color": panel.numbers, "colorscale": "Viridis", "cmin": 0, "cmax": max(last, 1),
                    "showscale": k == n, "colorbar": {"title": {"text": "Trial"}}},
            hovertemplate="trial %{customdata}<br>value %{y:.6g}<extra></extra>",
        ), row=1, col=k)
        fig.update_xaxes(row=1, col=k, **panel.axis.layout())
    fig.update_yaxes(title_text=target_name, row=1, col=1)
    fig.update_layout(title="Slice plot", width=max(400, 300 * n))
    return fig

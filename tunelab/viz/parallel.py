"""Parallel coordinates: one vertical axis per parameter plus the objective, one line per trial.

Example:
    >>> import tunelab
    >>> study = tunelab.create_study(storage=":memory:", seed=0)
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 1, 4), n_trials=5)
    >>> [d.label for d in plot_parallel_coordinate(study).data[0].dimensions]
    ['Objective value', 'x', 'n']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tunelab.viz._common import (
    ParamAxis,
    check_study,
    complete_trials,
    param_axis,
    plotly_modules,
    sampled_distributions,
    select_params,
    trials_with,
    values_of,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from tunelab.study import Study

__all__ = ["plot_parallel_coordinate"]


@dataclass(frozen=True, slots=True)
class _ParallelInfo:
    axes: tuple[ParamAxis, ...]  # one per parameter, coordinates of the kept trials
    values: np.ndarray  # objective values of the kept trials
    numbers: np.ndarray  # their trial numbers
    direction: str


def _info(study: Study, params: Sequence[str] | None = None) -> _ParallelInfo:
    """Trials that sampled every selected parameter, with their coordinates and values."""
    check_study(study)
    trials = complete_trials(study)
    found = sampled_distributions(trials)
    names = select_params(found, params, study.name)
    kept = trials_with(trials, names)
    if not kept:
        raise ValueError(
            f"no COMPLETE trial of study {study.name!r} sampled all of {names}; pass fewer `params`."
        )
    axes = tuple(param_axis(n, found[n], [t.params[n] for t in kept]) for n in names)
    return _ParallelInfo(axes, values_of(kept), np.array([t.number for t in kept]), study.direction)


def _dimension(axis: ParamAxis) -> dict[str, Any]:
    if axis.axis_type == "category":
        return {"label": axis.name, "values": axis.coords, "tickvals": list(axis.tickvals),
                "ticktext": list(axis.ticktext), "range": [0, max(len(axis.tickvals) - 1, 1)]}
    if axis.axis_type == "log":
        logs = np.log10(axis.coords)
        ticks = np.arange(np.floor(logs.min()), np.ceil(logs.max()) + 1)
        return {"label": axis.name, "values": logs, "tickvals": ticks.tolist(),
                "ticktext": [f"1e{int(t)}" for t in ticks]}
    return {"label": axis.name, "values": axis.coords}


def plot_parallel_coordinate(
    study: Study, params: Sequence[str] | None = None, *, target_name: str = "Objective value"
) -> go.Figure:
    """Plot each COMPLETE trial as a line across the objective's axis and one axis per parameter.

    Args:
        study: A study with COMPLETE trials.
        params: Parameters to show, in order; None shows every sampled parameter. Only trials
            that sampled all of them are drawn (conditional parameters thin the lines out).
        target_name: Label of the objective's axis.

    Returns:
        A plotly Figure with one Parcoords trace; lines are coloured by value (darker is
        better). Log parameters are drawn in log10 with ``1eK`` ticks, categoricals by choice.

    Raises:
        ValueError: No COMPLETE trial, or ``params`` names a parameter that was never sampled.

    Example:
        >>> import tunelab
        >>> study = tunelab.create_study(storage=":memory:", seed=0)
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> type(plot_parallel_coordinate(study).data[0]).__name__
        'Parcoords'
    """
    info = _info(study, params)
    go, _ = plotly_modules()
    dimensions = [{"label": target_name, "values": info.values}]
    dimensions += [_dimension(axis) for axis in info.axes]
    fig = go.Figure(go.Parcoords(
        dimensions=dimensions,
        line={"color": info.values, "colorscale": "Blues", "reversescale": info.direction == "minimize",
              "showscale": True, "colorbar": {"title": {"text": target_name}}},
    ))
    fig.update_layout(title=f"Parallel coordinates ({len(info.values)} trials)")
    return fig

"""Contour of the objective over a pair of parameters: an interpolated surface or a coloured scatter.

The surface is interpolated linearly (``scipy.interpolate.griddata``) between the COMPLETE
trials in axis space: log parameters in log10, categoricals by choice index, others as they
are. Outside the trials' convex hull the surface is left empty rather than extrapolated.

Example:
    >>> import tunelab
    >>> study = tunelab.create_study(storage=":memory:", seed=0)
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), n_trials=8)
    >>> [type(trace).__name__ for trace in plot_contour(study).data]
    ['Contour', 'Scatter']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from tunelab.viz._common import (
    ParamAxis,
    check_positive_int,
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

__all__ = ["plot_contour"]


@dataclass(frozen=True, slots=True)
class _ContourInfo:
    x: ParamAxis  # coordinates of the trials along x
    y: ParamAxis
    values: np.ndarray  # objective values of those trials
    numbers: np.ndarray  # their trial numbers
    grid_x: np.ndarray  # (n_grid,) plot coordinates of the surface, empty for a scatter
    grid_y: np.ndarray
    grid_z: np.ndarray  # (n_grid, n_grid), NaN outside the trials' hull
    direction: str


def _to_space(axis: ParamAxis, coords: np.ndarray) -> np.ndarray:
    return np.log10(coords) if axis.axis_type == "log" else coords


def _from_space(axis: ParamAxis, coords: np.ndarray) -> np.ndarray:
    return 10.0**coords if axis.axis_type == "log" else coords


def _surface(x: ParamAxis, y: ParamAxis, values: np.ndarray, n_grid: int) -> tuple[np.ndarray, ...]:
    from scipy.interpolate import griddata

    px, py = _to_space(x, x.coords), _to_space(y, y.coords)
    gx = np.linspace(px.min(), px.max(), n_grid)
    gy = np.linspace(py.min(), py.max(), n_grid)
    mx, my = np.meshgrid(gx, gy)
    points = np.column_stack([px, py])
    try:
        z = griddata(points, values, (mx, my), method="linear")
    except Exception:  # scipy's QhullError: collinear points (e.g. one category seen)
        z = griddata(points, values, (mx, my), method="nearest")
    return _from_space(x, gx), _from_space(y, gy), np.asarray(z, dtype=float)


def _info(study: Study, params: Sequence[str] | None = None,
          kind: Literal["interpolate", "scatter"] = "interpolate", n_grid: int = 50) -> _ContourInfo:
    """Trials' coordinates along the two parameters, their values and the interpolated surface."""
    check_study(study)
    if kind not in ("interpolate", "scatter"):
        raise ValueError(f"`kind` must be 'interpolate' or 'scatter', got {kind!r}.")
    n_grid = check_positive_int("n_grid", n_grid, 2)
    trials = complete_trials(study)
    found = sampled_distributions(trials)
    names = select_params(found, params, study.name, exactly=2)
    if names[0] == names[1]:
        raise ValueError(f"`params` must name two different parameters, got {list(names)}.")
    pair = trials_with(trials, names)
    if not pair:
        raise ValueError(f"no COMPLETE trial of study {study.name!r} sampled both {names[0]!r} and {names[1]!r}.")
    x = param_axis(names[0], found[names[0]], [t.params[names[0]] for t in pair])
    y = param_axis(names[1], found[names[1]], [t.params[names[1]] for t in pair])
    values = values_of(pair)
    numbers = np.array([t.number for t in pair])
    empty = np.empty(0)
    distinct = len({(a, b) for a, b in zip(x.coords, y.coords, strict=True)})
    if kind == "scatter" or distinct < 3 or np.ptp(x.coords) == 0 or np.ptp(y.coords) == 0:
        return _ContourInfo(x, y, values, numbers, empty, empty, np.empty((0, 0)), study.direction)
    gx, gy, gz = _surface(x, y, values, n_grid)
    return _ContourInfo(x, y, values, numbers, gx, gy, gz, study.direction)


def plot_contour(
    study: Study,
    params: Sequence[str] | None = None,
    *,
    kind: Literal["interpolate", "scatter"] = "interpolate",
    n_grid: int = 50,
    target_name: str = "Objective value",
) -> go.Figure:
    """Plot the objective over two parameters, with the trials on top.

    Args:
        study: A study with COMPLETE trials that sampled both parameters.
        params: The two parameter names (x, y); None takes the first two sampled.
        kind: ``"interpolate"`` draws a linearly interpolated surface under the trials (when
            there are at least 3 distinct points spanning both axes); ``"scatter"`` draws only
            the trials coloured by value.
        n_grid: Surface resolution per axis (>= 2).
        target_name: Title of the colour bar.

    Returns:
        A plotly Figure: a Contour trace (unless scatter) and a Scatter trace of the trials.
        Categorical axes show the choices as tick labels; log parameters get log axes.

    Raises:
        ValueError: No COMPLETE trial, a parameter that was never sampled (the message lists
            the sampled ones), or not exactly two distinct parameters.

    Example:
        >>> import tunelab
        >>> study = tunelab.create_study(storage=":memory:", seed=0)
        >>> study.optimize(lambda t: t.suggest_float("lr", 1e-4, 1, log=True)
        ...                * len(t.suggest_categorical("k", ["a", "bb"])), n_trials=6)
        >>> plot_contour(study, ["lr", "k"]).layout.xaxis.type
        'log'
    """
    info = _info(study, params, kind, n_grid)
    go, _ = plotly_modules()
    reverse = info.direction == "maximize"  # darker is better either way
    fig = go.Figure()
    if info.grid_z.size:
        fig.add_trace(go.Contour(
            x=info.grid_x, y=info.grid_y, z=info.grid_z, colorscale="Blues", reversescale=not reverse,
            connectgaps=False, contours_coloring="heatmap", colorbar={"title": {"text": target_name}},
            hoverinfo="skip",
        ))
    fig.add_trace(go.Scatter(
        x=info.x.coords, y=info.y.coords, mode="markers", name="trials", customdata=info.numbers,
        marker={"color": info.values, "colorscale": "Blues", "reversescale": not reverse,
                "showscale": not info.grid_z.size, "line": {"color": "black", "width": 1},
                "colorbar": {"title": {"text": target_name}}},
        hovertemplate="trial %{customdata}<br>value %{marker.color:.6g}<extra></extra>",
    ))
    fig.update_xaxes(**info.x.layout())
    fig.update_yaxes(**info.y.layout())
    fig.update_layout(title=f"Contour of {target_name}", showlegend=False)
    return fig

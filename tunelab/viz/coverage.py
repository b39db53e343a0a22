"""Coverage of a pair of parameters by several studies, side by side (grid vs random vs QMC …).

A grid spends its budget on few distinct values per parameter; random and quasi-random
search try a new value of every parameter at each trial (Bergstra & Bengio, 2012). The
panels show every trial that sampled both parameters, whatever its state; a grid of numbers
is drawn at its values, on the same axes as the other studies.

Example:
    >>> import tunelab
    >>> space = {"x": tunelab.Float(0, 1), "y": tunelab.Float(0, 1)}
    >>> studies = [tunelab.tune(lambda c: c["x"] + c["y"], space, n_trials=9, sampler=s, name=s,
    ...                         storage=":memory:", seed=0) for s in ("random", "qmc")]
    >>> fig = plot_grid_vs_random_coverage(studies)
    >>> [t.name for t in fig.data]
    ['random', 'qmc']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tunelab.viz._common import (
    PALETTE,
    ParamAxis,
    check_study,
    param_axis,
    plotly_modules,
    sampled_distributions,
    select_params,
    trials_with,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from tunelab.study import Study

__all__ = ["plot_grid_vs_random_coverage"]


@dataclass(frozen=True, slots=True)
class _Panel:
    name: str
    x: ParamAxis
    y: ParamAxis
    n_distinct: tuple[int, int]  # distinct values tried along x and along y


@dataclass(frozen=True, slots=True)
class _CoverageInfo:
    panels: tuple[_Panel, ...]


def _info(studies: Sequence[Study], params: Sequence[str] | None = None) -> _CoverageInfo:
    """Each study's sampled points along the two parameters."""
    if isinstance(studies, (str, bytes)) or not isinstance(studies, Sequence) or not studies:
        raise TypeError(f"`studies` must be a non-empty list of studies, got {studies!r}.")
    checked = [check_study(s, f"studies[{i}]") for i, s in enumerate(studies)]
    names: list[str] | None = list(params) if params is not None else None
    panels = []
    for study in checked:
        trials = [t for t in study.trials if t.params]
        if not trials:
            raise ValueError(f"study {study.name!r} has no trial with sampled parameters.")
        found = sampled_distributions(trials)
        names = select_params(found, names, study.name, exactly=2)
        pair = trials_with(trials, names)
        x = param_axis(names[0], found[names[0]], [t.params[names[0]] for t in pair], numeric_categories=True)
        y = param_axis(names[1], found[names[1]], [t.params[names[1]] for t in pair], numeric_categories=True)
        panels.append(_Panel(study.name, x, y, (len(np.unique(x.coords)), len(np.unique(y.coords)))))
    return _CoverageInfo(tuple(panels))


def plot_grid_vs_random_coverage(studies: Sequence[Study], params: Sequence[str] | None = None) -> go.Figure:
    """Scatter two parameters' sampled points, one panel per study, on shared axes.

    Args:
        studies: The studies to compare (e.g. grid, random, QMC), one panel each.
        params: The two parameters (x, y); None takes the first study's first two.

    Returns:
        A plotly Figure with one Scatter trace per study, named after it; each panel's title
        gives the number of points and of distinct values along each axis.

    Raises:
        TypeError: ``studies`` is not a non-empty list of studies.
        ValueError: A study sampled no parameter, or not both of ``params`` (the message
            lists what it sampled).

    Example:
        >>> import tunelab
        >>> grid = tunelab.tune(lambda c: c["a"] * c["b"], {"a": [1, 2], "b": [1, 2]},
        ...                     sampler="grid", storage=":memory:", name="grid")
        >>> plot_grid_vs_random_coverage([grid]).layout.annotations[0].text
        'grid: 4 points, 2 × 2 distinct values'
    """
    info = _info(studies, params)
    go, subplots = plotly_modules()
    n = len(info.panels)
    titles = [f"{p.name}: {len(p.x.coords)} points, {p.n_distinct[0]} × {p.n_distinct[1]} distinct values"
              for p in info.panels]
    fig = subplots.make_subplots(rows=1, cols=n, shared_yaxes=True, subplot_titles=titles,
                                 horizontal_spacing=min(0.05, 0.5 / n))
    same_x = len({p.x.axis_type for p in info.panels}) == 1
    for k, p in enumerate(info.panels, start=1):
        fig.add_trace(go.Scatter(x=p.x.coords, y=p.y.coords, mode="markers", name=p.name,
                                 marker={"color": PALETTE[(k - 1) % len(PALETTE)], "size": 7, "opacity": 0.8}),
                      row=1, col=k)
        fig.update_xaxes(row=1, col=k, matches="x" if same_x else None, **p.x.layout())
    fig.update_yaxes(row=1, col=1, **info.panels[0].y.layout())
    fig.update_layout(title="Coverage of the search space", width=max(450, 380 * n), height=450)
    return fig

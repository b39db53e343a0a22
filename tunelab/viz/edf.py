"""Empirical distribution function of the objective values, one curve per study.

A curve that rises earlier (when minimising) means a study that finds good values more
often, a fairer comparison of samplers than their single best trials.

Example:
    >>> import tunelab
    >>> study = tunelab.create_study(name="s", storage=":memory:", seed=0)
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
    >>> [float(v) for v in plot_edf(study).data[0].y]
    [0.25, 0.5, 0.75, 1.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tunelab.viz._common import PALETTE, check_studies, complete_trials, plotly_modules, values_of

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from tunelab.study import Study

__all__ = ["plot_edf"]


@dataclass(frozen=True, slots=True)
class _Edf:
    name: str
    values: np.ndarray  # sorted objective values
    fraction: np.ndarray  # share of trials with a value <= each one, (1..n)/n


@dataclass(frozen=True, slots=True)
class _EdfInfo:
    curves: tuple[_Edf, ...]


def _info(studies: Study | Sequence[Study]) -> _EdfInfo:
    """Per study: the sorted COMPLETE values and the cumulative fraction at each."""
    curves = []
    for study in check_studies(studies):
        values = np.sort(values_of(complete_trials(study)))
        curves.append(_Edf(study.name, values, np.arange(1, len(values) + 1) / len(values)))
    return _EdfInfo(tuple(curves))


def plot_edf(study: Study | Sequence[Study], *, target_name: str = "Objective value") -> go.Figure:
    """Plot the empirical cumulative distribution of the COMPLETE trials' values.

    Args:
        study: A study or a list of studies with one direction; one step curve each.
        target_name: Title of the value axis.

    Returns:
        A plotly Figure with one step-shaped Scatter trace per study, named after it.

    Raises:
        TypeError: ``study`` is not a Study or a list of them.
        ValueError: A study has no COMPLETE trial, or the directions differ.

    Example:
        >>> import tunelab
        >>> a = tunelab.create_study(name="a", storage=":memory:", seed=0)
        >>> a.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> plot_edf([a]).layout.yaxis.title.text
        'Cumulative probability'
    """
    info = _info(study)
    go, _ = plotly_modules()
    fig = go.Figure()
    for k, curve in enumerate(info.curves):
        fig.add_trace(go.Scatter(
            x=curve.values, y=curve.fraction, mode="lines", name=curve.name,
            line={"shape": "hv", "color": PALETTE[k % len(PALETTE)], "width": 2},
        ))
    fig.update_layout(title="Empirical distribution of values", xaxis_title=target_name,
                      yaxis_title="Cumulative probability", yaxis_range=[0, 1.02])
    return fig

"""Intermediate values: each trial's learning curve, pruned and complete trials in distinct colours.

Example:
    >>> import tunelab
    >>> study = tunelab.create_study(storage=":memory:", seed=0)
    >>> def objective(trial):
    ...     for step in range(3):
    ...         trial.report(1.0 / (step + 1), step)
    ...     return 0.3
    >>> study.optimize(objective, n_trials=2)
    >>> len(plot_intermediate_values(study).data)
    2
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tunelab.viz._common import STATE_COLOURS, check_study, plotly_modules

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from tunelab.study import Study

__all__ = ["plot_intermediate_values"]


@dataclass(frozen=True, slots=True)
class _Curve:
    number: int
    state: str  # "COMPLETE", "PRUNED", "FAIL" or "RUNNING"
    steps: np.ndarray
    values: np.ndarray


@dataclass(frozen=True, slots=True)
class _IntermediateInfo:
    curves: tuple[_Curve, ...]


def _info(study: Study) -> _IntermediateInfo:
    """Every trial that reported an intermediate value, with its steps, values and state."""
    check_study(study)
    curves = []
    for t in sorted(study.trials, key=lambda t: t.number):
        if not t.intermediate_values:
            continue
        steps = np.array(sorted(t.intermediate_values), dtype=int)
        values = np.array([t.intermediate_values[s] for s in steps], dtype=float)
        curves.append(_Curve(t.number, t.state.value, steps, values))
    if not curves:
        raise ValueError(
            f"study {study.name!r} has no trial with intermediate values; call "
            "trial.report(value, step) inside the objective to record them."
        )
    return _IntermediateInfo(tuple(curves))


def plot_intermediate_values(study: Study, *, target_name: str = "Intermediate value") -> go.Figure:
    """Plot the values each trial reported step by step, one line per trial, coloured by state.

    COMPLETE trials are blue, PRUNED red, FAIL grey and RUNNING green; the legend shows each
    state once and clicking it hides every trial in that state.

    Args:
        study: A study in which trials called ``trial.report(value, step)``.
        target_name: Title of the value axis.

    Returns:
        A plotly Figure with one Scatter trace per reporting trial (``meta`` holds its number),
        named ``"trial N"`` except the first of each state, which names the state in the legend.

    Raises:
        ValueError: No trial reported an intermediate value.

    Example:
        >>> import tunelab
        >>> study = tunelab.create_study(storage=":memory:")
        >>> trial = study.ask()
        >>> trial.report(0.5, 0)
        >>> _ = study.tell(trial, state=tunelab.TrialState.PRUNED)
        >>> plot_intermediate_values(study).data[0].legendgroup
        'PRUNED'
    """
    info = _info(study)
    go, _ = plotly_modules()
    fig = go.Figure()
    shown: set[str] = set()
    for c in info.curves:
        fig.add_trace(go.Scatter(
            x=c.steps, y=c.values, mode="lines+markers",
            name=c.state if c.state not in shown else f"trial {c.number}",
            legendgroup=c.state, showlegend=c.state not in shown, meta=c.number,
            line={"color": STATE_COLOURS.get(c.state, "#000000"), "width": 1.5},
            marker={"size": 4}, opacity=0.8,
            hovertemplate=f"trial {c.number} ({c.state})<br>step %{{x}}<br>value %{{y:.6g}}<extra></extra>",
        ))
        shown.add(c.state)
    fig.update_layout(title="Intermediate values", xaxis_title="Step", yaxis_title=target_name)
    return fig

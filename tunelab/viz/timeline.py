"""Timeline: each trial as a horizontal bar from its start to its end, coloured by state.

Example:
    >>> import tunelab
    >>> study = tunelab.create_study(storage=":memory:", seed=0)
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    >>> [trace.name for trace in plot_timeline(study).data]
    ['COMPLETE']
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tunelab.viz._common import STATE_COLOURS, check_study, plotly_modules

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from tunelab.study import Study

__all__ = ["plot_timeline"]

_STATE_ORDER = ("COMPLETE", "PRUNED", "FAIL", "RUNNING")


@dataclass(frozen=True, slots=True)
class _TimelineInfo:
    numbers: np.ndarray  # trial numbers of the trials that started
    states: tuple[str, ...]
    starts: tuple[_dt.datetime, ...]
    ends: tuple[_dt.datetime, ...]  # completion time, or ``now`` for trials still running
    durations_ms: np.ndarray  # bar lengths in milliseconds


def _info(study: Study, now: _dt.datetime | None = None) -> _TimelineInfo:
    """Start, end and state of each trial that started (WAITING trials have no bar)."""
    check_study(study)
    now = now or _dt.datetime.now()
    started = [t for t in sorted(study.trials, key=lambda t: t.number) if t.datetime_start is not None]
    if not started:
        raise ValueError(f"study {study.name!r} has no started trial; a timeline needs at least one.")
    starts: list[_dt.datetime] = []
    ends: list[_dt.datetime] = []
    for t in started:
        assert t.datetime_start is not None  # filtered above; tells the type checker
        starts.append(t.datetime_start)
        ends.append(t.datetime_complete or now)
    durations = np.array([max((e - s).total_seconds(), 0.0) * 1e3 for s, e in zip(starts, ends, strict=True)])
    return _TimelineInfo(np.array([t.number for t in started]), tuple(t.state.value for t in started),
                         tuple(starts), tuple(ends), durations)


def plot_timeline(study: Study) -> go.Figure:
    """Plot trials as horizontal bars over wall-clock time, one colour (and trace) per state.

    Running trials extend to now. Overlapping bars show parallel workers.

    Args:
        study: A study with at least one started trial.

    Returns:
        A plotly Figure with one horizontal Bar trace per state present, on a date x axis.

    Raises:
        ValueError: No trial has started.

    Example:
        >>> import tunelab
        >>> study = tunelab.create_study(storage=":memory:", seed=0)
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        >>> plot_timeline(study).layout.xaxis.type
        'date'
    """
    info = _info(study)
    go, _ = plotly_modules()
    fig = go.Figure()
    states = np.array(info.states)
    for state in _STATE_ORDER:
        idx = np.flatnonzero(states == state)
        if not len(idx):
            continue
        fig.add_trace(go.Bar(
            base=[info.starts[i] for i in idx], x=info.durations_ms[idx], y=info.numbers[idx],
            orientation="h", name=state, marker={"color": STATE_COLOURS[state]},
            customdata=[info.ends[i].isoformat(sep=" ", timespec="seconds") for i in idx],
            hovertemplate="trial %{y}<br>start %{base}<br>end %{customdata}<extra>" + state + "</extra>",
        ))
    fig.update_layout(title="Timeline of trials", xaxis={"type": "date", "title": {"text": "Time"}},
                      yaxis={"title": {"text": "Trial"}, "autorange": "reversed"}, barmode="overlay")
    return fig

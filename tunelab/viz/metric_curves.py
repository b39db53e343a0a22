"""Metric curves of several runs, overlaid, against step or time, with optional EMA smoothing.

Each run is given as plain data for now (tracked runs will plug in later):

- ``{step: value}``;
- ``(steps, values)`` or ``(steps, values, times)``, with times in seconds (numbers) or
  datetimes (shown as seconds since the run's first point);
- a flat list of values (steps 0, 1, 2 …).

Smoothing is the debiased exponential moving average TensorBoard and W&B use:
``s_t = a * s_{t-1} + (1 - a) * x_t``, divided by ``1 - a**t`` so that the first points are
not pulled towards zero. NaN points are drawn as gaps and skipped by the average.

Example:
    >>> fig = plot_metric_curves({"lr=0.1": [1.0, 0.5, 0.3], "lr=0.01": {0: 1.0, 1: 0.8, 2: 0.7}})
    >>> [trace.name for trace in fig.data]
    ['lr=0.1', 'lr=0.01']
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from tunelab.viz._common import PALETTE, plotly_modules

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["ema", "plot_metric_curves"]

RunSeries = Mapping[int, float] | Sequence[Any]


@dataclass(frozen=True, slots=True)
class _Curve:
    name: str
    x: np.ndarray  # steps or seconds
    y: np.ndarray  # raw values
    smoothed: np.ndarray | None  # EMA of y, or None without smoothing


@dataclass(frozen=True, slots=True)
class _CurvesInfo:
    x_axis: str
    curves: tuple[_Curve, ...]


def ema(values: Sequence[float] | np.ndarray, smoothing: float) -> np.ndarray:
    """Debiased exponential moving average; NaN inputs stay NaN and do not move the average.

    Args:
        values: The series, in order.
        smoothing: Weight ``a`` of the past, in ``[0, 1)``; 0 returns the values unchanged.

    Example:
        >>> ema([1.0, 0.0, 0.0], 0.5).round(3).tolist()
        [1.0, 0.333, 0.143]
    """
    if isinstance(smoothing, bool) or not isinstance(smoothing, (int, float)) or not 0 <= smoothing < 1:
        raise ValueError(f"`smoothing` must be a number in [0, 1), got {smoothing!r}.")
    x = np.asarray(values, dtype=float)
    out = np.full(x.shape, np.nan)
    acc, weight = 0.0, 0.0
    for i, v in enumerate(x):
        if not math.isfinite(v):
            continue
        acc = smoothing * acc + (1 - smoothing) * v
        weight = smoothing * weight + (1 - smoothing)
        out[i] = acc / weight
    return out


def _numbers(run: str, what: str, seq: Any) -> np.ndarray:
    try:
        arr = np.asarray(seq, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"run {run!r}: `{what}` must be numbers, got {seq!r}.") from None
    if arr.ndim != 1:
        raise ValueError(f"run {run!r}: `{what}` must be one-dimensional, got shape {arr.shape}.")
    return arr


def _seconds(run: str, times: Any) -> np.ndarray:
    items = list(times)
    if items and all(isinstance(t, _dt.datetime) for t in items):
        return np.array([(t - items[0]).total_seconds() for t in items])
    return _numbers(run, "times", items)


def _parse(run: str, series: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(steps, values, seconds or None)`` from one run's data."""
    if isinstance(series, Mapping):
        steps = np.array(sorted(series), dtype=float)
        return steps, _numbers(run, "values", [series[k] for k in sorted(series)]), None
    if isinstance(series, (str, bytes)) or not isinstance(series, (Sequence, np.ndarray)):
        raise TypeError(f"run {run!r} must be a dict step -> value, (steps, values[, times]) or a "
                        f"list of values, got {type(series).__name__}.")
    parts = list(series)
    if len(parts) in (2, 3) and all(isinstance(p, (Sequence, np.ndarray)) and not isinstance(p, str)
                                     for p in parts):
        steps, values = _numbers(run, "steps", parts[0]), _numbers(run, "values", parts[1])
        times = _seconds(run, parts[2]) if len(parts) == 3 else None
        lengths = {len(steps), len(values)} | ({len(times)} if times is not None else set())
        if len(lengths) > 1:
            raise ValueError(f"run {run!r}: steps, values and times must have one length, got "
                             f"{len(steps)}, {len(values)}" + (f", {len(times)}." if times is not None else "."))
        return steps, values, times
    values = _numbers(run, "values", parts)
    return np.arange(len(values), dtype=float), values, None


def _info(runs: Mapping[str, RunSeries], smoothing: float = 0.0,
          x_axis: Literal["step", "time"] = "step") -> _CurvesInfo:
    """Each run's x (steps or seconds), raw values and smoothed values."""
    if not isinstance(runs, Mapping) or not runs:
        raise TypeError(f"`runs` must be a non-empty dict run_name -> series, got {runs!r}.")
    if x_axis not in ("step", "time"):
        raise ValueError(f"`x_axis` must be 'step' or 'time', got {x_axis!r}.")
    ema([], smoothing)  # validates smoothing
    curves = []
    for name, series in runs.items():
        steps, values, times = _parse(str(name), series)
        if not len(values):
            raise ValueError(f"run {name!r} has no points.")
        if x_axis == "time" and times is None:
            raise ValueError(f"`x_axis='time'` needs times for every run; run {name!r} has none: "
                             "give (steps, values, times).")
        order = np.argsort(steps, kind="stable")
        x = (times if x_axis == "time" else steps)[order]  # type: ignore[index]
        y = values[order]
        curves.append(_Curve(str(name), x, y, ema(y, smoothing) if smoothing > 0 else None))
    return _CurvesInfo(x_axis, tuple(curves))


def plot_metric_curves(
    runs: Mapping[str, RunSeries],
    *,
    smoothing: float = 0.0,
    x_axis: Literal["step", "time"] = "step",
    metric_name: str = "value",
    log_y: bool = False,
) -> go.Figure:
    """Overlay one metric's curves from several runs, each run in its own colour.

    Args:
        runs: Run name → ``{step: value}``, ``(steps, values)``, ``(steps, values, times)`` or
            a list of values.
        smoothing: EMA weight in ``[0, 1)``; above 0 the raw curve is drawn faint and the
            smoothed one on top in the same colour (e.g. 0.6 to 0.9 for noisy losses).
        x_axis: ``"step"`` or ``"time"`` (seconds; needs times for every run).
        metric_name: Title of the value axis.
        log_y: Logarithmic value axis.

    Returns:
        A plotly Figure: one Scatter trace per run, plus one smoothed trace per run when
        smoothing (named ``"<run> (smoothed)"``, same legend group).

    Raises:
        TypeError: ``runs`` is not a non-empty dict, or a series holds non-numbers.
        ValueError: Bad ``smoothing`` or ``x_axis``, mismatched lengths, an empty run, or
            ``x_axis="time"`` without times.

    Example:
        >>> fig = plot_metric_curves({"a": ([0, 10, 20], [3.0, 2.0, 1.5], [0.0, 1.0, 2.5])},
        ...                          x_axis="time", smoothing=0.5)
        >>> fig.layout.xaxis.title.text, len(fig.data)
        ('Time (s)', 2)
    """
    info = _info(runs, smoothing, x_axis)
    go, _ = plotly_modules()
    fig = go.Figure()
    for k, c in enumerate(info.curves):
        colour = PALETTE[k % len(PALETTE)]
        faint = c.smoothed is not None
        fig.add_trace(go.Scatter(
            x=c.x, y=c.y, mode="lines", name=c.name, legendgroup=c.name, showlegend=not faint,
            line={"color": colour, "width": 1 if faint else 2}, opacity=0.3 if faint else 1.0,
        ))
        if c.smoothed is not None:
            fig.add_trace(go.Scatter(
                x=c.x, y=c.smoothed, mode="lines", name=f"{c.name} (smoothed)", legendgroup=c.name,
                line={"color": colour, "width": 2},
            ))
    fig.update_layout(title=metric_name, xaxis_title="Step" if info.x_axis == "step" else "Time (s)",
                      yaxis_title=metric_name, hovermode="x unified")
    if log_y:
        fig.update_yaxes(type="log")
    return fig

"""The GP sampler's surrogate in one dimension: mean, ±2σ band, observations, and the acquisition.

The study must have one Float parameter and a sampler that exposes ``surrogate(study)``
(:class:`tunelab.samplers.gp.GPSampler`). The acquisition is drawn in a second panel under
the model, with its maximiser (the next point the sampler would try) marked.

Example:
    >>> import tunelab
    >>> from tunelab.samplers.gp import GPSampler
    >>> study = tunelab.create_study(storage=":memory:",
    ...                              sampler=GPSampler(seed=0, n_startup_trials=3, n_candidates=32))
    >>> study.optimize(lambda t: (t.suggest_float("x", -2, 2) - 1) ** 2, n_trials=5)
    >>> [trace.name for trace in plot_gp_surrogate_1d(study, n_points=50).data]
    ['±2σ', 'mean', 'observations', 'acquisition', 'next point']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tunelab.space import Float
from tunelab.viz._common import check_positive_int, check_study, complete_trials, plotly_modules, values_of

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from tunelab.study import Study

__all__ = ["plot_gp_surrogate_1d"]


@dataclass(frozen=True, slots=True)
class _SurrogateInfo:
    param: str
    log: bool
    acquisition_name: str  # e.g. "logei" or "uncertainty"
    grid: np.ndarray  # (n_points,) parameter values
    mean: np.ndarray  # posterior mean at the grid, in the objective's units
    std: np.ndarray  # posterior standard deviation at the grid
    acquisition: np.ndarray  # acquisition at the grid (larger is more promising)
    observed_x: np.ndarray  # COMPLETE trials' parameter values
    observed_y: np.ndarray  # and objective values
    direction: str


def _one_float(study: Study) -> tuple[str, Float]:
    trials = complete_trials(study)
    found: dict[str, Any] = {}
    for t in trials:
        found.update(t.distributions)
    varying = {n: d for n, d in found.items() if not d.single}
    if len(varying) != 1 or not isinstance(next(iter(varying.values())), Float):
        described = {n: type(d).__name__ for n, d in varying.items()}
        raise ValueError(
            f"study {study.name!r} must have exactly one non-constant Float parameter for a 1-D "
            f"surrogate plot, got {described or 'none'}."
        )
    name, dist = next(iter(varying.items()))
    return name, dist


def _info(study: Study, n_points: int = 200) -> _SurrogateInfo:
    """Fit the sampler's surrogate and evaluate mean, std and acquisition on a grid."""
    check_study(study)
    n_points = check_positive_int("n_points", n_points, 2)
    sampler = getattr(study, "sampler", None)
    if not callable(getattr(sampler, "surrogate", None)):
        raise TypeError(
            f"study {study.name!r} uses {type(sampler).__name__}, which exposes no surrogate; "
            "use tunelab.samplers.gp.GPSampler."
        )
    name, dist = _one_float(study)
    if dist.log:
        grid = np.geomspace(dist.low, dist.high, n_points)
    else:
        grid = np.linspace(dist.low, dist.high, n_points)
    if dist.step is not None:
        grid = np.unique([dist.from_unit(dist.to_unit(v)) for v in grid])
    surrogate = sampler.surrogate(study)  # type: ignore[union-attr]
    points = [{name: float(v)} for v in grid]
    mean, std = surrogate.predict(points)
    acq = surrogate.acquisition(points)
    trials = [t for t in complete_trials(study) if name in t.params]
    return _SurrogateInfo(
        name, dist.log, str(getattr(sampler, "acquisition", "acquisition")), grid,
        np.asarray(mean, float), np.asarray(std, float), np.asarray(acq, float),
        np.array([float(t.params[name]) for t in trials]), values_of(trials), study.direction,
    )


def _add_panels(fig: Any, go: Any, info: _SurrogateInfo, col: int, legend: bool) -> None:
    """Draw ``info`` into column ``col`` of a 2-row figure (model on top, acquisition below)."""
    upper, lower = info.mean + 2 * info.std, info.mean - 2 * info.std
    fig.add_trace(go.Scatter(
        x=np.concatenate([info.grid, info.grid[::-1]]), y=np.concatenate([upper, lower[::-1]]),
        fill="toself", fillcolor="rgba(31,119,180,0.2)", line={"width": 0}, name="±2σ",
        legendgroup="band", showlegend=legend, hoverinfo="skip"), row=1, col=col)
    fig.add_trace(go.Scatter(x=info.grid, y=info.mean, mode="lines", name="mean", legendgroup="mean",
                             showlegend=legend, line={"color": "#1f77b4", "width": 2}), row=1, col=col)
    fig.add_trace(go.Scatter(x=info.observed_x, y=info.observed_y, mode="markers", name="observations",
                             legendgroup="obs", showlegend=legend,
                             marker={"color": "black", "size": 7}), row=1, col=col)
    fig.add_trace(go.Scatter(x=info.grid, y=info.acquisition, mode="lines", name="acquisition",
                             legendgroup="acq", showlegend=legend,
                             line={"color": "#ff7f0e", "width": 2}), row=2, col=col)
    best = int(np.argmax(info.acquisition))
    fig.add_trace(go.Scatter(x=[info.grid[best]], y=[info.acquisition[best]], mode="markers",
                             name="next point", legendgroup="next", showlegend=legend,
                             marker={"color": "#d62728", "size": 10, "symbol": "star"}), row=2, col=col)
    axis_type = "log" if info.log else "linear"
    fig.update_xaxes(type=axis_type, row=1, col=col)
    fig.update_xaxes(type=axis_type, title_text=info.param, row=2, col=col)


def plot_gp_surrogate_1d(study: Study, *, n_points: int = 200,
                         target_name: str = "Objective value") -> go.Figure:
    """Plot the GP's posterior mean ±2σ with the observations, and its acquisition underneath.

    Args:
        study: A study over one Float parameter, with at least 2 COMPLETE trials, whose
            sampler exposes ``surrogate(study)`` (a GPSampler).
        n_points: Grid points along the parameter (>= 2).
        target_name: Title of the model panel's value axis.

    Returns:
        A two-row plotly Figure: band, mean and observations on top; acquisition and its
        maximiser ("next point") below, on a shared parameter axis.

    Raises:
        TypeError: The sampler exposes no surrogate.
        ValueError: No COMPLETE trial, or the study does not have exactly one Float parameter.

    Example:
        >>> import tunelab
        >>> from tunelab.samplers.gp import GPSampler
        >>> study = tunelab.create_study(storage=":memory:",
        ...                              sampler=GPSampler(seed=1, n_startup_trials=2, n_candidates=32))
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2, n_trials=4)
        >>> plot_gp_surrogate_1d(study, n_points=20).layout.xaxis2.title.text
        'x'
    """
    info = _info(study, n_points)
    go, subplots = plotly_modules()
    fig = subplots.make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3],
                                 vertical_spacing=0.06)
    _add_panels(fig, go, info, 1, legend=True)
    fig.update_yaxes(title_text=target_name, row=1, col=1)
    fig.update_yaxes(title_text=f"acquisition ({info.acquisition_name})", row=2, col=1)
    fig.update_layout(title=f"GP surrogate over {info.param} ({len(info.observed_x)} observations)")
    return fig

"""Active learning next to Bayesian optimisation: two GP studies of one 1-D function side by side.

With ``acquisition="uncertainty"`` the GP sampler samples where the model is least sure and
learns the whole function; with ``"logei"`` it samples where improvement is likely and
crowds around the optimum. Drawn together, the difference is plain.

Example:
    >>> import tunelab
    >>> from tunelab.samplers.gp import GPSampler
    >>> def f(t):
    ...     return (t.suggest_float("x", -2, 2) - 1) ** 2
    >>> studies = []
    >>> for acq in ("uncertainty", "logei"):
    ...     s = tunelab.create_study(name=acq, storage=":memory:",
    ...                              sampler=GPSampler(acq, seed=0, n_startup_trials=2, n_candidates=32))
    ...     s.optimize(f, n_trials=4)
    ...     studies.append(s)
    >>> fig = plot_active_learning_vs_bo(*studies, n_points=30)
    >>> [a.text for a in fig.layout.annotations]
    ['Active learning: uncertainty (4 trials)', 'Bayesian optimisation: logei (4 trials)']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tunelab.viz._common import check_study, plotly_modules
from tunelab.viz.gp_surrogate import _add_panels, _info, _SurrogateInfo

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from tunelab.study import Study

__all__ = ["plot_active_learning_vs_bo"]


def _title(kind: str, info: _SurrogateInfo) -> str:
    return f"{kind}: {info.acquisition_name} ({len(info.observed_x)} trials)"


def plot_active_learning_vs_bo(
    active_study: Study, bo_study: Study, *, n_points: int = 200, target_name: str = "Objective value"
) -> go.Figure:
    """Plot two 1-D GP studies side by side: surrogate on top, acquisition below, for each.

    Args:
        active_study: A GP study run with ``acquisition="uncertainty"`` (left column).
        bo_study: A GP study of the same parameter run with an optimising acquisition such as
            ``"logei"`` (right column).
        n_points: Grid points along the parameter (>= 2).
        target_name: Title of the model panels' value axis.

    Returns:
        A 2×2 plotly Figure; each column is :func:`plot_gp_surrogate_1d` for one study, titled
        with its acquisition and trial count; the value axes are shared across columns.

    Raises:
        TypeError: A study's sampler exposes no surrogate.
        ValueError: Either study lacks COMPLETE trials or a single Float parameter, or the
            two studies model different parameters.

    Example:
        >>> plot_active_learning_vs_bo.__name__
        'plot_active_learning_vs_bo'
    """
    left = _info(check_study(active_study, "active_study"), n_points)
    right = _info(check_study(bo_study, "bo_study"), n_points)
    if left.param != right.param:
        raise ValueError(f"both studies must model the same parameter to be compared, got "
                         f"{left.param!r} (active_study) and {right.param!r} (bo_study).")
    go, subplots = plotly_modules()
    fig = subplots.make_subplots(
        rows=2, cols=2, shared_xaxes=True, shared_yaxes="rows", row_heights=[0.7, 0.3],
        vertical_spacing=0.06, horizontal_spacing=0.04,
        subplot_titles=(_title("Active learning", left), _title("Bayesian optimisation", right), "", ""),
    )
    _add_panels(fig, go, left, 1, legend=True)
    _add_panels(fig, go, right, 2, legend=False)
    fig.update_yaxes(title_text=target_name, row=1, col=1)
    fig.update_yaxes(title_text="acquisition", row=2, col=1)
    fig.update_yaxes(matches=None, row=2, col=2)  # acquisitions have different scales
    fig.update_layout(title="Active learning vs Bayesian optimisation", width=1100)
    return fig

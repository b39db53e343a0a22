"""Figures of studies and runs, as plotly figures for notebooks and the dashboard.

Each module draws one figure. Its private ``_info(...)`` computes the figure's data (arrays
and labels in a frozen dataclass) without plotly, so the dashboard's JSON API can reuse it;
the public ``plot_*`` function validates the input, calls ``_info`` and builds a
``plotly.graph_objects.Figure``. plotly is imported only inside the ``plot_*`` functions and
is the ``viz`` extra: ``pip install 'tunelab[viz]'``. Static images (``fig.write_image``) need
kaleido, which tunelab does not require; ``fig.write_html`` always works.

Example:
    >>> import tunelab
    >>> from tunelab import viz
    >>> study = tunelab.create_study(storage=":memory:", seed=0)
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=5)
    >>> type(viz.plot_optimization_history(study)).__name__
    'Figure'
"""

from __future__ import annotations

from tunelab.viz.active_learning import plot_active_learning_vs_bo
from tunelab.viz.contour import plot_contour
from tunelab.viz.coverage import plot_grid_vs_random_coverage
from tunelab.viz.edf import plot_edf
from tunelab.viz.error_bars import plot_scores_with_error_bars
from tunelab.viz.gp_surrogate import plot_gp_surrogate_1d
from tunelab.viz.history import plot_optimization_history
from tunelab.viz.importances import plot_param_importances
from tunelab.viz.intermediate import plot_intermediate_values
from tunelab.viz.metric_curves import plot_metric_curves
from tunelab.viz.parallel import plot_parallel_coordinate
from tunelab.viz.slice import plot_slice
from tunelab.viz.timeline import plot_timeline

__all__ = [
    "plot_active_learning_vs_bo",
    "plot_contour",
    "plot_edf",
    "plot_gp_surrogate_1d",
    "plot_grid_vs_random_coverage",
    "plot_intermediate_values",
    "plot_metric_curves",
    "plot_optimization_history",
    "plot_param_importances",
    "plot_parallel_coordinate",
    "plot_scores_with_error_bars",
    "plot_slice",
    "plot_timeline",
]

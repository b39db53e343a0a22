"""Scores with error bars: mean ± standard deviation or confidence interval per configuration.

For multi-seed runs and nested cross-validation, where one number hides the spread: each
label's scores are drawn as a bar at their mean with an error bar, and the individual
scores as points on top.

Example:
    >>> fig = plot_scores_with_error_bars({"svm": [0.81, 0.83, 0.80], "rf": [0.86, 0.84, 0.88]})
    >>> [round(float(v), 3) for v in fig.data[0].y]
    [0.813, 0.86]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from tunelab.viz._common import plotly_modules

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["plot_scores_with_error_bars"]


@dataclass(frozen=True, slots=True)
class _ScoresInfo:
    labels: tuple[str, ...]
    means: np.ndarray
    errors: np.ndarray  # half-widths: std, or the CI's half-width
    scores: tuple[np.ndarray, ...]  # each label's scores
    error: str  # "std" or "ci"
    confidence: float


def _check_scores(scores: Mapping[str, Sequence[float]]) -> dict[str, np.ndarray]:
    if not isinstance(scores, Mapping) or not scores:
        raise TypeError(f"`scores` must be a non-empty dict label -> list of scores, got {scores!r}.")
    arrays = {}
    for label, values in scores.items():
        try:
            arr = np.asarray(values, dtype=float).reshape(-1)
        except (TypeError, ValueError):
            raise TypeError(f"scores of {label!r} must be a list of numbers, got {values!r}.") from None
        if not arr.size or not np.all(np.isfinite(arr)):
            raise ValueError(f"scores of {label!r} must be a non-empty list of finite numbers, got {values!r}.")
        arrays[str(label)] = arr
    return arrays


def _info(scores: Mapping[str, Sequence[float]], error: Literal["std", "ci"] = "std",
          confidence: float = 0.95) -> _ScoresInfo:
    """Means and error half-widths (sample std, or Student-t confidence interval) per label."""
    if error not in ("std", "ci"):
        raise ValueError(f"`error` must be 'std' or 'ci', got {error!r}.")
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        raise ValueError(f"`confidence` must be a number in (0, 1), got {confidence!r}.")
    arrays = _check_scores(scores)
    means, errors = [], []
    for label, arr in arrays.items():
        std = float(arr.std(ddof=1)) if arr.size > 1 else 0.0
        if error == "ci":
            if arr.size < 2:
                raise ValueError(f"a confidence interval needs at least 2 scores; {label!r} has {arr.size}.")
            from scipy.stats import t as student_t

            half = float(student_t.ppf(0.5 + confidence / 2, arr.size - 1)) * std / math.sqrt(arr.size)
        else:
            half = std
        means.append(float(arr.mean()))
        errors.append(half)
    return _ScoresInfo(tuple(arrays), np.array(means), np.array(errors), tuple(arrays.values()), error,
                       float(confidence))


def plot_scores_with_error_bars(
    scores: Mapping[str, Sequence[float]],
    *,
    error: Literal["std", "ci"] = "std",
    confidence: float = 0.95,
    metric_name: str = "score",
    show_points: bool = True,
) -> go.Figure:
    """Bar chart of each label's mean score with error bars, and the individual scores.

    Args:
        scores: Label (a configuration, model family, sampler …) → its scores over seeds or
            outer folds.
        error: ``"std"`` for ± one sample standard deviation (0 for a single score) or
            ``"ci"`` for a Student-t confidence interval of the mean (needs 2+ scores).
        confidence: Level of the interval when ``error="ci"``, in (0, 1).
        metric_name: Title of the value axis.
        show_points: Overlay each score as a point.

    Returns:
        A plotly Figure: a Bar trace with ``error_y`` (and a Scatter trace of the points).

    Raises:
        TypeError: ``scores`` is not a non-empty dict or holds non-numbers.
        ValueError: An empty or non-finite list, bad ``error`` or ``confidence``, or a CI of a
            single score.

    Example:
        >>> fig = plot_scores_with_error_bars({"a": [1.0, 3.0]}, error="std", show_points=False)
        >>> round(float(fig.data[0].error_y.array[0]), 3), len(fig.data)
        (1.414, 1)
    """
    info = _info(scores, error, confidence)
    go, _ = plotly_modules()
    what = "± std" if info.error == "std" else f"{info.confidence:.0%} CI"
    fig = go.Figure(go.Bar(
        x=list(info.labels), y=info.means, name=f"mean {what}",
        error_y={"type": "data", "array": info.errors, "visible": True, "thickness": 1.5},
        marker={"color": "#9ecae1"},
        hovertemplate="%{x}: %{y:.4g} ± %{error_y.array:.3g}<extra></extra>",
    ))
    if show_points:
        xs = [label for label, arr in zip(info.labels, info.scores, strict=True) for _ in arr]
        ys = np.concatenate(info.scores)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", name="scores",
                                 marker={"color": "#08519c", "size": 6, "opacity": 0.7}))
    fig.update_layout(title=f"{metric_name}: mean {what}", xaxis_title="", yaxis_title=metric_name,
                      showlegend=show_points)
    return fig

"""Helpers shared by the figure modules: input checks, trial selection, parameter axes, plotly.

Nothing here imports plotly at module level; :func:`plotly_modules` does it on demand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from tunelab._history import complete_trials as complete_trials  # re-exported for the figures
from tunelab._history import sampled_distributions as sampled_distributions
from tunelab._imports import require
from tunelab.space import Categorical, Distribution, Float, Int, ScipyDistribution

if TYPE_CHECKING:
    from tunelab.study import Study
    from tunelab.trial import FrozenTrial

__all__: list[str] = []

# Colours per trial state and a qualitative palette for several studies or runs.
STATE_COLOURS = {
    "COMPLETE": "#1f77b4", "PRUNED": "#d62728", "FAIL": "#7f7f7f", "RUNNING": "#2ca02c", "WAITING": "#bcbd22",
}
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")


def plotly_modules() -> tuple[ModuleType, ModuleType]:
    """``(plotly.graph_objects, plotly.subplots)``, or an ImportError naming the ``viz`` extra."""
    go = require("plotly.graph_objects", extra="viz", feature="tunelab.viz")
    subplots = require("plotly.subplots", extra="viz", feature="tunelab.viz")
    return go, subplots


def check_study(study: Any, name: str = "study") -> Study:
    """Return ``study`` if it looks like a Study (trials, direction, name), else a TypeError."""
    if not all(hasattr(study, attr) for attr in ("get_trials", "direction", "name")):
        raise TypeError(f"`{name}` must be a tunelab Study, got {type(study).__name__}.")
    return study  # type: ignore[no-any-return]


def check_studies(studies: Any) -> list[Study]:
    """One study or a non-empty sequence of studies sharing a direction, as a list."""
    if hasattr(studies, "get_trials"):
        return [check_study(studies)]
    if isinstance(studies, (str, bytes)) or not isinstance(studies, Sequence) or not studies:
        raise TypeError(f"`study` must be a Study or a non-empty list of studies, got {studies!r}.")
    checked = [check_study(s, f"study[{i}]") for i, s in enumerate(studies)]
    directions = {s.direction for s in checked}
    if len(directions) > 1:
        pairs = ", ".join(f"{s.name!r}: {s.direction}" for s in checked)
        raise ValueError(f"the studies must share one direction to be compared, got {pairs}.")
    return checked


def select_params(found: dict[str, Distribution], params: Sequence[str] | None, study_name: str,
                  *, exactly: int | None = None, at_least: int = 1) -> list[str]:
    """Validate ``params`` against the sampled names; None means all (or the first ``exactly``)."""
    if params is None:
        chosen = list(found)
        if exactly is not None:
            if len(chosen) < exactly:
                raise ValueError(
                    f"study {study_name!r} sampled {len(chosen)} parameter(s) {chosen}; this figure "
                    f"needs {exactly}."
                )
            chosen = chosen[:exactly]
        return chosen
    if isinstance(params, str) or not isinstance(params, Sequence):
        raise TypeError(f"`params` must be a list of parameter names or None, got {params!r}.")
    unknown = [p for p in params if p not in found]
    if unknown:
        raise ValueError(
            f"`params` names {unknown}, never sampled by a COMPLETE trial of study {study_name!r}; "
            f"sampled parameters: {list(found)}."
        )
    chosen = list(dict.fromkeys(params))
    if exactly is not None and len(chosen) != exactly:
        raise ValueError(f"`params` must name exactly {exactly} distinct parameters, got {list(params)}.")
    if len(chosen) < at_least:
        raise ValueError(f"`params` must name at least {at_least} parameter(s), got {list(params)}.")
    return chosen


@dataclass(frozen=True, slots=True)
class ParamAxis:
    """How one parameter is drawn on an axis: numeric coordinates and the axis settings.

    ``coords`` are the plotted positions: the value itself for numbers (``log`` axes take the
    raw value), the choice's index for categoricals (labelled by ``tickvals``/``ticktext``).
    """

    name: str
    coords: np.ndarray
    axis_type: str  # "linear" | "log" | "category"
    tickvals: tuple[float, ...] = ()
    ticktext: tuple[str, ...] = ()

    def layout(self) -> dict[str, Any]:
        """Keyword arguments for ``fig.update_xaxes``/``update_yaxes``."""
        settings: dict[str, Any] = {"title_text": self.name}
        if self.axis_type == "log":
            settings["type"] = "log"
        elif self.axis_type == "category":
            settings.update(type="linear", tickmode="array", tickvals=list(self.tickvals),
                            ticktext=list(self.ticktext))
        return settings


def is_log(dist: Distribution) -> bool:
    """True when the parameter is sampled in log space."""
    if isinstance(dist, (Float, Int)):
        return bool(dist.log)
    if isinstance(dist, ScipyDistribution):
        return dist.name in ("loguniform", "reciprocal")
    return False


def _numeric_choices(dist: Categorical) -> bool:
    return all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in dist.choices)


def param_axis(name: str, dist: Distribution, values: Sequence[Any], *,
               numeric_categories: bool = False) -> ParamAxis:
    """Plot coordinates for ``values`` of one parameter (categoricals become indices).

    With ``numeric_categories``, a categorical whose choices are all numbers (a grid such as
    ``[0.1, 1.0, 10.0]``) is drawn at its values on a linear axis, so that it lines up with a
    Float of the same name in another study.
    """
    if isinstance(dist, Categorical) and not (numeric_categories and _numeric_choices(dist)):
        coords = np.array([dist.index(v) for v in values], dtype=float)
        ticks = tuple(float(i) for i in range(len(dist.choices)))
        return ParamAxis(name, coords, "category", ticks, tuple(str(c) for c in dist.choices))
    coords = np.array([float(v) for v in values], dtype=float)
    return ParamAxis(name, coords, "log" if is_log(dist) else "linear")


def trials_with(trials: Sequence[FrozenTrial], names: Sequence[str]) -> list[FrozenTrial]:
    """The trials that sampled every one of ``names``."""
    return [t for t in trials if all(n in t.params for n in names)]


def values_of(trials: Sequence[FrozenTrial]) -> np.ndarray:
    """The trials' objective values as a float array."""
    return np.array([float(t.value) for t in trials], dtype=float)  # type: ignore[arg-type]


def check_positive_int(name: str, value: Any, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum``, else a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"`{name}` must be an int >= {minimum}, got {value!r}.")
    return int(value)

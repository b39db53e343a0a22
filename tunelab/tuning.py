"""`tune()`: the static-space functional form, ``fn(config) -> float``, over a study.

Example:
    >>> import tunelab
    >>> study = tunelab.tune(lambda c: (c["x"] - 1) ** 2, {"x": [0, 1, 2]}, sampler="grid", storage=":memory:")
    >>> study.best_params
    {'x': 1}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tunelab.samplers import get_sampler
from tunelab.space import as_space
from tunelab.study import Direction, SamplerLike, Study, create_study
from tunelab.trial import Trial

__all__ = ["tune"]


def tune(
    fn: Callable[[dict[str, Any]], float],
    space: Mapping[str, Any],
    n_trials: int | None = None,
    direction: Direction = "minimize",
    sampler: SamplerLike = None,
    **study_kwargs: Any,
) -> Study:
    """Tune ``fn(config) -> float`` over a static ``space``; returns the finished study.

    Args:
        fn: Takes a dict of parameter values, returns the objective.
        space: Name → Float/Int/Categorical, list of values, or frozen scipy.stats distribution.
        n_trials: Trials to run; with ``sampler="grid"`` None means the whole grid.
        direction: ``"minimize"`` or ``"maximize"``.
        sampler: As in :func:`create_study`, plus ``"grid"`` (the grid is the space).
        **study_kwargs: ``name``, ``storage``, ``pruner``, ``seed``, ``load_if_exists`` for
            :func:`create_study`; ``timeout``, ``n_jobs``, ``callbacks``, ``catch``,
            ``show_progress_bar`` for :meth:`Study.optimize`.

    Example:
        >>> import tunelab
        >>> study = tunelab.tune(lambda c: (c["x"] - 2) ** 2 + c["k"], {"x": [1, 2, 3], "k": [0, 1]},
        ...                      sampler="grid", storage=":memory:")
        >>> study.best_params
        {'x': 2, 'k': 0}
    """
    distributions = as_space(space)
    optimize_keys = {"timeout", "n_jobs", "callbacks", "catch", "show_progress_bar"}
    run_kwargs = {k: study_kwargs.pop(k) for k in list(study_kwargs) if k in optimize_keys}
    unknown = set(study_kwargs) - {"name", "storage", "pruner", "seed", "load_if_exists"}
    if unknown:
        raise TypeError(f"tune() got unexpected keyword arguments {sorted(unknown)}.")
    if isinstance(sampler, str) and sampler == "grid":
        sampler = get_sampler("grid", seed=study_kwargs.pop("seed", None), space=distributions)
    elif n_trials is None and run_kwargs.get("timeout") is None:
        raise ValueError("`n_trials` or `timeout` must be given unless sampler='grid'.")
    study = create_study(sampler=sampler, direction=direction, **study_kwargs)

    def objective(trial: Trial) -> float:
        config = {name: trial.suggest(name, dist) for name, dist in distributions.items()}
        return fn(config)

    study.optimize(objective, n_trials=n_trials, **run_kwargs)
    return study


"""One small ask/tell adapter per library, so every optimiser runs the same loop.

Each adapter is built from a tunelab search space (name -> Float/Int/Categorical), a seed and
a variant name, and offers ``ask() -> config dict`` and ``tell(config, value)`` (minimised).
Peers are imported lazily: install them with ``pip install 'tunelab[bench]'``.

* :class:`TunelabAdapter`: ``auto`` (the default sampler), ``tpe``, ``gp``, ``random``, ``qmc``.
* :class:`OptunaAdapter`: ``tpe`` (Optuna 5's default TPE, which is multivariate), ``tpe-uni``
  (univariate TPE, the default up to Optuna 4),
  ``gp`` (GPSampler, needs torch), ``cmaes`` (CmaEsSampler, needs cmaes).
* :class:`HyperoptAdapter`: ``tpe`` (hyperopt's TPE, driven trial by trial through its Trials).
* :class:`SkoptAdapter`: ``gp`` (scikit-optimize's Optimizer with its defaults: GP, gp_hedge).
* :class:`BayesOptAdapter`: ``gp`` (bayesian-optimization; ints and categoricals are decoded
  from a continuous [0, 1] box with tunelab's unit encoding, as that library has no such types).

Example:
    >>> from tunelab import Float
    >>> opt = make_adapter("tunelab-random", {"x": Float(0, 1)}, seed=0)
    >>> config = opt.ask(); opt.tell(config, config["x"] ** 2)
    >>> 0 <= config["x"] <= 1
    True
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from tunelab.space import Categorical, Distribution, Float, Int

__all__ = [
    "METHODS",
    "SLOW_METHODS",
    "BayesOptAdapter",
    "HyperoptAdapter",
    "OptunaAdapter",
    "SkoptAdapter",
    "TunelabAdapter",
    "make_adapter",
]

Space = Mapping[str, Distribution]


class _StudyAdapter:
    """Ask/tell through a study with ``ask(space)`` and ``tell(trial, value)`` (tunelab and Optuna)."""

    study: Any
    space: dict[str, Any]
    _live: dict[int, Any]

    def ask(self) -> dict[str, Any]:
        trial = self.study.ask(self.space)
        config = dict(trial.params)
        self._live[id(config)] = trial
        return config

    def tell(self, config: dict[str, Any], value: float) -> None:
        self.study.tell(self._live.pop(id(config)), value)


class TunelabAdapter(_StudyAdapter):
    """tunelab's samplers through ``study.ask(space)`` / ``study.tell``.

    Example:
        >>> from tunelab import Float
        >>> TunelabAdapter("qmc", {"x": Float(0, 1)}, 0).ask()["x"] < 1
        True
    """

    def __init__(self, variant: str, space: Space, seed: int) -> None:
        import tunelab

        self.space = dict(space)
        sampler: Any = variant
        if variant == "gp-warp":
            from tunelab.samplers.gp import GPSampler

            sampler = GPSampler(seed=seed, output_warping=True)
        self.study = tunelab.create_study(storage=":memory:", sampler=sampler, seed=seed)
        self._live: dict[int, Any] = {}

class OptunaAdapter(_StudyAdapter):
    """Optuna samplers through ``study.ask(distributions)`` / ``study.tell``.

    Example:
        >>> from tunelab import Int
        >>> OptunaAdapter("tpe", {"n": Int(1, 5)}, 0).ask()["n"] in range(1, 6)
        True
    """

    def __init__(self, variant: str, space: Space, seed: int) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        samplers = {
            "tpe": lambda: optuna.samplers.TPESampler(seed=seed),
            "tpe-uni": lambda: optuna.samplers.TPESampler(seed=seed, multivariate=False),
            "gp": lambda: optuna.samplers.GPSampler(seed=seed),
            "cmaes": lambda: optuna.samplers.CmaEsSampler(seed=seed),
        }
        self.study = optuna.create_study(sampler=samplers[variant]())
        self.space = {n: self._distribution(d) for n, d in space.items()}
        self._live: dict[int, Any] = {}

    @staticmethod
    def _distribution(dist: Distribution) -> Any:
        from optuna import distributions as od

        if isinstance(dist, Categorical):
            return od.CategoricalDistribution(list(dist.choices))
        if isinstance(dist, Int):
            return od.IntDistribution(dist.low, dist.high, log=dist.log, step=dist.step)
        if isinstance(dist, Float):
            return od.FloatDistribution(dist.low, dist.high, log=dist.log, step=dist.step)
        raise TypeError(f"no Optuna distribution for {dist!r}")

class HyperoptAdapter:
    """hyperopt's TPE, one suggestion at a time through ``tpe.suggest`` and a Trials object.

    Example:
        >>> from tunelab import Float
        >>> HyperoptAdapter("tpe", {"x": Float(1e-3, 1, log=True)}, 0).ask()["x"] <= 1
        True
    """

    def __init__(self, variant: str, space: Space, seed: int) -> None:
        import hyperopt

        self._hp = hyperopt
        self.space = {n: self._expression(n, d) for n, d in space.items()}
        self.ints = {n: d for n, d in space.items() if isinstance(d, Int)}
        self.domain = hyperopt.base.Domain(lambda config: 0.0, self.space)
        self.trials = hyperopt.Trials()
        self.rng = np.random.default_rng(seed)
        self._live: dict[int, Any] = {}

    def _expression(self, name: str, dist: Distribution) -> Any:
        hp = self._hp.hp
        if isinstance(dist, Categorical):
            return hp.choice(name, list(dist.choices))
        if isinstance(dist, Int):
            low, high = dist.low - 0.5, dist.high + 0.5  # equal mass per integer, then round
            if dist.log:
                return hp.qloguniform(name, math.log(dist.low), math.log(dist.high + 0.5), 1)
            return hp.quniform(name, low, high, dist.step)
        if isinstance(dist, Float):
            if dist.log:
                return hp.loguniform(name, math.log(dist.low), math.log(dist.high))
            return hp.uniform(name, dist.low, dist.high)
        raise TypeError(f"no hyperopt expression for {dist!r}")

    def ask(self) -> dict[str, Any]:
        ids = self.trials.new_trial_ids(1)
        seed = int(self.rng.integers(2**31 - 1))
        doc = self._hp.tpe.suggest(ids, self.domain, self.trials, seed)[0]
        vals = {k: v[0] for k, v in doc["misc"]["vals"].items() if v}
        config = dict(self._hp.space_eval(self.space, vals))
        for n, d in self.ints.items():  # q-distributions return floats, possibly just outside the range
            config[n] = min(max(int(round(config[n])), d.low), d.high)
        self._live[id(config)] = doc
        return config

    def tell(self, config: dict[str, Any], value: float) -> None:
        doc = self._live.pop(id(config))
        doc["state"] = self._hp.JOB_STATE_DONE
        doc["result"] = {"loss": float(value), "status": self._hp.STATUS_OK}
        self.trials.insert_trial_docs([doc])
        self.trials.refresh()


class SkoptAdapter:
    """scikit-optimize's ``Optimizer`` (GP surrogate, gp_hedge acquisition, its defaults).

    Example:
        >>> from tunelab import Categorical
        >>> SkoptAdapter("gp", {"k": Categorical(("a", "b"))}, 0).ask()["k"] in ("a", "b")
        True
    """

    def __init__(self, variant: str, space: Space, seed: int) -> None:
        from skopt import Optimizer
        from skopt.space import Categorical as SCat
        from skopt.space import Integer, Real

        dims = []
        for name, dist in space.items():
            if isinstance(dist, Categorical):
                dims.append(SCat(list(dist.choices), name=name))
            elif isinstance(dist, Int):
                dims.append(Integer(dist.low, dist.high, prior="log-uniform" if dist.log else "uniform", name=name))
            else:
                dims.append(Real(dist.low, dist.high, prior="log-uniform" if dist.log else "uniform", name=name))
        self.names = list(space)
        self.opt = Optimizer(dims, random_state=seed)

    def ask(self) -> dict[str, Any]:
        x = self.opt.ask()
        return {n: (v.item() if hasattr(v, "item") else v) for n, v in zip(self.names, x, strict=True)}

    def tell(self, config: dict[str, Any], value: float) -> None:
        self.opt.tell([config[n] for n in self.names], float(value))


class BayesOptAdapter:
    """bayesian-optimization (maximises ``-value``) over the unit box of tunelab's encoding.

    Example:
        >>> from tunelab import Float
        >>> BayesOptAdapter("gp", {"x": Float(2, 3)}, 0).ask()["x"] >= 2
        True
    """

    n_initial = 5

    def __init__(self, variant: str, space: Space, seed: int) -> None:
        from bayes_opt import BayesianOptimization

        self.space = dict(space)
        bounds = {n: (0.0, 1.0 - 1e-9) for n in space}
        self.opt = BayesianOptimization(f=None, pbounds=bounds, random_state=seed, verbose=0,
                                        allow_duplicate_points=True)
        self.rng = np.random.default_rng(seed)
        self.n_told = 0
        self._live: dict[int, dict[str, float]] = {}

    def ask(self) -> dict[str, Any]:
        if self.n_told < self.n_initial:
            unit = {n: float(self.rng.random()) for n in self.space}
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                unit = {n: float(v) for n, v in self.opt.suggest().items()}
        config = {n: self._decode(d, unit[n]) for n, d in self.space.items()}
        self._live[id(config)] = unit
        return config

    @staticmethod
    def _decode(dist: Distribution, u: float) -> Any:
        u = min(max(u, 0.0), 1.0 - 1e-12)
        if isinstance(dist, Categorical):
            return dist.choices[int(u * len(dist.choices))]
        return dist.from_unit(u)

    def tell(self, config: dict[str, Any], value: float) -> None:
        self.opt.register(params=self._live.pop(id(config)), target=-float(value))
        self.n_told += 1


_LIBRARIES = {
    "tunelab": TunelabAdapter,
    "optuna": OptunaAdapter,
    "hyperopt": HyperoptAdapter,
    "skopt": SkoptAdapter,
    "bayesopt": BayesOptAdapter,
}

METHODS = (
    "tunelab-auto", "tunelab-tpe", "tunelab-gp", "tunelab-gp-warp", "tunelab-random", "tunelab-qmc",
    "optuna-tpe", "optuna-tpe-uni", "optuna-gp", "optuna-cmaes",
    "hyperopt-tpe", "skopt-gp", "bayesopt-gp",
)
"""Every method name: ``<library>-<variant>``."""

SLOW_METHODS = ("optuna-gp", "skopt-gp", "bayesopt-gp")
"""Peers costing ~0.3-2 s per trial: run on fewer seeds."""


def make_adapter(method: str, space: Space, seed: int) -> Any:
    """Build the adapter for ``method`` (``"<library>-<variant>"``, see :data:`METHODS`).

    Example:
        >>> from tunelab import Float
        >>> type(make_adapter("optuna-tpe-uni", {"x": Float(0, 1)}, 0)).__name__
        'OptunaAdapter'
    """
    library, _, variant = method.partition("-")
    if library not in _LIBRARIES or method not in METHODS:
        raise ValueError(f"`method` must be one of {', '.join(METHODS)}, got {method!r}.")
    return _LIBRARIES[library](variant, space, seed)

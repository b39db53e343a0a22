"""Test functions with known optima, for sample-efficiency benchmarks and optimiser tests.

Each :class:`TestFunction` carries its name, a tunelab search space, a callable taking a
config dict (parameter name -> value) and the known optimum value (all are minimised).
Simple regret after a run is ``best_value_found - optimum``.

Definitions follow the usual references (Surjanovic & Bingham's Virtual Library of
Simulation Experiments; BoTorch's ``test_functions.synthetic``).

Example:
    >>> f = FUNCTIONS["branin"]
    >>> abs(f({"x0": 3.14159265, "x1": 2.275}) - f.optimum) < 1e-6
    True
    >>> sorted(FUNCTIONS)
    ['ackley10', 'branin', 'hartmann6', 'mixed', 'rosenbrock10', 'styblinski_tang20']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunelab.space import Categorical, Distribution, Float, Int

__all__ = [
    "FUNCTIONS",
    "TestFunction",
    "ackley",
    "branin",
    "hartmann6",
    "mixed",
    "rosenbrock",
    "styblinski_tang",
]


@dataclass(frozen=True)
class TestFunction:
    """A benchmark problem: a space, a function of a config dict and its known minimum.

    Args:
        name: Short identifier.
        space: Parameter name -> tunelab distribution.
        fn: Maps a config dict to a float (to be minimised).
        optimum: The global minimum value.

    Example:
        >>> f = branin()
        >>> f.name, len(f.space), round(f.optimum, 6)
        ('branin', 2, 0.397887)
    """

    __test__ = False  # not a pytest test class despite its name

    name: str
    space: Mapping[str, Distribution]
    fn: Callable[[Mapping[str, Any]], float]
    optimum: float

    def __call__(self, config: Mapping[str, Any]) -> float:
        return float(self.fn(config))

    def regret(self, value: float) -> float:
        """Simple regret of a best value found: ``value - optimum``.

        Example:
            >>> branin().regret(0.5) > 0
            True
        """
        return float(value) - self.optimum

    def objective(self, trial: Any) -> float:
        """An objective for ``study.optimize``: suggests every parameter, then evaluates.

        Example:
            >>> callable(branin().objective)
            True
        """
        config = {name: trial.suggest(name, dist) for name, dist in self.space.items()}
        return self(config)


def _vector(config: Mapping[str, Any], d: int) -> np.ndarray:
    return np.array([float(config[f"x{i}"]) for i in range(d)])


def _box(d: int, low: float, high: float) -> dict[str, Distribution]:
    return {f"x{i}": Float(low, high) for i in range(d)}


def branin() -> TestFunction:
    """Branin-Hoo on x0 in [-5, 10], x1 in [0, 15]; three global minima, value 0.397887.

    Example:
        >>> round(branin()({"x0": 9.42478, "x1": 2.475}), 5)
        0.39789
    """

    def fn(config: Mapping[str, Any]) -> float:
        x0, x1 = float(config["x0"]), float(config["x1"])
        b, c = 5.1 / (4 * math.pi**2), 5 / math.pi
        t = 1 / (8 * math.pi)
        return (x1 - b * x0**2 + c * x0 - 6) ** 2 + 10 * (1 - t) * math.cos(x0) + 10

    return TestFunction("branin", {"x0": Float(-5, 10), "x1": Float(0, 15)}, fn, 0.397887357729739)


_H6_A = np.array([
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
])
_H6_P = 1e-4 * np.array([
    [1312, 1696, 5569, 124, 8283, 5886],
    [2329, 4135, 8307, 3736, 1004, 9991],
    [2348, 1451, 3522, 2883, 3047, 6650],
    [4047, 8828, 8732, 5743, 1091, 381],
])
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6() -> TestFunction:
    """Hartmann-6 on [0, 1]^6; global minimum -3.32237.

    Example:
        >>> x = [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573]
        >>> round(hartmann6()({f"x{i}": v for i, v in enumerate(x)}), 4)
        -3.3224
    """

    def fn(config: Mapping[str, Any]) -> float:
        x = _vector(config, 6)
        inner = np.sum(_H6_A * (x - _H6_P) ** 2, axis=1)
        return float(-np.sum(_H6_ALPHA * np.exp(-inner)))

    return TestFunction("hartmann6", _box(6, 0.0, 1.0), fn, -3.322368011391339)


def ackley(d: int = 10) -> TestFunction:
    """Ackley on [-32.768, 32.768]^d; global minimum 0 at the origin.

    Example:
        >>> f = ackley(3)
        >>> abs(f({"x0": 0.0, "x1": 0.0, "x2": 0.0})) < 1e-12
        True
    """

    def fn(config: Mapping[str, Any]) -> float:
        x = _vector(config, d)
        a = -20 * math.exp(-0.2 * math.sqrt(float(np.mean(x**2))))
        b = -math.exp(float(np.mean(np.cos(2 * math.pi * x))))
        return a + b + 20 + math.e

    return TestFunction(f"ackley{d}", _box(d, -32.768, 32.768), fn, 0.0)


def rosenbrock(d: int = 10) -> TestFunction:
    """Rosenbrock on [-5, 10]^d; global minimum 0 at (1, ..., 1).

    Example:
        >>> rosenbrock(4)({f"x{i}": 1.0 for i in range(4)})
        0.0
    """

    def fn(config: Mapping[str, Any]) -> float:
        x = _vector(config, d)
        return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))

    return TestFunction(f"rosenbrock{d}", _box(d, -5.0, 10.0), fn, 0.0)


def styblinski_tang(d: int = 20) -> TestFunction:
    """Styblinski-Tang on [-5, 5]^d; global minimum -39.16617 * d at x_i = -2.903534.

    Example:
        >>> f = styblinski_tang(2)
        >>> round(f({"x0": -2.903534, "x1": -2.903534}) - f.optimum, 6)
        0.0
    """

    def fn(config: Mapping[str, Any]) -> float:
        x = _vector(config, d)
        return float(0.5 * np.sum(x**4 - 16 * x**2 + 5 * x))

    optimum = 0.5 * d * ((-2.903534) ** 4 - 16 * 2.903534**2 + 5 * -2.903534)
    return TestFunction(f"styblinski_tang{d}", _box(d, -5.0, 5.0), fn, optimum)


_MIXED_OFFSET = {"linear": 1.0, "quadratic": 0.0, "cubic": 0.5}


def mixed() -> TestFunction:
    """A mixed problem: two floats (one log-scaled), an int and a categorical; minimum 0.

    ``f = (x - 0.3)^2 * 10 + (log10(lr) + 3)^2 + (n - 7)^2 / 16 + offset[kind]``, with
    ``x`` in [0, 1], ``lr`` in [1e-5, 1e-1] (log), ``n`` in 1..20 and kind in
    {linear, quadratic, cubic}; the optimum is x=0.3, lr=1e-3, n=7, kind="quadratic".

    Example:
        >>> f = mixed()
        >>> f({"x": 0.3, "lr": 1e-3, "n": 7, "kind": "quadratic"})
        0.0
    """

    def fn(config: Mapping[str, Any]) -> float:
        x, lr, n = float(config["x"]), float(config["lr"]), int(config["n"])
        return (
            10 * (x - 0.3) ** 2
            + (math.log10(lr) + 3) ** 2
            + (n - 7) ** 2 / 16
            + _MIXED_OFFSET[str(config["kind"])]
        )

    space: dict[str, Distribution] = {
        "x": Float(0.0, 1.0),
        "lr": Float(1e-5, 1e-1, log=True),
        "n": Int(1, 20),
        "kind": Categorical(("linear", "quadratic", "cubic")),
    }
    return TestFunction("mixed", space, fn, 0.0)


FUNCTIONS: dict[str, TestFunction] = {
    f.name: f
    for f in (branin(), hartmann6(), ackley(10), rosenbrock(10), styblinski_tang(20), mixed())
}

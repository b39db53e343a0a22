"""Search spaces: the distributions a parameter is drawn from.

A static space is a ``dict`` mapping names to :class:`Float`, :class:`Int` or
:class:`Categorical`; plain lists are read as categorical (grid) values and frozen
``scipy.stats`` distributions as random-search distributions, as scikit-learn does.

Every distribution maps its values to and from the unit interval, the common geometry that
model-based samplers (TPE, GP) and quasi-random sequences work in: ``to_unit(x)`` lies in
``[0, 1]`` and ``from_unit(to_unit(x)) == x``. Log-scaled parameters are uniform in log space;
integer and stepped parameters give each allowed value an equal share of ``[0, 1]``.

Example:
    >>> space = as_space({"lr": Float(1e-4, 1e-1, log=True), "depth": Int(2, 8), "kind": ["a", "b"]})
    >>> space["kind"]
    Categorical(choices=('a', 'b'))
    >>> space["depth"].from_unit(0.99)
    8
    >>> round(space["lr"].from_unit(0.5), 5)
    0.00316
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tunelab.exceptions import SpaceError

__all__ = [
    "Categorical",
    "Distribution",
    "Float",
    "Int",
    "ScipyDistribution",
    "as_space",
    "distribution_from_json",
]

_JSON_VERSION = 1
_STORABLE = (type(None), bool, int, float, str)


class Distribution(ABC):
    """A distribution of one parameter: validation, unit-interval encoding and stored form.

    Example:
        >>> isinstance(Float(0, 1), Distribution)
        True
    """

    @abstractmethod
    def contains(self, value: Any) -> bool:
        """Return True if ``value`` is one this distribution can produce.

        Example:
            >>> Int(1, 3).contains(2), Int(1, 3).contains(4)
            (True, False)
        """

    @abstractmethod
    def to_unit(self, value: Any) -> float:
        """Map a value to ``[0, 1]``.

        Example:
            >>> Float(0, 10).to_unit(5.0)
            0.5
        """

    @abstractmethod
    def from_unit(self, u: float) -> Any:
        """Map ``u`` in ``[0, 1]`` to a value (clipped, rounded to the grid when stepped).

        Example:
            >>> Float(0, 10).from_unit(0.25)
            2.5
        """

    @abstractmethod
    def to_json(self) -> dict[str, Any]:
        """Return the tagged, versioned JSON form stored with every parameter.

        Example:
            >>> Int(1, 3).to_json()["type"]
            'int'
        """

    def grid_values(self) -> list[Any]:
        """Return every value in order, for grid search; continuous ranges raise SpaceError.

        Example:
            >>> Int(1, 7, step=3).grid_values()
            [1, 4, 7]
        """
        raise SpaceError(
            f"{self!r} is continuous and has no finite grid; give a list of values, "
            "a `step`, or use another sampler."
        )

    def validate(self, name: str, value: Any) -> Any:
        """Return ``value`` in canonical form, or raise SpaceError naming ``name``.

        Example:
            >>> Int(0, 3).validate("n", 2.0)
            2
        """
        if not self.contains(value):
            raise SpaceError(f"`{name}` must lie in {self!r}, got {value!r}.")
        return self._canonical(value)

    def _canonical(self, value: Any) -> Any:
        return value

    @property
    def single(self) -> bool:
        """True when only one value is possible.

        Example:
            >>> Float(1, 1).single
            True
        """
        return False


def _check_number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not _is_np_number(value):
        raise SpaceError(f"`{name}` must be a real number, got {value!r}.")
    if not math.isfinite(float(value)):
        raise SpaceError(f"`{name}` must be finite, got {value!r}.")
    return float(value)


def _is_np_number(value: Any) -> bool:
    return type(value).__module__ == "numpy" and hasattr(value, "dtype") and value.dtype.kind in "iuf"


def _check_bounds(low: float, high: float, log: bool) -> None:
    if low > high:
        raise SpaceError(f"`low <= high` must hold, got (low={low!r}, high={high!r}).")
    if log and low <= 0:
        raise SpaceError(f"`low > 0` must hold when log=True, got (low={low!r}).")


@dataclass(frozen=True, slots=True)
class Float(Distribution):
    """A real parameter in ``[low, high]``, optionally log-scaled or on a ``step`` grid.

    Args:
        low: Lower bound, included.
        high: Upper bound, included; ``low <= high``.
        log: Sample uniformly in log space; needs ``low > 0`` and no ``step``.
        step: Only values ``low + k * step`` are drawn; ``high - low`` must be a multiple.

    Example:
        >>> Float(0.0, 1.0, step=0.25).grid_values()
        [0.0, 0.25, 0.5, 0.75, 1.0]
    """

    low: float
    high: float
    log: bool = False
    step: float | None = None

    def __post_init__(self) -> None:
        low = _check_number("low", self.low)
        high = _check_number("high", self.high)
        _check_bounds(low, high, self.log)
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        if self.step is None:
            return
        step = _check_number("step", self.step)
        if self.log:
            raise SpaceError(f"`step` and `log=True` cannot be combined, got (step={step!r}).")
        if step <= 0:
            raise SpaceError(f"`step > 0` must hold, got (step={step!r}).")
        n = (high - low) / step
        if abs(n - round(n)) > 1e-8 * max(1.0, n):
            raise SpaceError(
                f"`high - low` must be a multiple of `step`, got (low={low!r}, high={high!r}, "
                f"step={step!r}); use high={low + math.floor(n) * step!r}."
            )
        object.__setattr__(self, "step", step)

    @property
    def single(self) -> bool:
        return self.low == self.high

    def _n_steps(self) -> int:
        assert self.step is not None
        return int(round((self.high - self.low) / self.step))

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not (isinstance(value, (int, float)) or _is_np_number(value)):
            return False
        x = float(value)
        if not (self.low <= x <= self.high):
            return False
        if self.step is None:
            return True
        k = (x - self.low) / self.step
        return abs(k - round(k)) < 1e-8 * max(1.0, k)

    def _canonical(self, value: Any) -> float:
        return float(value)

    def to_unit(self, value: Any) -> float:
        if self.single:
            return 0.5
        x = float(value)
        if self.step is not None:
            n = self._n_steps()
            k = round((x - self.low) / self.step)
            return (k + 0.5) / (n + 1)
        if self.log:
            span = math.log(self.high) - math.log(self.low)  # 0 when low, high are 1 ulp apart
            return (math.log(x) - math.log(self.low)) / span if span > 0 else 0.5
        return (x - self.low) / (self.high - self.low)

    def from_unit(self, u: float) -> float:
        u = min(max(float(u), 0.0), 1.0)
        if self.single:
            return self.low
        if self.step is not None:
            n = self._n_steps()
            k = min(int(u * (n + 1)), n)
            return min(self.low + k * self.step, self.high)
        if self.log:
            x = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            x = self.low + u * (self.high - self.low)
        return min(max(x, self.low), self.high)

    def grid_values(self) -> list[Any]:
        if self.single:
            return [self.low]
        if self.step is None:
            return Distribution.grid_values(self)  # zero-arg super() fails in slots dataclasses
        return [self.low + k * self.step for k in range(self._n_steps() + 1)]

    def to_json(self) -> dict[str, Any]:
        return {"v": _JSON_VERSION, "type": "float", "low": self.low, "high": self.high,
                "log": self.log, "step": self.step}


@dataclass(frozen=True, slots=True)
class Int(Distribution):
    """An integer parameter in ``[low, high]``, optionally log-scaled or on a ``step`` grid.

    Args:
        low: Lower bound, included.
        high: Upper bound, included; ``low <= high``.
        log: Sample uniformly in log space; needs ``low >= 1`` and ``step == 1``.
        step: Only values ``low + k * step``; ``high - low`` must be a multiple.

    Example:
        >>> Int(2, 10, step=4).grid_values()
        [2, 6, 10]
    """

    low: int
    high: int
    log: bool = False
    step: int = 1

    def __post_init__(self) -> None:
        for field in ("low", "high", "step"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) and not (
                _is_np_number(value) and value.dtype.kind in "iu"
            ):
                raise SpaceError(f"`{field}` must be an int, got {value!r}.")
            object.__setattr__(self, field, int(value))
        _check_bounds(self.low, self.high, self.log)
        if self.step < 1:
            raise SpaceError(f"`step >= 1` must hold, got (step={self.step!r}).")
        if self.log and self.step != 1:
            raise SpaceError(f"`step` must be 1 when log=True, got (step={self.step!r}).")
        if (self.high - self.low) % self.step:
            fitted = self.low + (self.high - self.low) // self.step * self.step
            raise SpaceError(
                f"`high - low` must be a multiple of `step`, got (low={self.low}, "
                f"high={self.high}, step={self.step}); use high={fitted}."
            )

    @property
    def single(self) -> bool:
        return self.low == self.high

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if isinstance(value, float) or (_is_np_number(value) and value.dtype.kind == "f"):
            if not float(value).is_integer():
                return False
        elif not (isinstance(value, int) or _is_np_number(value)):
            return False
        x = int(value)
        return self.low <= x <= self.high and (x - self.low) % self.step == 0

    def _canonical(self, value: Any) -> int:
        return int(value)

    def _edges(self) -> tuple[float, float]:
        half = 0.5 * self.step
        lo, hi = self.low - half, self.high + half
        return (math.log(lo), math.log(hi)) if self.log else (lo, hi)

    def to_unit(self, value: Any) -> float:
        if self.single:
            return 0.5
        lo, hi = self._edges()
        x = math.log(int(value)) if self.log else float(value)
        return min(max((x - lo) / (hi - lo), 0.0), 1.0)

    def from_unit(self, u: float) -> int:
        u = min(max(float(u), 0.0), 1.0)
        if self.single:
            return self.low
        lo, hi = self._edges()
        x = lo + u * (hi - lo)
        if self.log:
            x = math.exp(x)
        k = round((x - self.low) / self.step)
        return min(max(self.low + k * self.step, self.low), self.high)

    def grid_values(self) -> list[Any]:
        return list(range(self.low, self.high + 1, self.step))

    def to_json(self) -> dict[str, Any]:
        return {"v": _JSON_VERSION, "type": "int", "low": self.low, "high": self.high,
                "log": self.log, "step": self.step}


def _choice_key(value: Any) -> tuple[str, Any]:
    return (type(value).__name__, value)


@dataclass(frozen=True, slots=True)
class Categorical(Distribution):
    """One of a fixed list of choices: None, bool, int, float or str (what a store can hold).

    Args:
        choices: Non-empty, without duplicates. Map objects (models, functions) to names and
            build them from the chosen name inside the objective.

    Example:
        >>> Categorical(["rbf", "linear"]).from_unit(0.9)
        'linear'
    """

    choices: tuple[Any, ...]

    def __post_init__(self) -> None:
        if isinstance(self.choices, (str, bytes)) or not isinstance(self.choices, Sequence):
            raise SpaceError(f"`choices` must be a list or tuple, got {self.choices!r}.")
        choices = tuple(self.choices)
        if not choices:
            raise SpaceError("`choices` must not be empty, got [].")
        for choice in choices:
            if not isinstance(choice, _STORABLE):
                raise SpaceError(
                    f"`choices` must hold only None, bool, int, float or str so they can be "
                    f"stored, got {choice!r} of type {type(choice).__name__}; use names and "
                    "build the object from the chosen name."
                )
            if isinstance(choice, float) and not math.isfinite(choice):
                raise SpaceError(f"`choices` must be finite numbers, got {choice!r}.")
        keys = [_choice_key(c) for c in choices]
        if len(set(keys)) != len(keys):
            dupes = sorted({repr(c) for c, k in zip(choices, keys, strict=True) if keys.count(k) > 1})
            raise SpaceError(f"`choices` must not repeat a value, got duplicates {', '.join(dupes)}.")
        object.__setattr__(self, "choices", choices)

    @property
    def single(self) -> bool:
        return len(self.choices) == 1

    def index(self, value: Any) -> int:
        """Return the position of ``value`` among the choices.

        Example:
            >>> Categorical(["a", "b"]).index("b")
            1
        """
        key = _choice_key(value)
        for i, choice in enumerate(self.choices):
            if _choice_key(choice) == key:
                return i
        raise SpaceError(f"{value!r} is not one of the choices {list(self.choices)!r}.")

    def contains(self, value: Any) -> bool:
        try:
            self.index(value)
        except SpaceError:
            return False
        return True

    def to_unit(self, value: Any) -> float:
        return (self.index(value) + 0.5) / len(self.choices)

    def from_unit(self, u: float) -> Any:
        n = len(self.choices)
        return self.choices[min(max(int(float(u) * n), 0), n - 1)]

    def grid_values(self) -> list[Any]:
        return list(self.choices)

    def to_json(self) -> dict[str, Any]:
        return {"v": _JSON_VERSION, "type": "categorical", "choices": list(self.choices)}


@dataclass(frozen=True, slots=True)
class ScipyDistribution(Distribution):
    """A frozen ``scipy.stats`` distribution used as a random-search distribution.

    Its unit encoding is the CDF, so uniform draws in ``[0, 1]`` follow the distribution.

    Args:
        name: The scipy.stats distribution name, e.g. ``"loguniform"``.
        args: Its positional shape/location arguments.
        kwds: Its keyword arguments.

    Example:
        >>> from scipy.stats import loguniform
        >>> d = ScipyDistribution.from_frozen(loguniform(1e-3, 1e0))
        >>> round(d.from_unit(0.5), 4)
        0.0316
    """

    name: str
    args: tuple[float, ...] = ()
    kwds: tuple[tuple[str, float], ...] = ()

    @classmethod
    def from_frozen(cls, frozen: Any) -> ScipyDistribution:
        """Wrap a frozen scipy.stats distribution such as ``uniform(0, 1)``.

        Example:
            >>> from scipy.stats import randint
            >>> ScipyDistribution.from_frozen(randint(1, 5)).name
            'randint'
        """
        dist = getattr(frozen, "dist", None)
        name = getattr(dist, "name", None)
        if not isinstance(name, str):
            raise SpaceError(f"expected a frozen scipy.stats distribution, got {frozen!r}.")
        args = tuple(float(a) for a in frozen.args)
        kwds = tuple(sorted((str(k), float(v)) for k, v in frozen.kwds.items()))
        return cls(name, args, kwds)

    def _frozen(self) -> Any:
        import scipy.stats

        return getattr(scipy.stats, self.name)(*self.args, **dict(self.kwds))

    @property
    def discrete(self) -> bool:
        """True for integer-valued distributions such as ``randint``.

        Example:
            >>> from scipy.stats import randint
            >>> ScipyDistribution.from_frozen(randint(1, 5)).discrete
            True
        """
        import scipy.stats

        return isinstance(getattr(scipy.stats, self.name), scipy.stats.rv_discrete)

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not (isinstance(value, (int, float)) or _is_np_number(value)):
            return False
        lo, hi = self._frozen().support()
        x = float(value)
        if self.discrete and not x.is_integer():
            return False
        return bool(lo <= x <= hi)

    def _canonical(self, value: Any) -> Any:
        return int(value) if self.discrete else float(value)

    def to_unit(self, value: Any) -> float:
        return float(self._frozen().cdf(float(value)))

    def from_unit(self, u: float) -> Any:
        eps = 1e-12
        x = float(self._frozen().ppf(min(max(float(u), eps), 1.0 - eps)))
        return int(x) if self.discrete else x

    def to_json(self) -> dict[str, Any]:
        return {"v": _JSON_VERSION, "type": "scipy", "name": self.name,
                "args": list(self.args), "kwds": dict(self.kwds)}


def distribution_from_json(data: Mapping[str, Any]) -> Distribution:
    """Rebuild a distribution from its :meth:`Distribution.to_json` form.

    Example:
        >>> distribution_from_json(Float(0, 1, log=False).to_json())
        Float(low=0.0, high=1.0, log=False, step=None)
    """
    kind = data.get("type")
    if data.get("v") != _JSON_VERSION:
        raise SpaceError(f"unknown distribution format version {data.get('v')!r} in {dict(data)!r}.")
    if kind == "float":
        return Float(data["low"], data["high"], log=data["log"], step=data["step"])
    if kind == "int":
        return Int(data["low"], data["high"], log=data["log"], step=data["step"])
    if kind == "categorical":
        return Categorical(tuple(data["choices"]))
    if kind == "scipy":
        return ScipyDistribution(data["name"], tuple(data["args"]),
                                 tuple(sorted(data["kwds"].items())))
    raise SpaceError(f"unknown distribution type {kind!r}; expected float, int, categorical or scipy.")


def as_space(space: Mapping[str, Any]) -> dict[str, Distribution]:
    """Normalise a static space: distributions pass, lists become Categorical, scipy wraps.

    Args:
        space: Parameter name → Float/Int/Categorical, a list or tuple of values, or a frozen
            scipy.stats distribution.

    Returns:
        Parameter name → :class:`Distribution`.

    Raises:
        SpaceError: A name is not a non-empty str, or a value is none of the above.

    Example:
        >>> as_space({"C": [0.1, 1.0]})
        {'C': Categorical(choices=(0.1, 1.0))}
    """
    if not isinstance(space, Mapping):
        raise SpaceError(f"`space` must be a dict of name -> distribution, got {type(space).__name__}.")
    result: dict[str, Distribution] = {}
    for name, value in space.items():
        if not isinstance(name, str) or not name:
            raise SpaceError(f"parameter names must be non-empty str, got {name!r}.")
        if isinstance(value, Distribution):
            result[name] = value
        elif isinstance(value, (list, tuple)):
            result[name] = Categorical(tuple(value))
        elif hasattr(value, "rvs") and hasattr(value, "dist"):
            result[name] = ScipyDistribution.from_frozen(value)
        else:
            raise SpaceError(
                f"`{name}` must be a Float, Int, Categorical, a list of values or a frozen "
                f"scipy.stats distribution, got {value!r}."
            )
    return result

"""Hypothesis strategies for search spaces: distributions, values inside them, and grids.

Used by ``tests/test_space.py`` and the sampler tests. Bounds are kept to magnitudes where
float arithmetic is exact enough to state equalities (|x| <= 1e6).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tunelab.space import Categorical, Distribution, Float, Int

__all__ = [
    "categorical_choices",
    "categoricals",
    "distributions",
    "finite_distributions",
    "floats",
    "grid_spaces",
    "ints",
    "unit_floats",
    "values_in",
]

_BOUND = 1e6

unit_floats = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
"""Any u in [0, 1]."""


@st.composite
def floats(draw: st.DrawFn, *, log: bool | None = None, step: bool | None = None) -> Float:
    """A Float: plain, log-scaled or stepped (``None`` lets hypothesis choose)."""
    use_log = draw(st.booleans()) if log is None else log
    use_step = (not use_log and draw(st.booleans())) if step is None else step
    if use_log:
        low = draw(st.floats(min_value=1e-6, max_value=1e3))
        high = draw(st.floats(min_value=low, max_value=1e6))
        return Float(low, high, log=True)
    if use_step:
        size = draw(st.sampled_from([0.001, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0]))
        low = draw(st.integers(-1000, 1000)) * 0.5
        n = draw(st.integers(0, 40))
        return Float(low, low + n * size, step=size)
    low = draw(st.floats(min_value=-_BOUND, max_value=_BOUND))
    high = draw(st.floats(min_value=low, max_value=_BOUND))
    return Float(low, high)


@st.composite
def ints(draw: st.DrawFn, *, log: bool | None = None) -> Int:
    """An Int: plain, stepped or log-scaled."""
    use_log = draw(st.booleans()) if log is None else log
    if use_log:
        low = draw(st.integers(1, 1000))
        return Int(low, draw(st.integers(low, 10**6)), log=True)
    low = draw(st.integers(-1000, 1000))
    step = draw(st.integers(1, 10))
    return Int(low, low + step * draw(st.integers(0, 50)), step=step)


_choice = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.floats(min_value=-_BOUND, max_value=_BOUND, allow_nan=False),
    st.text(max_size=5),
)


def categorical_choices(min_size: int = 1, max_size: int = 8) -> st.SearchStrategy[list[Any]]:
    """Lists of distinct storable choices (distinct by type and value, as Categorical requires)."""
    return st.lists(_choice, min_size=min_size, max_size=max_size, unique_by=lambda c: (type(c).__name__, c))


def categoricals() -> st.SearchStrategy[Categorical]:
    """A Categorical over distinct storable choices."""
    return categorical_choices().map(lambda cs: Categorical(tuple(cs)))


def distributions() -> st.SearchStrategy[Distribution]:
    """Any Float, Int or Categorical."""
    return st.one_of(floats(), ints(), categoricals())


def finite_distributions() -> st.SearchStrategy[Distribution]:
    """Distributions with a finite grid: stepped Float, Int, Categorical."""
    return st.one_of(floats(step=True, log=False), ints(), categoricals())


def values_in(dist: Distribution) -> st.SearchStrategy[Any]:
    """Values the distribution contains."""
    if isinstance(dist, Categorical):
        return st.sampled_from(dist.choices)
    if isinstance(dist, Int):
        return st.integers(0, (dist.high - dist.low) // dist.step).map(lambda k: dist.low + k * dist.step)
    if isinstance(dist, Float) and dist.step is not None:
        n = round((dist.high - dist.low) / dist.step)
        return st.integers(0, n).map(lambda k: dist.low + k * dist.step)  # type: ignore[operator]
    if isinstance(dist, Float):
        return st.floats(min_value=dist.low, max_value=dist.high)
    raise TypeError(f"no value strategy for {dist!r}")


@st.composite
def grid_spaces(draw: st.DrawFn, max_params: int = 3) -> dict[str, Any]:
    """A small grid search space: name -> list of values or a finite distribution."""
    names = draw(
        st.lists(st.text("abcdefgh", min_size=1, max_size=3), min_size=1, max_size=max_params, unique=True)
    )
    space: dict[str, Any] = {}
    for name in names:
        space[name] = draw(
            st.one_of(
                st.lists(st.integers(-50, 50), min_size=1, max_size=4, unique=True),
                st.lists(st.text(max_size=3), min_size=1, max_size=4, unique=True),
                ints().filter(lambda d: len(d.grid_values()) <= 5),
                floats(step=True, log=False).filter(lambda d: len(d.grid_values()) <= 5),
            )
        )
    return space

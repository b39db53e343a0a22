"""Search spaces: properties of the unit encoding, validation and grids, plus the error messages."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import (
    categoricals,
    distributions,
    finite_distributions,
    floats,
    grid_spaces,
    ints,
    unit_floats,
    values_in,
)
from tunelab.exceptions import SpaceError
from tunelab.samplers import GridSampler
from tunelab.space import (
    Categorical,
    Distribution,
    Float,
    Int,
    ScipyDistribution,
    as_space,
    distribution_from_json,
)

# no example database: the tree stays clean and runs do not depend on earlier ones
_PROPERTY = settings(max_examples=100, deadline=None, database=None)


def _same(dist: Distribution, a: Any, b: Any) -> bool:
    if isinstance(dist, Float) and dist.step is None:
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9 * max(1.0, abs(dist.high - dist.low)))
    if isinstance(dist, Float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9 * dist.step)  # type: ignore[operator]
    return bool(type(a) is type(b) and a == b) or (a is None and b is None)


# -- properties -------------------------------------------------------------------------------
@_PROPERTY
@given(st.data(), distributions())
def test_encode_decode_round_trip(data: st.DataObject, dist: Distribution) -> None:
    value = data.draw(values_in(dist))
    u = dist.to_unit(value)
    assert 0.0 <= u <= 1.0
    assert _same(dist, dist.from_unit(u), value)


@_PROPERTY
@given(distributions(), st.floats(min_value=-1.0, max_value=2.0))
def test_from_unit_always_lands_inside(dist: Distribution, u: float) -> None:
    value = dist.from_unit(u)
    assert dist.contains(value)
    assert dist.validate("p", value) == value


@_PROPERTY
@given(st.one_of(floats(), ints()), unit_floats, unit_floats)
def test_from_unit_is_monotone_for_numbers(dist: Distribution, u: float, v: float) -> None:
    lo, hi = sorted((u, v))
    assert dist.from_unit(lo) <= dist.from_unit(hi)


@_PROPERTY
@given(st.data(), distributions())
def test_validation_accepts_exactly_what_contains_accepts(data: st.DataObject, dist: Distribution) -> None:
    value = data.draw(
        st.one_of(
            values_in(dist),
            st.none(),
            st.booleans(),
            st.text(max_size=3),
            st.integers(-(10**7), 10**7),
            st.floats(allow_nan=True, allow_infinity=True),
        )
    )
    if dist.contains(value):
        canonical = dist.validate("p", value)
        assert dist.contains(canonical)
        assert dist.validate("p", canonical) == canonical
    else:
        with pytest.raises(SpaceError, match="`p` must lie in"):
            dist.validate("p", value)


@_PROPERTY
@given(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)
def test_float_constructor_rejects_or_builds_a_valid_range(low: float, high: float, log: bool) -> None:
    try:
        dist = Float(low, high, log=log)
    except SpaceError:
        bad = not (math.isfinite(low) and math.isfinite(high)) or low > high or (log and low <= 0)
        assert bad
        return
    assert dist.low <= dist.high
    assert dist.contains(dist.low) and dist.contains(dist.high)


@_PROPERTY
@given(st.integers(-100, 100), st.integers(-100, 100), st.integers(-3, 5))
def test_int_constructor_rejects_or_builds_a_valid_range(low: int, high: int, step: int) -> None:
    try:
        dist = Int(low, high, step=step)
    except SpaceError:
        assert low > high or step < 1 or (high - low) % step != 0
        return
    assert dist.grid_values()[0] == low and dist.grid_values()[-1] == high


@_PROPERTY
@given(distributions())
def test_json_round_trip(dist: Distribution) -> None:
    assert distribution_from_json(dist.to_json()) == dist


@_PROPERTY
@given(finite_distributions())
def test_grid_values_are_inside_distinct_and_sized(dist: Distribution) -> None:
    values = dist.grid_values()
    assert all(dist.contains(v) for v in values)
    if isinstance(dist, Int):
        assert len(values) == (dist.high - dist.low) // dist.step + 1
    elif isinstance(dist, Float):
        assert len(values) == round((dist.high - dist.low) / dist.step) + 1  # type: ignore[operator]
    else:
        assert len(values) == len(dist.choices)  # type: ignore[attr-defined]
    assert len({(type(v).__name__, v) for v in values}) == len(values)


@_PROPERTY
@given(finite_distributions(), unit_floats)
def test_from_unit_lands_on_a_grid_value(dist: Distribution, u: float) -> None:
    value = dist.from_unit(u)
    assert any(_same(dist, value, g) for g in dist.grid_values())


@_PROPERTY
@given(grid_spaces())
def test_grid_enumeration_size_and_uniqueness(space: dict[str, Any]) -> None:
    sampler = GridSampler(space)
    sizes = [len(v) if isinstance(v, list) else len(v.grid_values()) for v in space.values()]
    assert sampler.grid_size == len(sampler) == math.prod(sizes)
    points = [sampler.point(i) for i in range(sampler.grid_size)]
    assert all(list(p) == list(space) for p in points)
    assert len({tuple(repr(v) for v in p.values()) for p in points}) == sampler.grid_size


@_PROPERTY
@given(categoricals(), unit_floats)
def test_categorical_gives_each_choice_an_equal_share(dist: Categorical, u: float) -> None:
    n = len(dist.choices)
    assert dist.index(dist.from_unit(u)) == min(int(u * n), n - 1)


# -- examples and messages ----------------------------------------------------------------------
def test_log_float_encoding_is_uniform_in_log_space() -> None:
    dist = Float(1e-4, 1e0, log=True)
    assert dist.to_unit(1e-2) == pytest.approx(0.5)
    assert dist.from_unit(0.25) == pytest.approx(1e-3)


def test_stepped_float_gives_equal_mass_to_each_value() -> None:
    dist = Float(0.0, 1.0, step=0.5)
    assert [dist.from_unit(u) for u in (0.0, 0.32, 0.34, 0.66, 0.67, 1.0)] == [0.0, 0.0, 0.5, 0.5, 1.0, 1.0]


def test_int_log_covers_both_ends() -> None:
    dist = Int(1, 1000, log=True)
    assert dist.from_unit(0.0) == 1 and dist.from_unit(1.0) == 1000
    # the edges are widened by half a step, so the log-midpoint is sqrt(0.5 * 1000.5)
    assert dist.from_unit(0.5) == round(math.sqrt(0.5 * 1000.5))


def test_single_value_distributions() -> None:
    assert Float(2.0, 2.0).single and Int(3, 3).single and Categorical(["a"]).single
    assert Float(2.0, 2.0).from_unit(0.9) == 2.0 and Float(2.0, 2.0).grid_values() == [2.0]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Float(5, 1), "`low <= high` must hold, got (low=5.0, high=1.0)."),
        (lambda: Float(0, 1, log=True), "`low > 0` must hold when log=True"),
        (lambda: Float(0, 1, step=0.3), "`high - low` must be a multiple of `step`"),
        (lambda: Float(1, 2, log=True, step=0.5), "`step` and `log=True` cannot be combined"),
        (lambda: Float(0, float("inf")), "`high` must be finite"),
        (lambda: Float("0", 1), "`low` must be a real number"),
        (lambda: Int(0, 10, step=3), "use high=9"),
        (lambda: Int(0, 1.5), "`high` must be an int"),
        (lambda: Int(1, 100, log=True, step=3), "`step` must be 1 when log=True"),
        (lambda: Categorical([]), "`choices` must not be empty"),
        (lambda: Categorical(["a", "a"]), "must not repeat a value"),
        (lambda: Categorical([object()]), "must hold only None, bool, int, float or str"),
        (lambda: Categorical("abc"), "`choices` must be a list or tuple"),
    ],
)
def test_invalid_distributions_raise_clear_errors(build: Any, message: str) -> None:
    with pytest.raises(SpaceError) as info:
        build()
    assert message in str(info.value)


def test_continuous_float_has_no_grid() -> None:
    with pytest.raises(SpaceError, match="continuous and has no finite grid"):
        Float(0, 1).grid_values()


def test_int_contains_rejects_bools_and_fractions() -> None:
    dist = Int(0, 10, step=2)
    assert dist.contains(4) and dist.contains(4.0)
    assert not dist.contains(True) and not dist.contains(3) and not dist.contains(4.5)
    assert dist.validate("n", 4.0) == 4 and type(dist.validate("n", 4.0)) is int


def test_categorical_keeps_types_apart() -> None:
    dist = Categorical([1, True, "1"])
    assert [dist.index(v) for v in (1, True, "1")] == [0, 1, 2]
    assert not dist.contains(1.0)


def test_as_space_normalises_and_rejects() -> None:
    from scipy.stats import loguniform

    space = as_space({"a": [1, 2], "b": Int(0, 3), "c": loguniform(1e-3, 1)})
    assert space["a"] == Categorical((1, 2)) and space["b"] == Int(0, 3)
    assert isinstance(space["c"], ScipyDistribution) and space["c"].name == "loguniform"
    with pytest.raises(SpaceError, match="`x` must be a Float, Int, Categorical"):
        as_space({"x": 3})
    with pytest.raises(SpaceError, match="parameter names must be non-empty str"):
        as_space({"": [1]})
    with pytest.raises(SpaceError, match="`space` must be a dict"):
        as_space([("a", [1])])  # type: ignore[arg-type]


def test_scipy_distribution_round_trip_and_json() -> None:
    from scipy.stats import randint, uniform

    cont = ScipyDistribution.from_frozen(uniform(2, 3))
    assert cont.from_unit(0.5) == pytest.approx(3.5) and cont.contains(4.0) and not cont.contains(6.0)
    disc = ScipyDistribution.from_frozen(randint(1, 5))
    assert disc.discrete and disc.from_unit(0.99) == 4 and not disc.contains(2.5)
    assert distribution_from_json(cont.to_json()) == cont


def test_unknown_json_is_refused() -> None:
    with pytest.raises(SpaceError, match="unknown distribution type"):
        distribution_from_json({"v": 1, "type": "weird"})
    with pytest.raises(SpaceError, match="unknown distribution format version"):
        distribution_from_json({"v": 99, "type": "float"})

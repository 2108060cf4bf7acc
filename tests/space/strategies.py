"""Hypothesis strategies that build random search spaces of every shape."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

import rung

_STEPS = ["0.05", "0.1", "0.25", "0.5", "1", "2.5", "10"]


@st.composite
def floats(draw: st.DrawFn) -> rung.space.Float:
    low = draw(st.floats(-1e3, 1e3, allow_nan=False))
    width = draw(st.floats(1e-3, 1e3))
    return rung.uniform(low, low + width)


@st.composite
def logfloats(draw: st.DrawFn) -> rung.space.Float:
    low = draw(st.floats(1e-6, 1e2))
    return rung.loguniform(low, low * draw(st.floats(1.5, 1e5)))


@st.composite
def stepped_floats(draw: st.DrawFn) -> rung.space.Float:
    step = Decimal(draw(st.sampled_from(_STEPS)))
    log = draw(st.booleans())
    first = draw(st.integers(1, 50)) if log else draw(st.integers(-50, 50))
    count = draw(st.integers(1, 200))
    low, high = first * step, (first + count) * step
    make = rung.qloguniform if log else rung.quniform
    return make(float(low), float(high), float(step))


@st.composite
def ints(draw: st.DrawFn) -> rung.space.Int:
    if draw(st.booleans()):
        low = draw(st.integers(1, 1000))
        return rung.lograndint(low, low + draw(st.integers(1, 10**6)))
    step = draw(st.integers(1, 10))
    low = draw(st.integers(-1000, 1000))
    return rung.qrandint(low, low + step * draw(st.integers(1, 100)), step)


def categoricals() -> st.SearchStrategy:
    options = st.lists(
        st.one_of(st.integers(), st.text(max_size=5), st.booleans(), st.none()),
        min_size=1,
        max_size=6,
        unique_by=lambda v: (type(v), v),
    )
    return options.map(rung.choice)


def leaves() -> st.SearchStrategy:
    return st.one_of(floats(), logfloats(), stepped_floats(), ints(), categoricals())


_NAMES = st.text(alphabet="abcdefgh", min_size=1, max_size=4)


@st.composite
def conditionals(draw: st.DrawFn) -> rung.space.Categorical:
    count = draw(st.integers(1, 3))
    options = [
        {"kind": f"option{j}", **draw(st.dictionaries(_NAMES, leaves(), max_size=3))}
        for j in range(count)
    ]
    return rung.choice(options)


@st.composite
def definitions(draw: st.DrawFn) -> dict:
    """A space definition with leaves, constants, nested dicts, lists and conditionals."""
    value = st.one_of(leaves(), conditionals(), st.integers(), st.text(max_size=3))
    nested = st.dictionaries(_NAMES, value, min_size=1, max_size=3)
    top = draw(st.dictionaries(_NAMES, st.one_of(value, nested), min_size=1, max_size=6))
    if draw(st.booleans()):
        top["_list"] = [draw(leaves()), 7]
    return top

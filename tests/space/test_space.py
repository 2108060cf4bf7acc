import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import rung
from rung.space import Float, Int, NumericDomain
from tests.space.strategies import definitions, leaves


def assert_same_config(a, b):
    """Equal, with unstepped floats allowed to differ by rounding of the unit-cube map."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys()
        for key in a:
            assert_same_config(a[key], b[key])
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same_config(x, y)
    elif isinstance(a, float):
        assert type(b) is float and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    else:
        assert type(a) is type(b) and a == b


@settings(max_examples=200, deadline=None)
@given(definitions(), st.integers(0, 2**32 - 1))
def test_decode_encode_round_trip(definition, seed):
    space = rung.Space(definition)
    config = space.sample(np.random.default_rng(seed))
    x = space.encode(config)
    assert_same_config(space.decode(x), config)
    numeric = [i for i, p in enumerate(space.params) if not p.is_categorical]
    active = x[numeric][~np.isnan(x[numeric])]
    assert np.all((active >= 0) & (active <= 1))


@settings(max_examples=300, deadline=None)
@given(leaves(), st.floats(0, 1))
def test_every_unit_point_decodes_inside_bounds_and_on_step(domain, u):
    if not isinstance(domain, NumericDomain):
        return
    value = domain.from_unit(u)
    assert domain.contains(value), (domain, u, value)
    assert domain.low <= value <= domain.high


@settings(max_examples=100, deadline=None)
@given(leaves(), st.integers(0, 2**32 - 1))
def test_samples_are_values_of_their_domain(domain, seed):
    space = rung.Space({"p": domain})
    rng = np.random.default_rng(seed)
    for _ in range(20):
        value = space.sample(rng)["p"]
        if isinstance(domain, NumericDomain):
            assert domain.contains(value)
        else:
            assert any(rung.space.same_value(value, o) for o in domain.options)


def test_loguniform_is_uniform_in_log_and_uniform_is_not():
    rng = np.random.default_rng(0)
    log_space = rung.Space({"x": rung.loguniform(1e-5, 1e-1)})
    logs = np.log([log_space.sample(rng)["x"] for _ in range(3000)])
    assert stats.kstest(logs, stats.uniform(np.log(1e-5), np.log(1e4)).cdf).pvalue > 0.01
    lin_space = rung.Space({"x": rung.uniform(1e-5, 1e-1)})
    logs = np.log([lin_space.sample(rng)["x"] for _ in range(3000)])
    assert stats.kstest(logs, stats.uniform(np.log(1e-5), np.log(1e4)).cdf).pvalue < 1e-6


def test_lograndint_favours_small_values_by_log_width():
    rng = np.random.default_rng(1)
    space = rung.Space({"n": rung.lograndint(1, 1000)})
    values = np.array([space.sample(rng)["n"] for _ in range(4000)])
    below_32 = np.mean(values < 32)
    # P(n < 32) = (log 31.5 - log 0.5) / (log 1000.5 - log 0.5) ~= 0.545 on a log scale.
    assert abs(below_32 - 0.545) < 0.03


def test_randint_includes_both_bounds_with_equal_frequency():
    rng = np.random.default_rng(2)
    space = rung.Space({"n": rung.randint(1, 3)})
    values = [space.sample(rng)["n"] for _ in range(3000)]
    counts = np.bincount(values)[1:]
    assert len(counts) == 3
    assert stats.chisquare(counts).pvalue > 0.01


def test_quniform_grid_values_are_clean_decimals_and_ends_are_as_likely():
    rng = np.random.default_rng(3)
    space = rung.Space({"q": rung.quniform(0, 1, 0.1)})
    values = [space.sample(rng)["q"] for _ in range(5500)]
    assert set(values) == {round(0.1 * k, 1) for k in range(11)}
    counts = np.unique(values, return_counts=True)[1]
    assert stats.chisquare(counts).pvalue > 0.01


def test_conditional_parameters_are_active_only_under_their_option():
    space = rung.Space(
        {
            "opt": rung.choice(
                [
                    {"name": "sgd", "lr": rung.loguniform(1e-4, 1e-1), "mom": rung.uniform(0, 1)},
                    {"name": "adam", "lr": rung.loguniform(1e-5, 1e-2)},
                ]
            ),
            "width": rung.randint(8, 64),
        }
    )
    assert space.names == ("opt", "opt[0]/lr", "opt[0]/mom", "opt[1]/lr", "width")
    config = {"opt": {"name": "adam", "lr": 1e-3}, "width": 10}
    assert space.active(config) == ["opt", "opt[1]/lr", "width"]
    assert np.isnan(space.encode(config)[1])
    sgd = {"opt": {"name": "sgd", "lr": 1e-2, "mom": 0.5}, "width": 10}
    assert space.active(sgd) == ["opt", "opt[0]/lr", "opt[0]/mom", "width"]
    assert space.is_conditional


def test_sample_from_derives_values_in_definition_order():
    space = rung.Space(
        {
            "width": rung.randint(1, 10),
            "double": rung.sample_from(lambda c: 2 * c["width"]),
            "nested": {"quad": rung.sample_from(lambda c: 2 * c["double"])},
        }
    )
    config = space.sample(np.random.default_rng(0))
    assert config["double"] == 2 * config["width"]
    assert config["nested"]["quad"] == 4 * config["width"]
    assert space.dim == 1


def test_sample_from_that_raises_names_itself():
    def broken(config):
        return config["missing"]

    space = rung.Space({"a": rung.uniform(0, 1), "b": rung.sample_from(broken)})
    with pytest.raises(rung.SpaceError, match=r"sample_from\(broken\) for 'b' raised KeyError"):
        space.sample(np.random.default_rng(0))


def test_sample_with_fixed_values():
    space = rung.Space({"a": rung.uniform(0, 1), "b": rung.choice(["x", "y"])})
    config = space.sample(np.random.default_rng(0), fixed={"b": "y"})
    assert config["b"] == "y"
    with pytest.raises(rung.SpaceError, match="no parameter named 'c'"):
        space.sample(np.random.default_rng(0), fixed={"c": 1})


def test_constants_are_copied_not_shared():
    space = rung.Space({"a": rung.uniform(0, 1), "layers": [64, 64]})
    rng = np.random.default_rng(0)
    first, second = space.sample(rng), space.sample(rng)
    first["layers"].append(1)
    assert second["layers"] == [64, 64]


def test_encode_rejects_values_outside_the_space():
    space = rung.Space({"lr": rung.loguniform(1e-4, 1e-1), "n": {"k": rung.randint(1, 5)}})
    with pytest.raises(rung.SpaceError, match=r"lr: 0\.5 is not a value of loguniform"):
        space.encode({"lr": 0.5, "n": {"k": 1}})
    with pytest.raises(rung.SpaceError, match="has no 'n/k'"):
        space.encode({"lr": 0.01, "n": {}})
    assert not space.contains({"lr": 0.01, "n": {"k": 6}})
    assert space.contains({"lr": 0.01, "n": {"k": 5}})


def test_true_is_not_mistaken_for_one():
    space = rung.Space({"c": rung.choice([1, True])})
    assert space.encode({"c": True})[0] == 1
    assert space.encode({"c": 1})[0] == 0


@pytest.mark.parametrize(
    "domain",
    [Float(0.0, 1.0), Float(1e-5, 1.0, log=True), Float(0, 1, step=0.25), Int(1, 9, step=2)],
)
def test_unit_ends_map_to_bounds(domain):
    assert domain.from_unit(0.0) == domain.low
    assert domain.from_unit(1.0) == domain.high

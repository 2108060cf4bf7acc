"""Every invalid definition fails at construction, naming what is wrong and the fix."""

import math

import pytest

import rung


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: rung.uniform(1.0, 1.0), r"uniform\(1\.0, 1\.0\): low must be below high"),
        (lambda: rung.uniform(2, 1), "low must be below high; swap them"),
        (lambda: rung.randint(5, 5), r"randint\(5, 5\): low must be below high"),
        (lambda: rung.loguniform(0, 1), "a log scale needs low > 0; raise low"),
        (lambda: rung.loguniform(-1, 1), "a log scale needs low > 0"),
        (lambda: rung.lograndint(0, 10), "a log scale needs low >= 1"),
        (lambda: rung.choice([]), "there are no options; give at least one"),
        (lambda: rung.grid([]), "there are no values"),
        (lambda: rung.quniform(0, 1, 0.3), "step 0.3 does not divide the range 0..1"),
        (lambda: rung.qrandint(0, 10, 3), "step 3 does not divide the range 0..10"),
        (lambda: rung.quniform(0, 1, -0.1), "step must be a positive number"),
        (lambda: rung.uniform(0, math.inf), "bounds must be finite"),
        (lambda: rung.uniform(math.nan, 1), "bounds must be finite"),
        (lambda: rung.uniform("0", 1), "bounds must be numbers"),
        (lambda: rung.randint(0.5, 3), "must be integers; use uniform"),
        (lambda: rung.choice("abc"), "options must be a list"),
        (lambda: rung.grid([rung.uniform(0, 1)]), "grid values must be constants"),
        (lambda: rung.sample_from(3), "needs a function of the config"),
    ],
)
def test_bad_domain_fails_at_construction(make, message):
    with pytest.raises(rung.SpaceError, match=message):
        make()


def test_space_must_be_a_dict():
    with pytest.raises(rung.SpaceError, match="a search space is a dict"):
        rung.Space([rung.uniform(0, 1)])


def test_duplicate_names_from_a_slash_key_clash():
    with pytest.raises(rung.SpaceError, match="'a/b' is defined twice"):
        rung.Space({"a/b": rung.uniform(0, 1), "a": {"b": rung.uniform(0, 1)}})


def test_duplicate_key_in_a_yaml_file():
    text = "lr: loguniform(1e-4, 1e-1)\nwidth: randint(1, 4)\nlr: uniform(0, 1)\n"
    with pytest.raises(rung.SpaceError, match=r"'lr' is defined twice \(line 3\)"):
        rung.load_space(text)


def test_grid_inside_a_conditional_branch_is_refused():
    with pytest.raises(rung.SpaceError, match=r"opt\[0\]/lr: grid\(...\) inside a choice option"):
        rung.Space({"opt": rung.choice([{"lr": rung.grid([0.1, 0.2])}, {"lr": 0.1, "n": 1}])})


def test_options_that_cannot_be_told_apart_are_refused():
    with pytest.raises(rung.SpaceError, match="options 0 and 1 have the same keys"):
        rung.Space({"opt": rung.choice([{"lr": rung.uniform(0, 1)}, {"lr": rung.uniform(1, 2)}])})
    with pytest.raises(rung.SpaceError, match="option 'a' is listed twice"):
        rung.Space({"c": rung.choice(["a", "b", "a"])})


def test_keys_must_be_strings():
    with pytest.raises(rung.SpaceError, match="key 3 must be a string"):
        rung.Space({3: rung.uniform(0, 1)})

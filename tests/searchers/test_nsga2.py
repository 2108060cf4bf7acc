"""NSGA-II: its operators stay in the space and near their parents as the paper's spreads
say, parents are chosen by Pareto order (feasible first), and it beats random search on a
two-objective problem."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rung
from rung.errors import ConfigError
from rung.objective import Objective
from rung.searchers import NSGA2Search, make_searcher
from tests.zdt import front_volume

MIXED = {
    "lr": rung.loguniform(1e-4, 1e-1),
    "layers": rung.randint(1, 5),
    "act": rung.choice(["relu", "tanh", "gelu"]),
    "x": rung.quniform(0, 1, 0.05),
}


def searcher_on(space, objective=None, seed=0, **settings_):
    return NSGA2Search(**settings_).setup(space, objective, np.random.default_rng(seed))


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 1), st.floats(0, 1), st.integers(0, 1000))
def test_simulated_binary_crossover_stays_in_bounds_and_spreads_about_its_parents(a, b, seed):
    searcher = searcher_on({"x": rung.uniform(0, 1)}, seed=seed)
    low, high = min(a, b), max(a, b)
    if high - low < 1e-6:
        return
    children = np.array([searcher._sbx(low, high) for _ in range(200)])
    assert ((children >= 0) & (children <= 1)).all()
    # Symmetric about the parents' middle where the bounds allow it: the children's median
    # lies between the parents.
    assert low - 1e-9 <= np.median(children) <= high + 1e-9 or min(low, 1 - high) < 0.05


def test_a_larger_crossover_eta_keeps_children_nearer_their_parents():
    spreads = {}
    for eta in (2.0, 50.0):
        searcher = searcher_on({"x": rung.uniform(0, 1)}, crossover_eta=eta)
        children = np.array([searcher._sbx(0.4, 0.6) for _ in range(2000)])
        spreads[eta] = np.mean(np.minimum(abs(children - 0.4), abs(children - 0.6)))
    assert spreads[50.0] < spreads[2.0] / 3


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 1), st.integers(0, 1000))
def test_polynomial_mutation_stays_in_bounds(y, seed):
    searcher = searcher_on({"x": rung.uniform(0, 1)}, seed=seed)
    assert all(0 <= searcher._polynomial(y) <= 1 for _ in range(50))


def test_children_of_mixed_parents_are_configurations_of_the_space():
    searcher = searcher_on(MIXED)
    space = searcher.space
    parents = [space.encode(space.sample(np.random.default_rng(i))) for i in range(20)]
    for i in range(200):
        child = searcher.mutate(searcher.crossover(parents[i % 20], parents[(i * 7) % 20]))
        config = searcher.geometry.decode(
            searcher.geometry.complete(child[None, :], searcher.rng)[0]
        )
        assert 1e-4 <= config["lr"] <= 1e-1
        assert config["layers"] in range(1, 6) and config["act"] in {"relu", "tanh", "gelu"}
        assert math.isclose(config["x"] / 0.05, round(config["x"] / 0.05), abs_tol=1e-9)


def test_a_categorical_child_takes_an_option_of_a_parent():
    searcher = searcher_on({"act": rung.choice(["a", "b", "c", "d"])})
    x1, x2 = np.array([0.0]), np.array([3.0])
    assert {float(searcher.crossover(x1, x2)[0]) for _ in range(100)} == {0.0, 3.0}


def test_parents_are_won_by_pareto_order_and_feasible_beats_infeasible():
    objective = Objective.of(["a", "b"], ["min", "min"])
    searcher = searcher_on({"x": rung.uniform(0, 1)}, objective, population_size=4)
    # x = 0.1: dominated; 0.2 and 0.3: the front; 0.9 would be best but breaks a constraint.
    for trial_id, (x, a, b, violation) in enumerate(
        [(0.1, 2.0, 2.0, 0.0), (0.2, 0.0, 1.0, 0.0), (0.3, 1.0, 0.0, 0.0), (0.9, -9, -9, 1.0)]
    ):
        searcher.adopt(str(trial_id), {"x": x})
        searcher.on_trial_complete(str(trial_id), {"a": a, "b": b}, violation=violation)
    searcher.rank_by_pareto_order()
    ranking = list(searcher.observed.ranking())
    assert set(ranking[:2]) == {1, 2} and ranking[2:] == [0, 3]
    population = searcher.observed.ranking()
    winners = [searcher._tournament(population) for _ in range(300)]
    assert winners.count(3) == 0, "the infeasible one loses every tournament"
    assert winners.count(1) + winners.count(2) > 200


def test_settings_are_checked_by_name():
    with pytest.raises(ConfigError, match="crossover_probability"):
        NSGA2Search(crossover_probability=1.5)
    with pytest.raises(ConfigError, match="mutation_eta"):
        NSGA2Search(mutation_eta=0)
    assert isinstance(make_searcher({"name": "nsga2", "population_size": 8}), NSGA2Search)


def test_nsga2_finds_a_better_front_than_random_search_on_zdt1():
    nsga2 = {"name": "nsga2", "population_size": 20}
    volumes = {
        name: [front_volume(searcher, 200, seed) for seed in range(3)]
        for name, searcher in (("nsga2", nsga2), ("random", "random"))
    }
    assert np.median(volumes["nsga2"]) > np.median(volumes["random"])

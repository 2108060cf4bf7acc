import itertools
from collections import Counter

import numpy as np
import pytest
from scipy.stats import qmc

import rung
from rung.objective import Objective
from rung.searchers import GridSearch, QuasiRandomSearch, RandomSearch, make_searcher

CONTINUOUS = {"a": rung.uniform(0, 1), "b": rung.uniform(-5, 5), "c": rung.loguniform(1e-3, 1)}


def suggestions(searcher, space, count, seed=0):
    searcher.setup(space, objective=Objective("loss"), rng=np.random.default_rng(seed))
    return [searcher.suggest(f"t{i}") for i in range(count)]


def test_sobol_points_have_lower_discrepancy_than_random_ones():
    space = rung.Space(CONTINUOUS)
    sobol = np.array([space.encode(c) for c in suggestions(QuasiRandomSearch(), space, 128)])
    rand = np.array([space.encode(c) for c in suggestions(RandomSearch(), space, 128)])
    assert qmc.discrepancy(sobol) < 0.5 * qmc.discrepancy(rand)


def test_sobol_decodes_int_and_categorical_dimensions_evenly():
    space = rung.Space({"n": rung.randint(1, 4), "c": rung.choice(["w", "x", "y", "z"])})
    configs = suggestions(QuasiRandomSearch(), space, 64)
    # The first 2^m scrambled Sobol points put exactly 2^m / 4 in each quarter of every axis.
    assert Counter(c["n"] for c in configs) == {1: 16, 2: 16, 3: 16, 4: 16}
    assert Counter(c["c"] for c in configs) == {"w": 16, "x": 16, "y": 16, "z": 16}


def test_sobol_continues_its_sequence_across_blocks():
    space = rung.Space(CONTINUOUS)
    configs = suggestions(QuasiRandomSearch(), space, 100)
    points = {tuple(space.encode(c)) for c in configs}
    assert len(points) == 100
    reference = qmc.Sobol(d=3, scramble=True, seed=np.random.default_rng(0)).random(128)[:100]
    np.testing.assert_allclose([space.encode(c) for c in configs], reference, atol=1e-9)


def test_searchers_are_reproducible_under_a_seed():
    space = rung.Space(CONTINUOUS)
    for make in (RandomSearch, QuasiRandomSearch):
        assert suggestions(make(), space, 20, seed=5) == suggestions(make(), space, 20, seed=5)
        assert suggestions(make(), space, 20, seed=5) != suggestions(make(), space, 20, seed=6)
    own_seed = suggestions(RandomSearch(seed=3), space, 3)
    assert own_seed != suggestions(RandomSearch(seed=4), space, 3)


def test_grid_search_walks_the_product_num_samples_times():
    space = rung.Space(
        {"lr": rung.grid([0.1, 0.01]), "bs": rung.grid([16, 32, 64]), "seed": rung.randint(0, 9)}
    )
    assert space.grid_size == 6
    searcher = GridSearch(num_samples=2)
    configs = suggestions(searcher, space, 13)
    assert configs[12] is None and searcher.is_finished
    counts = Counter((c["lr"], c["bs"]) for c in configs[:12])
    assert counts == {pair: 2 for pair in itertools.product([0.1, 0.01], [16, 32, 64])}


def test_grid_search_without_grids_samples_num_samples_configs():
    searcher = GridSearch(num_samples=3)
    configs = suggestions(searcher, rung.Space(CONTINUOUS), 4)
    assert [c is None for c in configs] == [False, False, False, True]


def test_grid_search_rejects_bad_num_samples():
    with pytest.raises(rung.ConfigError, match="num_samples=0"):
        GridSearch(num_samples=0)


def test_pending_trials_are_tracked_until_complete():
    searcher = RandomSearch().setup(rung.Space(CONTINUOUS), rng=np.random.default_rng(0))
    config = searcher.suggest("t1")
    assert searcher.pending == {"t1": config}
    searcher.on_trial_complete("t1", {"loss": 1.0})
    assert searcher.pending == {}


def test_searchers_by_name_and_unknown_names():
    assert isinstance(make_searcher("quasirandom"), QuasiRandomSearch)
    instance = RandomSearch(seed=1)
    assert make_searcher(instance) is instance
    with pytest.raises(
        rung.ConfigError,
        match=r"searcher='bayes' is not a known searcher \(did you mean 'gp'\?\); pass one of",
    ):
        make_searcher("bayes")


def test_space_of_constants_only():
    configs = suggestions(QuasiRandomSearch(), rung.Space({"a": 1, "b": [1, 2]}), 2)
    assert configs == [{"a": 1, "b": [1, 2]}] * 2

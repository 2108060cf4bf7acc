"""Simulated annealing as HyperOpt's anneal: proposals are drawn around good trials in
windows that narrow with the evidence, categoricals from a mixture that sharpens likewise."""

import numpy as np
import pytest

import rung
from rung.errors import ConfigError
from rung.searchers import AnnealSearch, RandomSearch, make_searcher
from tests.searchers.loop import MIXED_CONDITIONAL, minimize

SPHERE6 = {f"x{i}": rung.uniform(0, 1) for i in range(6)}


def sphere6(config):
    return sum((v - 0.3) ** 2 for v in config.values())


def told(searcher, points):
    """Tell the searcher finished trials: ``(config, loss)`` pairs."""
    for i, (config, loss) in enumerate(points):
        searcher.adopt(f"told{i}", config)
        searcher.on_trial_complete(f"told{i}", {"loss": loss})
    return searcher


def test_a_window_narrows_as_the_trials_that_set_a_parameter_grow():
    for count in (1, 40, 190):
        searcher = AnnealSearch().setup({"x": rung.uniform(0, 1)}, rng=np.random.default_rng(0))
        # The best trial at x = 0.5, the others far worse: it is the centre of most draws.
        told(searcher, [({"x": 0.5}, 0.0)] + [({"x": 0.5}, 1.0)] * (count - 1))
        drawn = np.array([searcher.suggest(f"s{i}")["x"] for i in range(300)])
        width = 1 / (1 + count * 0.1)
        assert (abs(drawn - 0.5) <= width / 2 + 1e-12).all()
        assert drawn.max() - drawn.min() > 0.9 * width, "the whole window is used"


def test_a_window_is_shifted_inside_the_range_at_an_edge():
    searcher = AnnealSearch().setup({"x": rung.uniform(0, 1)}, rng=np.random.default_rng(1))
    told(searcher, [({"x": 0.0}, 0.0)] * 10)  # window 0.5 wide, centred on 0: [0, 0.5]
    drawn = np.array([searcher.suggest(f"s{i}")["x"] for i in range(300)])
    assert drawn.min() >= 0 and drawn.max() <= 0.5 and drawn.max() > 0.45


def test_a_categorical_is_drawn_from_its_trials_option_mixed_with_the_prior():
    searcher = AnnealSearch().setup(
        {"c": rung.choice(["a", "b", "c", "d"])}, rng=np.random.default_rng(2)
    )
    told(searcher, [({"c": "b"}, 0.0)] * 30)  # prior share 1 / (1 + 3) = 0.25
    drawn = [searcher.suggest(f"s{i}")["c"] for i in range(4000)]
    share = drawn.count("b") / len(drawn)
    assert share == pytest.approx(0.75 + 0.25 / 4, abs=0.03)
    assert {"a", "c", "d"} <= set(drawn)


def test_the_best_trials_are_drawn_around_most_often():
    searcher = AnnealSearch(shrink_coef=100.0).setup(  # windows almost points
        {"x": rung.uniform(0, 1)}, rng=np.random.default_rng(3)
    )
    told(searcher, [({"x": x}, loss) for x, loss in [(0.1, 3.0), (0.5, 1.0), (0.9, 2.0)]])
    drawn = np.array([searcher.suggest(f"s{i}")["x"] for i in range(2000)])
    near = {x: int((abs(drawn - x) < 0.01).sum()) for x in (0.5, 0.9, 0.1)}
    # Geometric with mean index 2: the best half of the time, the second a quarter.
    assert near[0.5] == pytest.approx(1000, rel=0.1)
    assert near[0.9] == pytest.approx(500, rel=0.15)


def test_proposals_on_a_mixed_conditional_space_are_configurations_of_it():
    searcher = AnnealSearch()
    configs, _ = minimize(searcher, MIXED_CONDITIONAL, lambda c: c["lr"], 120, seed=4)
    space = rung.Space(MIXED_CONDITIONAL)
    for config in configs:
        assert space.decode(space.encode(config)) == config
    names = {c["optimizer"]["name"] for c in configs}
    assert names == {"sgd", "adam"}


def test_anneal_beats_random_search_on_a_six_dimensional_bowl():
    anneal = [min(minimize(AnnealSearch(), SPHERE6, sphere6, 200, s)[1]) for s in range(3)]
    rand = [min(minimize(RandomSearch(), SPHERE6, sphere6, 200, s)[1]) for s in range(3)]
    assert np.median(anneal) < 0.3 * np.median(rand)


def test_settings_are_checked_by_name():
    with pytest.raises(ConfigError, match="avg_best_idx"):
        AnnealSearch(avg_best_idx=0.5)
    with pytest.raises(ConfigError, match="shrink_coef"):
        AnnealSearch(shrink_coef=-1)
    assert isinstance(make_searcher("anneal"), AnnealSearch)

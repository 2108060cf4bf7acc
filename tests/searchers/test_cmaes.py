"""CMA-ES through the cmaes package: it solves an ill-conditioned problem random search
cannot, snaps integers, draws categoricals at random (saying so), refuses what it cannot
model, tells generations whole while trials run in parallel, and learns from given points."""

from __future__ import annotations

import numpy as np
import pytest

import rung
from rung.objective import Objective
from rung.searchers import CMAESSearch, RandomSearch

ROTATION = np.linalg.qr(np.random.default_rng(7).normal(size=(4, 4)))[0]
ELLIPSOID_SPACE = {f"x{i}": rung.uniform(-5, 5) for i in range(4)}


def ellipsoid(config):
    y = ROTATION @ (np.array([config[f"x{i}"] for i in range(4)]) - 1.0)
    return float(np.array([1, 1e2, 1e4, 1e6]) @ y**2)


def best_of(searcher, space, loss, evals, seed=0, parallel=1):
    """Drive a searcher by hand, ``parallel`` trials outstanding at a time."""
    searcher.setup(space, Objective("loss"), np.random.default_rng(seed), num_trials=evals)
    best, outstanding = np.inf, []
    for i in range(evals):
        config = searcher.suggest(str(i))
        outstanding.append((str(i), loss(config)))
        if len(outstanding) == parallel:
            trial_id, value = outstanding.pop(0)
            searcher.on_trial_complete(trial_id, {"loss": value, "training_iteration": 1})
            best = min(best, value)
    return best


@pytest.mark.parametrize(("parallel", "factor"), [(1, 100), (4, 10)])
def test_cmaes_solves_a_rotated_ill_conditioned_bowl_that_random_search_does_not(parallel, factor):
    """With trials in parallel, results of a generation already told are wasted (as in
    Optuna), so four at a time gain less."""
    cma = [best_of(CMAESSearch(), ELLIPSOID_SPACE, ellipsoid, 300, s, parallel) for s in range(5)]
    rand = [best_of(RandomSearch(), ELLIPSOID_SPACE, ellipsoid, 300, s) for s in range(5)]
    assert np.median(cma) < np.median(rand) / factor


def test_generations_are_told_whole_and_late_trials_of_an_old_generation_are_left_out():
    searcher = CMAESSearch(population_size=4)
    searcher.setup(ELLIPSOID_SPACE, Objective("loss"), np.random.default_rng(0))
    configs = {str(i): searcher.suggest(str(i)) for i in range(6)}  # 6 asked of generation 0
    for i in range(4):
        searcher.on_trial_complete(str(i), {"loss": ellipsoid(configs[str(i)])})
    assert searcher._generation == 1
    searcher.on_trial_complete("4", {"loss": 0.0})
    assert searcher._told == [], "a result of generation 0 does not join generation 1"


def test_failed_trials_do_not_count_towards_a_generation():
    searcher = CMAESSearch(population_size=4)
    searcher.setup(ELLIPSOID_SPACE, Objective("loss"), np.random.default_rng(0))
    for i in range(3):
        searcher.suggest(str(i))
    searcher.on_trial_complete("0", None, failed=True)
    searcher.on_trial_complete("1", {"loss": float("nan")})
    assert searcher._generation == 0
    searcher.on_trial_complete("2", {"loss": 1.0})
    assert searcher._generation == 0 and len(searcher._told) == 1


def test_integers_are_snapped_and_categoricals_drawn_at_random_with_a_warning():
    space = {
        "n": rung.randint(1, 8),
        "lr": rung.loguniform(1e-4, 1e-1),
        "act": rung.choice(["a", "b"]),
    }
    with pytest.warns(rung.RungWarning, match="act will be drawn at random"):
        searcher = CMAESSearch().setup(space, Objective("loss"), np.random.default_rng(0))
    configs = [searcher.suggest(str(i)) for i in range(40)]
    assert all(isinstance(c["n"], int) and 1 <= c["n"] <= 8 for c in configs)
    assert all(1e-4 <= c["lr"] <= 1e-1 for c in configs)
    assert {c["act"] for c in configs} == {"a", "b"}


def test_a_single_parameter_is_searched_too():
    best = best_of(CMAESSearch(), {"x": rung.uniform(-3, 3)}, lambda c: (c["x"] - 1) ** 2, 60)
    assert best < 1e-3


@pytest.mark.parametrize(
    ("space", "message"),
    [
        (
            {"opt": rung.choice([{"name": "sgd", "m": rung.uniform(0, 1)}, {"name": "adam"}])},
            "conditional",
        ),
        ({"act": rung.choice(["a", "b"])}, "has none"),
    ],
)
def test_what_cmaes_cannot_model_is_refused_with_the_searcher_to_use(space, message):
    with pytest.raises(rung.ConfigError, match=message):
        CMAESSearch().setup(space, Objective("loss"))


def test_bad_settings_are_refused_naming_the_knob():
    with pytest.raises(rung.ConfigError, match="sigma0"):
        CMAESSearch(sigma0=0)
    with pytest.raises(rung.ConfigError, match="population_size"):
        CMAESSearch(population_size=3)


def test_given_points_join_the_generation_in_a_run():
    searcher = CMAESSearch(population_size=4)
    results = rung.run(
        lambda c: {"loss": ellipsoid(c)},
        ELLIPSOID_SPACE,
        metric="loss",
        mode="min",
        searcher=searcher,
        points_to_evaluate=[{f"x{i}": 1.0 for i in range(4)}],
        num_trials=8,
        executor="inline",
        seed=0,
        verbose=0,
    )
    assert results.trials[0].config == {f"x{i}": 1.0 for i in range(4)}
    assert results.best_result["loss"] == 0.0
    assert searcher._generation == 2, "the point counted as one of generation 0's four"


def test_trials_stopped_early_rank_after_those_that_ran_to_their_end():
    from rung.searchers.cma_es import _ranked

    x = [np.full(2, i / 10) for i in range(4)]
    told = [
        (x[0], 5.0, False, 9.0),
        (x[1], 0.1, True, 1.0),
        (x[2], 7.0, False, 9.0),
        (x[3], 0.5, True, 3.0),
    ]
    ranked = _ranked(told)
    order = [
        next(i for i, xi in enumerate(x) if xi is point)
        for point, _ in sorted(ranked, key=lambda p: p[1])
    ]
    assert order == [0, 2, 3, 1], "complete by loss, then the longer-trained stopped one"

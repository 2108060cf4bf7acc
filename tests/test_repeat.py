"""Re-running configurations with several seeds: the table's figures, the tests between
configurations, and re-running an experiment's best."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import rung
from tests import trainables

SEEDS = 20
NOISE = [np.random.default_rng(seed).normal(0.0, 0.1) for seed in range(SEEDS)]


def test_repeat_measures_each_config_over_seeds_and_tests_it_against_the_best(executor):
    configs = [{"x": 1.0}, {"x": 0.05}, {"x": 0.0}]
    repeats = rung.repeat(
        trainables.noisy,
        configs,
        seeds=SEEDS,
        metric="loss",
        mode="min",
        executor=executor,
        verbose=0,
    )
    ran = sorted((t.config["x"], t.config["seed"]) for t in repeats.results.trials)
    assert ran == sorted((c["x"], s) for c in configs for s in range(SEEDS)), "each seed once"
    table = repeats.table
    assert list(table["x"]) == [0.0, 0.05, 1.0], "best mean first"
    assert list(table["n"]) == [SEEDS] * 3
    spread = float(np.std(NOISE, ddof=1))
    half = stats.t.ppf(0.975, SEEDS - 1) * spread / math.sqrt(SEEDS)
    for row in table.itertuples():
        assert row.mean == pytest.approx(row.x + np.mean(NOISE))
        assert row.std == pytest.approx(spread)
        assert (row.ci_low, row.ci_high) == pytest.approx((row.mean - half, row.mean + half))
    assert math.isnan(table["p_vs_best"].iloc[0])
    # 0.05 apart with noise of 0.1 over 20 seeds: within the noise; 1.0 apart: not.
    assert list(table["differs_from_best"]) == [False, False, True]
    assert not repeats.separable
    assert repeats.best_config == {"x": 0.0}
    assert "not separable from the runner-up" in repr(repeats)


def test_configs_further_apart_than_the_noise_are_separable():
    repeats = rung.repeat(
        trainables.noisy,
        [{"x": 0.0}, {"x": 0.3}],
        seeds=[3, 5, 7, 11, 13],
        metric="loss",
        executor="inline",
        verbose=0,
    )
    assert repeats.separable
    assert sorted({t.config["seed"] for t in repeats.results.trials}) == [3, 5, 7, 11, 13]


def test_rerun_best_reruns_the_top_configs_with_the_saved_trainable(tmp_path):
    results = rung.run(
        trainables.noisy,
        {"x": rung.uniform(0, 1), "seed": 0},
        metric="loss",
        mode="min",
        num_trials=6,
        executor="inline",
        storage_path=tmp_path,
        name="search",
        verbose=0,
        seed=0,
    )
    repeats = rung.rerun_best(
        rung.load(tmp_path / "search"), k=2, seeds=3, executor="inline", verbose=0
    )
    top = [t.config["x"] for t in results.ranked()[:2]]
    assert sorted(repeats.table["x"]) == sorted(top)
    assert list(repeats.table["n"]) == [3, 3]


def test_rerun_best_of_results_in_memory_asks_for_the_trainable():
    results = rung.run(
        trainables.noisy,
        {"x": rung.uniform(0, 1), "seed": 0},
        metric="loss",
        mode="min",
        num_trials=3,
        executor="inline",
        verbose=0,
        seed=0,
    )
    with pytest.raises(rung.ConfigError, match="pass the trainable"):
        rung.rerun_best(results, k=2, seeds=2)
    repeats = rung.rerun_best(
        results, k=2, seeds=2, trainable=trainables.noisy, executor="inline", verbose=0
    )
    assert len(repeats.results.trials) == 4


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seeds": 0}, "give a number >= 1"),
        ({"seeds": [1, 1]}, "distinct integer seeds"),
        ({"seeds": 2.5}, "give a number >= 1"),
        ({"num_trials": 5}, "repeat decides num_trials"),
        ({"scope": "best"}, "use 'last' or 'all'"),
    ],
)
def test_bad_repeat_settings_are_refused(kwargs, message):
    kwargs.setdefault("seeds", 2)
    with pytest.raises(rung.ConfigError, match=message):
        rung.repeat(trainables.noisy, [{"x": 0.0}], metric="loss", executor="inline", **kwargs)


def test_a_trainable_that_ignores_its_seed_is_named_and_never_separable():
    with pytest.warns(rung.RungWarning, match=r"seems not to read config\['seed'\]"):
        repeats = rung.repeat(
            trainables.returns_dict,
            [{"x": 0.1}, {"x": 0.5}],
            seeds=3,
            metric="loss",
            executor="inline",
            verbose=0,
        )
    assert repeats.seeds_had_no_effect
    assert not repeats.separable
    assert math.isnan(repeats.table["p_vs_best"].iloc[1])
    assert "seeds had no effect" in repr(repeats)

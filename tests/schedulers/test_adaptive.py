"""The adaptive Hyperband scheduler: its bracket shares follow how well each rung keeps the
trials that turn out best: toward the most aggressive bracket when first epochs rank
faithfully, away from it when they rank backwards; every bracket keeps a floor."""

from __future__ import annotations

import pytest

import rung
from rung.executors import SimulatedExecutor
from rung.objective import Objective
from rung.schedulers import AdaptiveHyperBandScheduler

MAX_T = 27
SPACE = {"q": rung.uniform(0, 1)}


def faithful(config, iteration):
    """Early epochs rank as the last: the loss is q, shrinking with the epoch."""
    if iteration > MAX_T:
        return None
    return {"loss": config["q"] * (1 + 1 / iteration)}, 1.0


def deceptive(config, iteration):
    """Slow starters end best: before epoch 6 the ranking is reversed."""
    if iteration > MAX_T:
        return None
    early = 1 - config["q"] if iteration < 6 else config["q"]
    return {"loss": early}, 1.0


def run(trainable, scheduler, seed=0):
    return rung.run(
        trainable,
        SPACE,
        metric="loss",
        mode="min",
        scheduler=scheduler,
        time_budget_s=60 * MAX_T,
        executor=SimulatedExecutor(8),
        seed=seed,
        verbose=0,
    )


def test_brackets_costs_and_the_even_start():
    scheduler = AdaptiveHyperBandScheduler(max_t=MAX_T, grace_period=1, reduction_factor=3)
    scheduler.setup(Objective("loss"))
    assert scheduler.milestones() == [1, 3, 9, 27]
    costs = list(scheduler._cost)
    assert costs == sorted(costs), "a later first rung costs more per configuration screened"
    assert costs[-1] == MAX_T and costs[0] == pytest.approx(1 + 2 / 3 + 6 / 9 + 18 / 27)
    assert sum(scheduler.shares()) == pytest.approx(1.0)
    assert scheduler.shares()[0] > scheduler.shares()[-1], "with no evidence, speed leads"


def test_faithful_early_epochs_move_trials_to_the_fastest_bracket():
    scheduler = AdaptiveHyperBandScheduler(max_t=MAX_T, grace_period=1, reduction_factor=3)
    run(faithful, scheduler)
    reliability = scheduler.reliability()
    assert reliability[0] > 0.8
    shares = scheduler.shares()
    assert shares[0] > 0.6 and shares[0] == max(shares)


def test_deceptive_early_epochs_move_trials_away_from_the_first_rungs():
    scheduler = AdaptiveHyperBandScheduler(max_t=MAX_T, grace_period=1, reduction_factor=3)
    results = run(deceptive, scheduler)
    reliability = scheduler.reliability()
    assert reliability[0] < 0.3 and reliability[1] < 0.3, "epochs 1 and 3 cut the best"
    shares = scheduler.shares()
    assert shares[0] < 0.1 and shares[0] + shares[1] < shares[2] + shares[3]
    assert min(shares) >= scheduler.floor / 4, "every bracket keeps its floor"
    asha = run(deceptive, rung.schedulers.ASHAScheduler(max_t=MAX_T))
    assert results.best_result["loss"] < asha.best_result["loss"], "it finds the slow starters"


def test_bad_settings_are_refused_naming_the_knob():
    for knob, value in [("floor", 0), ("floor", 1.5), ("sharpness", -1), ("best_fraction", 0)]:
        with pytest.raises(rung.ConfigError, match=knob):
            AdaptiveHyperBandScheduler(**{knob: value})

"""Shared pieces of the scheduler tests: simulated runs and direct feeding of results."""

from __future__ import annotations

import rung
from benchmarks.problems.curves import SPACE, make_curve
from rung.executors import SimulatedExecutor
from rung.objective import Objective
from rung.trial import Trial


def simulate(scheduler, *, num_trials, workers=4, max_t=27, mode="min", seed=0, **kwargs):
    """Run the parametric curves on the simulated executor, the log in memory; mode "max"
    negates the loss."""
    curve = make_curve(max_t)

    def step(config, iteration):
        out = curve(config, iteration)
        if out is None or mode == "min":
            return out
        metrics, cost = out
        return {**metrics, "loss": -metrics["loss"]}, cost

    step.__name__ = "curve"
    return rung.run(
        step,
        SPACE,
        metric="loss",
        mode=mode,
        scheduler=scheduler,
        num_trials=num_trials,
        executor=SimulatedExecutor(workers),
        seed=seed,
        verbose=0,
        **kwargs,
    )


class Feeder:
    """Feeds results straight to a scheduler, for exact checks of its rule."""

    def __init__(self, scheduler, mode="min", num_trials=None, seed=0):
        import numpy as np

        self.scheduler = scheduler
        scheduler.setup(Objective("loss", mode), np.random.default_rng(seed), num_trials)
        self.trials: dict[str, Trial] = {}

    def add(self, trial_id, config=None):
        trial = Trial(trial_id, config or {})
        self.trials[trial_id] = trial
        self.scheduler.on_trial_add(trial)
        return trial

    def report(self, trial_id, budget, loss):
        if trial_id not in self.trials:
            self.add(trial_id)
        trial = self.trials[trial_id]
        result = {"loss": loss, "training_iteration": budget}
        trial.results.append(result)
        return self.scheduler.on_trial_result(trial, result).action

"""Driving a searcher by hand, as the experiment does, for searcher tests."""

import math

import numpy as np

import rung
from rung.objective import Objective

MIXED_CONDITIONAL = {
    "lr": rung.loguniform(1e-5, 1e-1),
    "layers": rung.randint(1, 8),
    "width": rung.qrandint(16, 256, 16),
    "dropout": rung.quniform(0.0, 0.5, 0.1),
    "optimizer": rung.choice(
        [
            {"name": "sgd", "momentum": rung.uniform(0.0, 0.99)},
            {"name": "adam", "beta1": rung.uniform(0.8, 0.999), "amsgrad": rung.choice([0, 1])},
        ]
    ),
}


def sphere(config: dict) -> float:
    """A bowl on the unit-scaled coordinates of a two-parameter space, minimum 0 at 0.3."""
    return (config["x"] - 0.3) ** 2 + (config["y"] - 0.3) ** 2


SPHERE_SPACE = {"x": rung.uniform(0, 1), "y": rung.uniform(0, 1)}


def stepped_sphere(config: dict) -> None:
    """A trainable whose loss falls with the steps towards ``sphere(config)``."""
    for step in range(1, 10):
        rung.report(loss=sphere(config) + 1.0 / step)


def minimize(searcher, space, loss, trials, seed=0, mode="min"):
    """Run ``trials`` sequential trials; return the configs and losses in order."""
    searcher.setup(space, objective=Objective("loss", mode), rng=np.random.default_rng(seed))
    configs, losses = [], []
    for i in range(trials):
        config = searcher.suggest(f"t{i}")
        value = loss(config)
        searcher.on_trial_complete(f"t{i}", {"loss": value, "training_iteration": 1})
        configs.append(config)
        losses.append(value)
    return configs, losses


def best_so_far(losses) -> float:
    finite = [v for v in losses if not (isinstance(v, float) and math.isnan(v))]
    return min(finite)

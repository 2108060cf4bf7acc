"""ZDT1 on six variables, for the tests that compare searchers by the front they find."""

import math

import rung

SPACE = {f"x{i}": rung.uniform(0, 1) for i in range(6)}
# The hypervolume's reference: beyond the worst of f1 (1) and of f2 (10) in the box.
REFERENCE = [1.1, 11.0]


def zdt1(config):
    """ZDT1: its front is f2 = 1 - sqrt(f1), at x1..x5 = 0."""
    xs = [config[f"x{i}"] for i in range(6)]
    g = 1 + 9 * sum(xs[1:]) / 5
    rung.report(f1=xs[0], f2=g * (1 - math.sqrt(xs[0] / g)))


def front_volume(searcher, num_trials, seed, **kwargs):
    """The hypervolume of the front ``searcher`` finds on ZDT1 in ``num_trials`` trials."""
    kwargs.setdefault("verbose", 0)
    results = rung.run(
        zdt1,
        SPACE,
        metric=["f1", "f2"],
        mode=["min", "min"],
        searcher=searcher,
        num_trials=num_trials,
        executor="inline",
        seed=seed,
        **kwargs,
    )
    return results.hypervolume(REFERENCE)

"""The Optuna pruner adapter the scheduler benchmark compares against makes Optuna's decisions."""

import pytest

import rung
from benchmarks import optuna_pruner
from benchmarks.optuna_pruner import OptunaPruning
from benchmarks.problems.curves import SPACE, make_curve
from rung.executors import SimulatedExecutor
from rung.schedulers import ASHAScheduler

pytest.importorskip("optuna", reason="optuna is a benchmark extra, not installed here")


def stopped_at(scheduler, seed: int = 3) -> dict[str, int]:
    """Each trial's last iteration in a small simulated run: what the scheduler decided."""
    results = rung.run(
        make_curve(27),
        SPACE,
        metric="loss",
        mode="min",
        scheduler=scheduler,
        num_trials=60,
        executor=SimulatedExecutor(4),
        seed=seed,
        verbose=0,
    )
    return {trial.trial_id: trial.iterations for trial in results.trials}


def test_optunas_successive_halving_stops_what_rungs_asha_stops():
    asha = stopped_at(ASHAScheduler(max_t=27, grace_period=1, reduction_factor=3))
    optuna_sha = stopped_at(OptunaPruning("successive_halving", 1, 27, 3))
    assert optuna_sha == asha
    assert min(asha.values()) < 27 == max(asha.values())  # some stopped, some finished


def test_optunas_hyperband_repeats_under_a_seed_and_differs_across_seeds():
    first = stopped_at(OptunaPruning("hyperband", 1, 27, 3))
    assert stopped_at(OptunaPruning("hyperband", 1, 27, 3)) == first
    assert stopped_at(OptunaPruning("hyperband", 1, 27, 3), seed=4) != first
    assert len(set(first.values())) > 2  # stopped at several rungs


def test_remembered_brackets_give_the_plain_pruners_decisions(monkeypatch):
    remembering = stopped_at(OptunaPruning("hyperband", 1, 27, 3))
    monkeypatch.setattr(optuna_pruner, "_remembering_brackets", lambda pruner: pruner)
    assert stopped_at(OptunaPruning("hyperband", 1, 27, 3)) == remembering

"""Trials are checkpointed only when a scheduler needs it, on real executors."""

import os

import pytest

import rung
from rung.checkpoint import load_checkpoint, located_path
from rung.schedulers import ASHAScheduler, HyperBandScheduler, PopulationBasedTraining
from rung.trial import TrialStatus
from tests import trainables

X = {"x": rung.uniform(0.1, 1)}


def checkpoint_folders(results):
    root = os.path.join(results.path, "trials")
    if not os.path.isdir(root):
        return []
    return [
        name
        for trial in os.listdir(root)
        if os.path.isdir(os.path.join(root, trial, "checkpoints"))
        for name in os.listdir(os.path.join(root, trial, "checkpoints"))
    ]


@pytest.mark.parametrize("scheduler", ["fifo", ASHAScheduler(max_t=10)])
def test_schedulers_that_never_resume_write_no_checkpoint(tune, executor, scheduler):
    results = tune(
        trainables.lazy_checkpoints, X, num_trials=6, scheduler=scheduler, executor=executor
    )
    assert checkpoint_folders(results) == []
    assert all(t.checkpoint is None for t in results.trials)


def test_hyperband_checkpoints_only_paused_trials_and_resumes_them(tune, executor):
    scheduler = HyperBandScheduler(max_t=9)
    results = tune(
        trainables.lazy_checkpoints, X, num_trials=9, scheduler=scheduler, executor=executor
    )
    paused_at = sum(
        1
        for t in results.trials
        for r in t.results
        if r["epoch"] in (1, 3) and t.iterations > r["epoch"]
    )
    assert 0 < len(checkpoint_folders(results)) <= 9 + 3
    for trial in results.trials:
        assert [r["epoch"] for r in trial.results] == list(range(1, trial.iterations + 1))
    assert paused_at > 0
    assert sum(t.status is TrialStatus.TERMINATED for t in results.trials) == 1


def test_pbt_copies_the_donors_checkpoint(tune, executor):
    pbt = PopulationBasedTraining(
        perturbation_interval=2,
        hyperparam_mutations={"x": rung.uniform(0.1, 1)},
        quantile_fraction=0.5,
    )
    results = tune(trainables.lazy_checkpoints, X, num_trials=4, scheduler=pbt, executor=executor)
    continued = [
        (after[0], step, load_checkpoint(located_path(step["checkpoint"], results.path)))
        for t in results.trials
        for step in t.lineage[:1]
        if (after := [r for r in t.results if r["experiment_time_s"] > step["time"]])
    ]
    assert continued, "some trial went on from another trial's checkpoint"
    for resumed, step, copied in continued:
        assert (resumed["epoch"], resumed["origin"]) == (copied["epoch"] + 1, copied["origin"])
        assert step["iteration"] == copied["epoch"], "the lineage says how old the copy was"
        assert resumed["training_iteration"] == copied["epoch"] + 1, "and counting goes on"
    for trial in results.trials:
        # A trial that copied a finished donor at its last interval holds the donor's final
        # state without training further.
        held = (
            load_checkpoint(located_path(trial.checkpoint, results.path))["epoch"]
            if trial.checkpoint
            else 0
        )
        assert max(trial.last_result["epoch"], held) == 20

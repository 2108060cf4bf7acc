"""Each framework callback with a small real model: under ASHA trials are stopped at rungs
and the stopped trainings end without errors or leftover threads; under Hyperband paused
trials resume from the framework's own checkpoint, losing and repeating no round."""

from __future__ import annotations

import threading

import pytest

import rung
from tests.integrations import frameworks

CASES = {
    "xgboost": (frameworks.xgboost_trainable, "valid-logloss", "boosting_round"),
    "lightgbm": (frameworks.lightgbm_trainable, "logloss", "boosting_round"),
    "keras": (frameworks.keras_trainable, "val_loss", "epoch"),
    "lightning": (frameworks.lightning_trainable, "val_loss", "epoch"),
}
SPACE = {
    "eta": rung.loguniform(1e-3, 0.5),
    "depth": rung.randint(2, 5),
    "width": rung.choice([16, 32]),
}


def tune(framework, scheduler, num_trials):
    pytest.importorskip(framework)
    trainable, metric, _ = CASES[framework]
    return rung.run(
        trainable,
        SPACE,
        metric=metric,
        mode="min",
        scheduler=scheduler,
        num_trials=num_trials,
        executor="inline",
        seed=0,
        verbose=0,
    )


@pytest.mark.parametrize("framework", list(CASES))
def test_asha_stops_trials_at_rungs_and_their_trainings_end_cleanly(framework):
    threads = set(threading.enumerate())
    asha = {"name": "asha", "max_t": frameworks.ROUNDS, "grace_period": 1, "reduction_factor": 3}
    results = tune(framework, asha, num_trials=9)
    _, metric, counter = CASES[framework]
    assert not [t.error for t in results.trials if t.error], "no training failed"
    stopped = [t for t in results.trials if t.status is rung.TrialStatus.STOPPED]
    assert stopped and all(t.iteration in (1, 3) for t in stopped), "stopped at the rungs"
    finished = [t for t in results.trials if t.status is rung.TrialStatus.TERMINATED]
    assert finished and all(t.iteration == frameworks.ROUNDS for t in finished)
    for trial in results.trials:
        assert [r[counter] for r in trial.results] == list(range(1, trial.iteration + 1))
        assert all(isinstance(r[metric], float) for r in trial.results)
    left = [t for t in set(threading.enumerate()) - threads if t.is_alive()]
    assert not left, f"threads left running: {left}"


@pytest.mark.parametrize("framework", list(CASES))
def test_paused_trials_resume_from_the_frameworks_checkpoint(framework):
    hyperband = {"name": "hyperband", "max_t": frameworks.ROUNDS, "reduction_factor": 3}
    results = tune(framework, hyperband, num_trials=4)
    _, _, counter = CASES[framework]
    assert not [t.error for t in results.trials if t.error]
    assert any(t.iteration == frameworks.ROUNDS and t.runs > 1 for t in results.trials), (
        "a trial was paused and resumed to the end"
    )
    for trial in results.trials:
        rounds = [r[counter] for r in trial.results]
        assert rounds == list(range(1, trial.iteration + 1)), "no round lost or repeated"


def test_a_callback_reports_from_worker_processes_too():
    pytest.importorskip("xgboost")
    asha = {"name": "asha", "max_t": frameworks.ROUNDS, "grace_period": 1}
    results = rung.run(
        frameworks.xgboost_trainable,
        SPACE,
        metric="valid-logloss",
        mode="min",
        scheduler=asha,
        num_trials=6,
        max_concurrent=2,
        executor="process",
        seed=0,
        verbose=0,
    )
    assert not [t.error for t in results.trials if t.error]
    assert any(t.status is rung.TrialStatus.STOPPED for t in results.trials)


def test_bad_callback_settings_name_the_knob():
    pytest.importorskip("xgboost")
    from rung.integrations.xgboost import RungCallback

    with pytest.raises(rung.ConfigError, match=r"every=0\): must be an int >= 1"):
        RungCallback(every=0)
    with pytest.raises(rung.ConfigError, match=r"metrics=5\): give a logged name"):
        RungCallback(metrics=5)

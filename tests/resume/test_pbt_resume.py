"""Population-based training resumed after a kill between a trial's pause and its
checkpoint: that trial's checkpoint is older than the result it paused on, so no trial may
copy it as though it held that result's state; an exploit copies the checkpoint of the
state it was chosen for, or none."""

from __future__ import annotations

import shutil
import warnings

import rung
from rung.events import Action, ResultReported, RunStarted, TrialCreated
from rung.schedulers import PopulationBasedTraining
from rung.trial import Trial, TrialStatus
from tests import trainables
from tests.resume.crash import run_until_crash
from tests.resume.test_exact_resume import read_log


def tune(root, resume=False):
    pbt = PopulationBasedTraining(
        perturbation_interval=2,
        hyperparam_mutations={"x": rung.uniform(0.1, 1)},
        quantile_fraction=0.5,
    )
    return rung.run(
        trainables.lazy_checkpoints,
        {"x": rung.uniform(0.1, 1)},
        metric="loss",
        mode="min",
        num_trials=4,
        max_concurrent=2,
        scheduler=pbt,
        executor="inline",
        storage_path=root,
        name="exp",
        verbose=0,
        seed=0,
        resume=resume,
    )


def paused_before_its_checkpoint(log):
    """Trials whose last result told them to pause but whose checkpoint of that state the
    log does not have."""
    trials: dict[str, Trial] = {}
    for event in log:
        if isinstance(event, TrialCreated):
            trials[event.trial_id] = Trial.created(event)
        else:
            trials[event.trial_id].apply(event)
    return [
        t
        for t in trials.values()
        if t.decision is Action.PAUSE and t.checkpoint_iteration < t.iteration
    ]


def copies_of_stale_state(log):
    """Exploits that copied a trial not running whose checkpoint is older than its state."""
    trials: dict[str, Trial] = {}
    stale = []
    for event in log:
        if isinstance(event, TrialCreated):
            trials[event.trial_id] = Trial.created(event)
            continue
        if isinstance(event, ResultReported) and event.exploit is not None:
            donor = trials[event.exploit.donor]
            if donor.status is not TrialStatus.RUNNING and (
                donor.checkpoint_iteration < donor.iteration
            ):
                stale.append((event.trial_id, donor.trial_id, event.exploit.iteration))
        trials[event.trial_id].apply(event)
    return stale


def test_no_exploit_copies_a_checkpoint_older_than_the_state_it_was_chosen_for(
    tmp_path, monkeypatch
):
    found = 0
    for crash_at in range(3, 60):
        shutil.rmtree(tmp_path / "exp", ignore_errors=True)
        crashed, _ = run_until_crash(monkeypatch, crash_at, lambda: tune(tmp_path))
        if not crashed:
            break
        if not paused_before_its_checkpoint(read_log(tmp_path / "exp")):
            continue
        found += 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            resumed = tune(tmp_path, resume=True)
        assert all(t.status.is_finished for t in resumed.trials)
        log = read_log(tmp_path / "exp")
        assert copies_of_stale_state(log) == [], f"crash at commit {crash_at}"
        assert any(isinstance(e, RunStarted) for e in log)
    assert found >= 1, "some kill fell between a pause and its checkpoint"

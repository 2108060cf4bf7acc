"""A report rung cannot use fails its own trial, naming the trial, the key and the value;
the experiment goes on, and no other trial is ended for it. An error that ends the whole
experiment interrupts the trials it cut short (a resume runs them again), never stops them."""

from __future__ import annotations

import pytest

import rung
from rung.trial import TrialStatus
from tests import trainables

SCHEDULERS = {
    "asha": {"name": "asha", "time_attr": "epoch", "max_t": 3},
    "hyperband": {"name": "hyperband", "time_attr": "epoch", "max_t": 3},
    "median": {"name": "median", "time_attr": "epoch"},
    "curve": {"name": "curve", "time_attr": "epoch", "max_t": 3},
    "pbt": {
        "name": "pbt",
        "time_attr": "epoch",
        "perturbation_interval": 1,
        "hyperparam_mutations": {"x": rung.uniform(0.1, 1)},
    },
}


def test_a_metric_too_large_for_a_float_fails_its_trial_only(tune, executor):
    space = {"x": 0.2, "fail": rung.grid(["no", "huge"])}
    results = tune(trainables.fails_when, space, executor=executor)
    statuses = {t.config["fail"] + t.trial_id: t.status for t in results.trials}
    assert statuses == {"no00000": TrialStatus.TERMINATED, "huge00001": TrialStatus.ERROR}
    assert (
        f"trial 00001 reported loss={'1' + '0' * 39}...{'0' * 10} "
        "(int, too large for a float); the metric must be a number"
    ) in results.trials[1].error


@pytest.mark.parametrize("scheduler", sorted(SCHEDULERS))
@pytest.mark.parametrize("bad", ["missing", "string", "huge", "nan", "inf"])
def test_a_later_report_without_a_usable_budget_fails_its_trial_only(tune, scheduler, bad):
    space = {"x": rung.uniform(0.1, 1), "bad": rung.grid(["no", bad])}
    results = tune(
        trainables.budget_goes_bad,
        space,
        num_trials=4,
        scheduler=SCHEDULERS[scheduler],
        executor="inline",
    )
    failed = [t for t in results.trials if t.status is TrialStatus.ERROR]
    assert failed, "the trial with the bad budget failed"
    assert {t.config["bad"] for t in failed} == {bad}, "and no other"
    for trial in failed:
        if bad == "missing":
            assert f"trial {trial.trial_id} reported ['loss'] without 'epoch'" in trial.error
            assert "without 'epoch'" in trial.error
        else:
            assert f"trial {trial.trial_id} reported epoch=" in trial.error
            assert "'epoch' must be a finite number" in trial.error
    assert all(t.status.is_finished for t in results.trials)
    assert results.stop_reason == "num_trials=4 trials were run"


def test_a_first_report_without_the_budget_key_is_a_typo_that_ends_the_run(tune, executor):
    with pytest.raises(rung.ConfigError, match="without 'epochs', which ASHAScheduler"):
        tune(
            trainables.quadratic,
            {"x": rung.uniform(0, 1)},
            num_trials=3,
            scheduler={"name": "asha", "time_attr": "epochs", "max_t": 5},
            executor=executor,
        )


def test_an_error_that_ends_the_run_interrupts_the_trials_it_cut_short(tune, tmp_path):
    kwargs = {
        "num_trials": 4,
        "executor": "process",
        "name": "exp",
        "scheduler": {"name": "asha", "time_attr": "epoch", "max_t": 3},
    }
    space = {"x": rung.uniform(0, 1)}
    with pytest.raises(rung.ConfigError, match="without the metric 'val_loss'"):
        tune(trainables.quadratic, space, metric="val_loss", **kwargs)
    cut_short = rung.load(tmp_path / "exp").trials
    assert cut_short, "trials were running"
    assert not [t for t in cut_short if t.status.is_finished], "none ended for the typo"
    assert all(t.interrupted for t in cut_short)

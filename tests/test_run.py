"""The engine end to end, on every executor."""

import math
import os

import pytest

import rung
from rung.trial import TrialStatus
from tests import trainables

X = {"x": rung.uniform(0, 1)}


def test_results_hold_best_trial_and_tables(tune, executor):
    results = tune(trainables.quadratic, X, num_trials=6, executor=executor)
    assert len(results.trials) == 6
    assert all(t.status is TrialStatus.TERMINATED for t in results.trials)
    best = min(results.trials, key=lambda t: t.last_result["loss"])
    assert results.best_trial is best
    assert results.best_config == best.config
    assert results.best_result["loss"] == best.last_result["loss"]
    frame = results.dataframe()
    assert list(frame["trial_id"]) == [t.trial_id for t in results.trials]
    assert {
        "status",
        "iterations",
        "loss",
        "best_loss",
        "time_total_s",
        "error",
        "config/x",
    } <= set(frame.columns)
    assert (frame["iterations"] == 5).all()
    every = results.results_dataframe()
    assert len(every) == 30
    assert list(every[every.trial_id == "00000"]["training_iteration"]) == [1, 2, 3, 4, 5]
    assert results.stop_reason == "num_trials=6 trials were run"


def test_mode_max_ranks_the_other_way(tune, executor):
    results = tune(trainables.returns_dict, X, num_trials=5, mode="max", executor=executor)
    assert results.best_result["loss"] == max(t.last_result["loss"] for t in results.trials)


def test_a_trainable_may_just_return_a_dict(tune, executor):
    results = tune(trainables.returns_dict, X, num_trials=3, executor=executor)
    for trial in results.trials:
        assert trial.iterations == 1
        assert trial.last_result["loss"] == pytest.approx(trial.config["x"] ** 2)


def test_the_same_seed_gives_the_same_configs(tune, executor):
    first = tune(trainables.returns_dict, X, num_trials=4, executor=executor)
    second = tune(trainables.returns_dict, X, num_trials=4, executor=executor, seed=0)
    assert [t.config for t in first.trials] == [t.config for t in second.trials]


def test_stop_is_not_swallowed_by_except_exception(tune, executor):
    results = tune(
        trainables.swallows_exceptions, X, num_trials=2, max_iterations=3, executor=executor
    )
    assert [t.iterations for t in results.trials] == [3, 3]
    assert all(t.status is TrialStatus.TERMINATED for t in results.trials)


def test_class_trainable_is_reused_through_reset(tune, executor):
    results = tune(
        trainables.Counter, X, num_trials=4, max_iterations=3, max_concurrent=1, executor=executor
    )
    assert [t.iterations for t in results.trials] == [3, 3, 3, 3]
    built = [t.last_result["built"] for t in results.trials]
    assert built[-1] == built[0], "reset() returned True, so no trial should build anew"
    assert results.trials[0].results[-1]["loss"] == pytest.approx(results.trials[0].config["x"] / 3)


def test_an_exception_marks_the_trial_error_and_the_rest_go_on(tune, executor):
    space = {"x": rung.uniform(0, 1), "fail": rung.grid(["raise", "no", "raise", "no"])}
    results = tune(trainables.fails_when, space, searcher="grid", executor=executor)
    statuses = [t.status for t in results.trials]
    assert statuses.count(TrialStatus.ERROR) == 2 and statuses.count(TrialStatus.TERMINATED) == 2
    failed = results.errors[0]
    assert failed.error.startswith("ValueError: bad value")
    assert 'raise ValueError(f"bad value' in failed.traceback
    assert failed.iterations == 1, "results before the failure stay recorded"
    assert results.best_trial.status is TrialStatus.TERMINATED


def test_a_traceback_is_shown_once_per_distinct_error(tmp_path, executor, capsys):
    space = {"x": 0.5, "fail": rung.grid(["raise", "raise", "raise"])}
    rung.run(
        trainables.fails_when,
        space,
        metric="loss",
        mode="min",
        searcher="grid",
        storage_path=tmp_path,
        executor=executor,
        max_concurrent=1,
    )
    out = capsys.readouterr().out
    assert out.count("Traceback (most recent call last)") == 1
    assert out.count("(traceback shown for trial 00000)") == 2


def test_nan_is_recorded_and_never_best(tune, executor):
    space = {"x": rung.grid([0.9, 0.5]), "fail": rung.grid(["nan", "no"])}
    results = tune(trainables.fails_when, space, searcher="grid", executor=executor)
    nan_trials = [t for t in results.trials if math.isnan(t.last_result["loss"])]
    assert len(nan_trials) == 2
    assert not math.isnan(results.best_result["loss"])
    assert results.dataframe()["loss"].isna().sum() == 2


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("string", "trial 00000 reported loss='low' (str); the metric must be a number"),
        ("missing", "trial 00000 reported ['accuracy'] without the metric 'loss'"),
    ],
)
def test_bad_reports_name_the_trial_key_and_value(tune, executor, how, message):
    results = tune(trainables.fails_when, {"x": 0.1, "fail": how}, num_trials=1, executor=executor)
    (trial,) = results.trials
    assert trial.status is TrialStatus.ERROR
    assert message in trial.error


def test_an_unknown_metric_ends_the_experiment_at_the_first_report(tune, executor):
    with pytest.raises(rung.ConfigError, match="without the metric 'val_loss'"):
        tune(trainables.quadratic, X, num_trials=3, metric="val_loss", executor=executor)


def test_a_failed_trial_is_retried_from_its_last_checkpoint(tune, executor):
    results = tune(
        trainables.resumes_from_checkpoint, X, num_trials=1, max_failures=1, executor=executor
    )
    (trial,) = results.trials
    assert trial.status is TrialStatus.TERMINATED
    assert trial.num_failures == 1
    assert [r["epoch"] for r in trial.results] == [0, 1, 2, 3, 4, 5]
    assert rung.checkpoint.load_checkpoint(results.best_checkpoint) == {"epoch": 5}


def test_a_failed_class_trainable_is_retried_from_a_checkpoint_it_was_asked_for(tune, executor):
    results = tune(
        trainables.FailsOnceAtStepThree,
        X,
        num_trials=1,
        max_iterations=5,
        max_failures=2,
        executor=executor,
    )
    (trial,) = results.trials
    assert trial.status is TrialStatus.TERMINATED
    assert trial.num_failures == 1
    assert [r["step"] for r in trial.results] == [1, 2, 3, 4, 5]


def test_without_retries_the_failure_is_final(tune, executor):
    results = tune(trainables.resumes_from_checkpoint, X, num_trials=1, executor=executor)
    assert results.trials[0].status is TrialStatus.ERROR


def test_fail_fast_raises_with_the_results_so_far(tune, executor):
    space = {"x": 0.5, "fail": rung.grid(["no", "raise", "no"])}
    with pytest.raises(rung.TrialError, match="trial 00001 failed: ValueError") as caught:
        tune(
            trainables.fails_when,
            space,
            searcher="grid",
            fail_fast=True,
            max_concurrent=1,
            executor=executor,
        )
    assert caught.value.results.trials[0].status is TrialStatus.TERMINATED


def test_a_directory_checkpoint_is_copied(tune, executor):
    results = tune(trainables.writes_directory_checkpoint, X, num_trials=2, executor=executor)
    for trial in results.trials:
        assert trial.checkpoint.startswith(f"trials/{trial.trial_id}/checkpoints/")
        with open(os.path.join(results.path, trial.checkpoint, "weights.txt")) as file:
            assert float(file.read()) == trial.config["x"]
    assert results.best_checkpoint == os.path.join(results.path, results.best_trial.checkpoint)


def test_a_metric_target_ends_the_experiment(tune, executor):
    results = tune(
        trainables.returns_dict, X, num_trials=200, stop={"loss": 0.05}, executor=executor
    )
    assert len(results.trials) < 200
    assert "reached the target" in results.stop_reason
    assert min(t.last_result["loss"] for t in results.trials if t.results) <= 0.05


def test_a_grid_ends_the_experiment_when_walked(tune, executor):
    space = {"x": rung.grid([0.1, 0.2, 0.3])}
    results = tune(trainables.returns_dict, space, searcher="grid", executor=executor)
    assert sorted(t.config["x"] for t in results.trials) == [0.1, 0.2, 0.3]
    assert results.stop_reason == "the searcher has nothing left to propose"


def test_without_a_searcher_a_grid_space_is_walked_once(tune):
    space = {"x": rung.grid([0.1, 0.2, 0.3])}
    results = tune(trainables.returns_dict, space, executor="inline")
    assert sorted(t.config["x"] for t in results.trials) == [0.1, 0.2, 0.3]


def test_without_a_searcher_num_trials_repeats_the_grid_and_draws_the_rest(tune):
    space = {"x": rung.uniform(0, 1), "tag": rung.grid(["a", "b"])}
    results = tune(trainables.returns_dict, space, num_trials=5, executor="inline", seed=3)
    assert [t.config["tag"] for t in results.trials] == ["a", "b", "a", "b", "a"]
    assert len({t.config["x"] for t in results.trials}) == 5


def test_a_time_budget_ends_the_experiment(tune):
    results = tune(trainables.forever, X, time_budget_s=2.0, executor="process")
    assert results.stop_reason == "the time budget of 2 s was spent"
    assert all(t.status is TrialStatus.STOPPED for t in results.trials)


def test_a_closure_runs_in_worker_processes(tune):
    offset = 10.0

    def shifted(config):
        rung.report(loss=config["x"] + offset)

    results = tune(shifted, X, num_trials=2, executor="process")
    assert all(t.last_result["loss"] >= 10 for t in results.trials)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "maximize"}, "mode='maximize': use 'min' or 'max'"),
        ({"metric": ""}, "metric='': name the reported key"),
        ({"num_trials": None}, "say when to stop: pass num_trials"),
        ({"num_trials": 0}, "num_trials=0: must be a positive int"),
        ({"executor": "threads"}, "executor='threads' is not a known executor"),
        ({"searcher": "bayes"}, "searcher='bayes' is not a known searcher"),
        ({"scheduler": "asha!"}, "scheduler='asha!' is not a known scheduler"),
        ({"resources_per_trial": {"cpus": 1}}, "unknown keys \\['cpus'\\]"),
        ({"executor": "inline", "trial_timeout_s": 5}, "trial_timeout_s needs an executor"),
        ({"max_failures": -1}, "max_failures=-1"),
        ({"stop": {"loss": "low"}}, "targets must be numbers"),
    ],
)
def test_bad_settings_fail_before_any_trial(tune, kwargs, message):
    kwargs.setdefault("num_trials", 2)
    with pytest.raises(rung.ConfigError, match=message):
        tune(trainables.quadratic, X, **kwargs)


def test_bad_trainables_are_refused_up_front(tune):
    with pytest.raises(rung.ConfigError, match="must take one argument"):
        tune(lambda: None, X, num_trials=1)

    class NotTrainable:
        pass

    with pytest.raises(rung.ConfigError, match=r"must subclass rung\.Trainable"):
        tune(NotTrainable, X, num_trials=1)


def test_report_outside_a_trial_says_so():
    with pytest.raises(rung.RungError, match=r"work only inside a trainable"):
        rung.report(loss=1.0)

"""Habits from Ray Tune and Optuna: what they mean there is what they do here, or rung says
why not before the first trial."""

from __future__ import annotations

import subprocess
import sys

import pytest

import rung
from rung.executors import detect_cpus
from rung.trial import TrialStatus
from tests import trainables

X = {"x": rung.uniform(0, 1)}


@pytest.mark.parametrize("trainable", [trainables.DoneAtFive, trainables.reports_done])
def test_done_in_a_result_ends_its_trial_as_finished(tune, executor, trainable):
    results = tune(trainable, X, num_trials=3, executor=executor, max_concurrent=1)
    expected = 5 if trainable is trainables.DoneAtFive else 3
    for trial in results.trials:
        assert trial.status is TrialStatus.TERMINATED
        assert trial.iterations == expected


def test_a_class_trainable_sees_its_config_and_its_new_config_after_reset(tune, executor):
    results = tune(trainables.DoneAtFive, X, num_trials=3, executor=executor, max_concurrent=1)
    last = results.trials[-1]
    assert last.last_result["seen"][-1] == last.config["x"]
    if executor == "inline":
        assert last.last_result["seen"] == [t.config["x"] for t in results.trials]


def test_a_class_trainable_nothing_would_end_is_refused_with_the_fix(tune):
    with pytest.raises(rung.ConfigError, match=r"nothing would end its trials.*max_iterations=N"):
        tune(trainables.NeverEnds, X, num_trials=2)
    ended = tune(trainables.NeverEnds, X, num_trials=2, max_iterations=3, executor="inline")
    assert all(t.iterations == 3 for t in ended.trials)
    asha = {"name": "asha", "max_t": 4}
    by_scheduler = tune(trainables.NeverEnds, X, num_trials=2, scheduler=asha, executor="inline")
    assert all(t.status.is_finished for t in by_scheduler.trials)


def test_a_stop_key_no_result_has_is_warned_about_once(tune):
    with pytest.warns(rung.RungWarning, match=r"'accurracy'.*did you mean 'accuracy'") as warned:
        tune(
            lambda config: {"loss": config["x"], "accuracy": 1 - config["x"]},
            X,
            num_trials=4,
            stop={"accurracy": 0.99},
            executor="inline",
        )
    assert sum("accurracy" in str(w.message) for w in warned) == 1


def test_stop_on_training_iteration_ends_each_trial_as_in_ray_tune(tune):
    with pytest.warns(rung.RungWarning, match=r"each trial ends after 3 iterations"):
        results = tune(trainables.quadratic, X, num_trials=4, stop={"training_iteration": 3})
    assert len(results.trials) == 4
    assert all(t.iterations == 3 and t.status is TrialStatus.TERMINATED for t in results.trials)


def test_bohb_without_a_multi_fidelity_scheduler_is_warned_about(tune):
    with pytest.warns(rung.RungWarning, match=r"BOHB.*scheduler=.hyperband. or .asha."):
        tune(trainables.returns_dict, X, num_trials=2, searcher="bohb", executor="inline")


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ({"x": rung.uniform}, "x: rung.uniform is the function, not a domain; call it"),
        ({"a": {"b": rung.choice}}, "a/b: rung.choice is the function"),
        ({}, "the space is empty"),
    ],
)
def test_spaces_that_are_surely_mistakes_are_refused(tune, space, message):
    with pytest.raises(rung.SpaceError, match=message):
        tune(trainables.returns_dict, space, num_trials=2)


def test_resources_beyond_the_machine_are_refused(tune):
    cpus = detect_cpus()
    with pytest.raises(rung.ConfigError, match=f"asks for {cpus + 98} CPUs per trial"):
        tune(trainables.returns_dict, X, num_trials=2, resources_per_trial={"cpu": cpus + 98})


def test_optunas_direction_is_answered_with_rungs_mode(tmp_path):
    with pytest.raises(rung.ConfigError, match=r"direction is not a setting \(rung calls it mode"):
        rung.run(trainables.returns_dict, X, metric="loss", direction="minimize", num_trials=1)
    with pytest.raises(rung.ConfigError, match=r"mode=None: use 'min' or 'max'"):
        rung.run(trainables.returns_dict, X, metric="loss", num_trials=1)


@pytest.mark.parametrize(
    "build",
    [
        lambda: rung.schedulers.ASHAScheduler(metric="loss", mode="min", max_t=5),
        lambda: rung.schedulers.PopulationBasedTraining(
            metric="loss", hyperparam_mutations={"x": [1, 2]}
        ),
        lambda: rung.searchers.TPESearch(mode="max"),
    ],
)
def test_ray_tunes_metric_and_mode_on_a_strategy_name_where_they_go(build):
    with pytest.raises(rung.ConfigError, match=r"rung takes the metric and mode once.*rung\.run"):
        build()


def test_a_num_trials_that_cuts_a_grid_short_is_refused(tune):
    space = {"x": rung.grid([1, 2, 3])}
    with pytest.raises(rung.ConfigError, match=r"num_trials=2 would try 2 of the grid's 3 .*1 out"):
        tune(trainables.returns_dict, space, num_trials=2)
    assert len(tune(trainables.returns_dict, space, num_trials=4, executor="inline").trials) == 4


def test_a_ray_tune_class_pauses_and_resumes_under_hyperband(tune, worker_executor):
    results = tune(
        trainables.RayStyle,
        X,
        num_trials=6,
        scheduler={"name": "hyperband", "max_t": 9},
        executor=worker_executor,
    )
    assert not [t for t in results.trials if t.status is TrialStatus.ERROR]
    assert any(t.runs > 1 for t in results.trials), "some trial was paused and resumed"
    for trial in results.trials:
        assert [r["steps"] for r in trial.results] == [
            r["training_iteration"] for r in trial.results
        ], "a resumed trial went on from the state it saved"


def test_a_class_whose_source_cannot_be_read_is_not_trusted_to_end(tmp_path):
    code = (
        "import rung\n"
        "class Endless(rung.Trainable):\n"
        "    def step(self):\n"
        "        return {'loss': 1.0}\n"
        "rung.run(Endless, {'x': rung.uniform(0, 1)}, metric='loss', mode='min',\n"
        "         num_trials=1, executor='inline', verbose=0)\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert ran.returncode != 0
    assert "step() cannot be read to see whether it returns {'done': True}" in ran.stderr
    assert "max_iterations=N" in ran.stderr

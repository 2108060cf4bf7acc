"""What trainables do to workers: report from threads, fork and die, raise
KeyboardInterrupt, run experiments of their own."""

from __future__ import annotations

import os

import pytest

import rung
from rung.trial import TrialStatus
from tests import trainables


def test_reports_from_several_threads_are_each_recorded_once(tune, executor):
    results = tune(trainables.reports_from_threads, {"x": 0.5}, num_trials=2, executor=executor)
    for trial in results.trials:
        assert trial.status is TrialStatus.TERMINATED
        assert [r["training_iteration"] for r in trial.results] == list(range(1, 101))
        by_thread = {}
        for result in trial.results:
            by_thread.setdefault(result["thread"], []).append(result["loss"])
        assert by_thread == {t: [0.5 + s for s in range(25)] for t in range(4)}


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_worker_that_dies_is_seen_at_once_whatever_its_children_hold(tune, worker_executor):
    space = {"x": 0.5, "fork": rung.grid([True, False, False])}
    results = tune(
        trainables.forks_then_dies,
        space,
        searcher="grid",
        max_concurrent=1,
        max_failures=0,
        executor=worker_executor,
    )
    died, *rest = results.trials
    assert died.status is TrialStatus.ERROR
    assert "exited with code 3" in died.error or "died" in died.error
    assert all(t.status is TrialStatus.TERMINATED for t in rest)
    with open(os.path.join(results.path, "trials", died.trial_id, "child.pid")) as file:
        child = int(file.read())
    assert not _alive(child), "what the trial forked died with its worker"


def test_a_keyboard_interrupt_in_a_worker_fails_the_trial_with_its_traceback(tune, worker_executor):
    space = {"x": rung.grid([0.9, 0.1])}
    results = tune(
        trainables.raises_keyboard_interrupt, space, searcher="grid", executor=worker_executor
    )
    raised, fine = results.trials
    assert raised.status is TrialStatus.ERROR
    assert raised.error == "KeyboardInterrupt: raised by the trainable itself"
    assert "in raises_keyboard_interrupt" in raised.traceback
    assert fine.status is TrialStatus.TERMINATED


@pytest.mark.parametrize("outer", ["inline", "process"])
def test_an_experiment_inside_a_trainable_runs_inline(tune, outer):
    results = tune(trainables.runs_an_experiment, {"inner": "inline"}, num_trials=2, executor=outer)
    for trial in results.trials:
        assert trial.status is TrialStatus.TERMINATED
        assert trial.last_result["inner_trials"] == 3


def test_worker_processes_inside_a_worker_are_refused_with_the_reason(tune):
    results = tune(trainables.runs_an_experiment, {"inner": "process"}, num_trials=1)
    (trial,) = results.trials
    assert trial.status is TrialStatus.ERROR
    assert "cannot start worker processes of its own" in trial.error
    assert "executor='inline'" in trial.error


def test_bad_reports_fail_their_trials_and_the_experiment_goes_on(tune, executor):
    space = {"x": 0.5, "fail": rung.grid(["string", "no", "string", "no", "missing", "no"])}
    results = tune(
        trainables.fails_when, space, searcher="grid", max_concurrent=1, executor=executor
    )
    assert results.stop_reason == "the searcher has nothing left to propose"
    statuses = [t.status for t in results.trials]
    assert statuses == [TrialStatus.ERROR, TrialStatus.TERMINATED] * 3
    assert "reported loss='low' (str); the metric must be a number" in results.trials[0].error

"""Staging on Ray: where no decision waits on results, each busy actor holds its next trial
and starts it the moment the running one ends; nothing else changes."""

from __future__ import annotations

import fcntl
import json
import os
import threading
from pathlib import Path

import pytest

import rung
from rung.callbacks.status_view import _counts
from rung.events import RunStarted, TrialEnded
from rung.executors.inline import InlineExecutor
from rung.executors.ray_executor import RayExecutor
from tests.resume.test_exact_resume import read_log


@pytest.mark.parametrize(
    ("searcher", "scheduler", "num_trials", "stages"),
    [
        ("random", "fifo", 6, True),
        ("quasirandom", "fifo", 6, True),
        ("auto", "fifo", 6, True),  # quasi-random for so few trials
        ("tpe", "fifo", 6, False),
        ("auto", "fifo", 40, False),  # a model-based portfolio
        ("random", "asha", 6, False),
    ],
)
def test_trials_are_staged_only_when_no_decision_waits_on_results(
    tune, searcher, scheduler, num_trials, stages
):
    executor = InlineExecutor()
    extra = {"max_iterations": 4} if scheduler == "asha" else {}
    tune(
        lambda config: {"loss": config["x"]},
        {"x": rung.uniform(0, 1)},
        searcher=searcher,
        scheduler=scheduler,
        num_trials=num_trials,
        executor=executor,
        **extra,
    )
    assert executor.stage_ahead is stages


def _count(path: Path, change: int) -> None:
    """Add ``change`` to the trials running now, in a file all actors share (under a
    lock), and keep the most seen at once."""
    with open(path, "a+") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        file.seek(0)
        state = json.loads(file.read() or '{"now": 0, "most": 0}')
        state["now"] += change
        state["most"] = max(state["most"], state["now"])
        file.seek(0)
        file.truncate()
        file.write(json.dumps(state))


def counts_itself(config):
    """Counts itself among the trials running at once, and reports ``config["reports"]``
    times."""
    _count(Path(config["counter"]), 1)
    for i in range(config["reports"] - 1):
        rung.report(loss=config["x"] + i)
    _count(Path(config["counter"]), -1)
    return {"loss": config["x"], "pid": os.getpid()}


class CountsStates(rung.Callback):
    """The status view's counts each time a trial starts."""

    def __init__(self) -> None:
        self.seen: list[dict[str, int]] = []

    def on_experiment_start(self, experiment) -> None:
        self.experiment = experiment

    def on_trial_start(self, trial) -> None:
        self.seen.append(_counts(self.experiment))


@pytest.mark.parametrize("reports", [1, 3])
def test_staged_trials_run_once_each_and_never_more_at_once_than_the_slots(
    local_ray, tmp_path, reports
):
    counter = tmp_path / "counter.json"
    states = CountsStates()
    results = rung.run(
        counts_itself,
        {"x": rung.uniform(0, 1), "counter": str(counter), "reports": reports},
        metric="loss",
        mode="min",
        num_trials=24,
        max_concurrent=2,
        executor="ray",
        storage_path=tmp_path / "runs",
        name="staged",
        callbacks=[states],
        verbose=0,
        seed=0,
    )
    assert [t.status for t in results.trials] == [rung.TrialStatus.TERMINATED] * 24
    frame = results.results_dataframe()
    assert sorted(frame.groupby("trial_id").size()) == [reports] * 24
    counted = json.loads(counter.read_text())
    assert counted["now"] == 0
    assert counted["most"] <= 2
    # Trials were handed over ahead: more launched than ended, beyond the two slots.
    in_flight, most = set(), 0
    for event in read_log(tmp_path / "runs" / "staged"):
        if isinstance(event, RunStarted):
            in_flight.add(event.trial_id)
        elif isinstance(event, TrialEnded):
            in_flight.discard(event.trial_id)
        most = max(most, len(in_flight))
    assert most > 2
    # The status view tells the trials that wait on a busy slot from those that run.
    assert max(counts["running"] for counts in states.seen) <= 2
    assert max(counts["next"] for counts in states.seen) > 0


def dies_on_two(config):
    if config["x"] == 2:
        os._exit(3)
    return {"loss": config["x"]}


def test_a_trial_staged_behind_one_that_kills_its_actor_starts_again_uncounted(local_ray, tmp_path):
    with pytest.warns(rung.RungWarning, match="ended before the trial began"):
        results = rung.run(
            dies_on_two,
            {"x": rung.grid([0, 1, 2, 3, 4, 5])},
            metric="loss",
            mode="min",
            max_concurrent=2,
            max_failures=0,
            executor=RayExecutor(),
            storage_path=tmp_path,
            verbose=0,
            seed=0,
        )
    statuses = {t.config["x"]: t.status for t in results.trials}
    assert statuses == {
        x: rung.TrialStatus.ERROR if x == 2 else rung.TrialStatus.TERMINATED for x in range(6)
    }
    assert sorted(results.results_dataframe()["loss"]) == [0, 1, 3, 4, 5]


class OpensTheGate(rung.Callback):
    """Opens a named pipe once four trials have started: two running, two handed over."""

    def __init__(self, gate: Path) -> None:
        self.gate = gate
        self.started = 0

    def on_trial_start(self, trial) -> None:
        self.started += 1
        if self.started == 4:
            with open(self.gate, "w") as gate:
                gate.write("go")


def reaches_the_target_once_trials_are_staged(config):
    if config["x"] == 0:
        with open(config["gate"]) as gate:  # waits until the driver opens it
            gate.read()
        return {"loss": 0.0}
    threading.Event().wait()  # holds its slot until the experiment ends


def test_trials_staged_when_the_experiment_ends_are_left_pending_not_stopped(local_ray, tmp_path):
    gate = tmp_path / "gate"
    os.mkfifo(gate)
    results = rung.run(
        reaches_the_target_once_trials_are_staged,
        {"x": rung.grid([0, 1, 2, 3, 4, 5, 6, 7]), "gate": str(gate)},
        metric="loss",
        mode="min",
        stop={"loss": 0.001},  # the experiment ends when trial 0 reports
        max_concurrent=2,
        executor="ray",
        storage_path=tmp_path,
        callbacks=[OpensTheGate(gate)],
        verbose=0,
        seed=0,
    )
    statuses = {t.config["x"]: t.status for t in results.trials}
    assert statuses[1] is rung.TrialStatus.STOPPED  # it was running
    # Handed over and never begun: pending (a resume runs them), not "stopped".
    staged = [x for x, status in statuses.items() if status is rung.TrialStatus.PENDING]
    assert len(staged) >= 2
    assert all(not t.results for t in results.trials if t.config["x"] in staged)

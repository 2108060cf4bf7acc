"""What makes an event log a valid run, whatever crashes it went through."""

from __future__ import annotations

from collections import defaultdict

from rung.events import (
    CheckpointDeleted,
    CheckpointSaved,
    DecisionMade,
    ResultReported,
    RunFailed,
    RunInterrupted,
    RunStarted,
    TrialCreated,
    TrialEnded,
    TrialExploited,
    TrialPaused,
)

_CLOSING = (TrialPaused, TrialExploited, RunFailed, RunInterrupted, TrialEnded)
_CARRIED_OUT = {
    "stop": TrialEnded,
    "finish": TrialEnded,
    "pause": (TrialPaused, TrialEnded),
    "exploit": TrialExploited,
}


def check_valid_run(events) -> None:
    """Assert: every trial is created once and first; a run starts only when the trial's
    previous run was closed; within a run, training iterations go on one by one from the
    iteration it started at (so no result is recorded twice in a run); nothing follows a
    leaving decision in its run; an ended trial never runs again."""
    state: dict[str, str] = {}
    iteration: dict[str, int] = {}
    for index, event in enumerate(events):
        where = f"event {index + 1} ({event.kind.value} of trial {event.trial_id})"
        trial_id = event.trial_id
        if isinstance(event, TrialCreated):
            assert trial_id not in state, f"{where}: created twice"
            state[trial_id] = "waiting"
            continue
        assert trial_id in state, f"{where}: before its creation"
        if state[trial_id] == "ended":
            assert isinstance(event, CheckpointDeleted), f"{where}: after the trial ended"
            continue
        if isinstance(event, RunStarted):
            assert state[trial_id] == "waiting", f"{where}: its last run was never closed"
            state[trial_id] = "running"
            iteration[trial_id] = event.iteration
        elif isinstance(event, ResultReported):
            assert state[trial_id] == "running", f"{where}: a result outside a run"
            expected = iteration[trial_id] + 1
            got = event.metrics["training_iteration"]
            assert got == expected, f"{where}: iteration {got}, expected {expected}"
            iteration[trial_id] = got
            if event.action.leaves:
                state[trial_id] = f"told {event.action.value}"
        elif isinstance(event, DecisionMade):
            assert state[trial_id] != "waiting", f"{where}: not running"
            state[trial_id] = f"told {event.action.value}"
        elif isinstance(event, CheckpointSaved | CheckpointDeleted):
            continue
        elif isinstance(event, _CLOSING):
            told = state[trial_id]
            if told.startswith("told") and not isinstance(event, RunFailed):
                # A decision on record is carried out, even across a crash.
                expected = _CARRIED_OUT[told.removeprefix("told ")]
                assert isinstance(event, expected), f"{where}: the trial was {told}"
            if isinstance(event, TrialEnded):
                state[trial_id] = "ended"
            else:
                assert told != "waiting", f"{where}: closes a run that is not open"
                state[trial_id] = "waiting"
        else:
            raise AssertionError(f"{where}: an event this check does not know")


def results_by_run(events) -> dict[str, list[list[dict]]]:
    """Each trial's results, grouped by run."""
    runs: dict[str, list[list[dict]]] = defaultdict(list)
    for event in events:
        if isinstance(event, RunStarted):
            runs[event.trial_id].append([])
        elif isinstance(event, ResultReported):
            runs[event.trial_id][-1].append(event.metrics)
    return runs

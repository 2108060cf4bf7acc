"""Trials and the values that move between the driver, the scheduler and the executors."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class TrialStatus(str, Enum):
    """Where a trial is in its life."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    TERMINATED = "TERMINATED"
    STOPPED = "STOPPED"
    ERROR = "ERROR"

    @property
    def is_finished(self) -> bool:
        """Whether the trial will not run again."""
        return self in (TrialStatus.TERMINATED, TrialStatus.STOPPED, TrialStatus.ERROR)


class Action(str, Enum):
    """What a running trial is told after a report.

    ``SAVE`` is "continue, after saving a checkpoint": the driver asks a class trainable for
    one when a retry will need it; function trainables checkpoint when they choose to.
    """

    CONTINUE = "continue"
    STOP = "stop"
    PAUSE = "pause"
    SAVE = "save"


@dataclass(frozen=True)
class Decision:
    """A scheduler's answer to one result.

    ``PAUSE`` ends the current run of a trial with a checkpoint so that it can be resumed
    later; with ``config`` (and optionally ``checkpoint_from``) it restarts the trial with a
    new configuration from another trial's checkpoint, as population-based training does.
    """

    action: Action
    config: dict[str, Any] | None = None
    checkpoint_from: str | None = None

    @property
    def needs_checkpoint(self) -> bool:
        """Whether the trial must save its state before it leaves the worker."""
        return self.action is Action.PAUSE


CONTINUE = Decision(Action.CONTINUE)
STOP = Decision(Action.STOP)
PAUSE = Decision(Action.PAUSE)


@dataclass(frozen=True)
class Report:
    """A result a running trial reported, as the executor hands it to the driver."""

    trial_id: str
    metrics: dict[str, Any]
    checkpoint: str | None = None


class Outcome(str, Enum):
    """How one run of a trial ended on its worker."""

    FINISHED = "finished"
    STOPPED = "stopped"
    FAILED = "failed"


@dataclass(frozen=True)
class Exit:
    """One run of a trial ended: returned, stopped on request, or failed."""

    trial_id: str
    outcome: Outcome
    error: str | None = None
    traceback: str | None = None
    checkpoint: str | None = None


@dataclass
class Trial:
    """The driver's record of one trial: its configuration, results and status.

    Only the driver changes it, through ``apply``, from the same records the store keeps,
    so replaying a store's log rebuilds every trial as it was.
    """

    trial_id: str
    config: dict[str, Any]
    status: TrialStatus = TrialStatus.PENDING
    results: list[dict[str, Any]] = field(default_factory=list)
    checkpoint: str | None = None
    error: str | None = None
    traceback: str | None = None
    num_failures: int = 0
    start_time: float | None = None
    end_time: float | None = None
    run_start_time: float | None = None
    parent: str | None = None

    @property
    def last_result(self) -> dict[str, Any] | None:
        """The most recent report, or None before the first."""
        return self.results[-1] if self.results else None

    @property
    def iterations(self) -> int:
        """Number of results reported so far."""
        return len(self.results)

    def metric_values(self, metric: str) -> list[float]:
        """The metric's value in each report that has it."""
        return [r[metric] for r in self.results if metric in r]

    def best_value(self, metric: str, mode: str) -> float | None:
        """The best finite value of ``metric`` this trial reported, or None."""
        values = [v for v in self.metric_values(metric) if math.isfinite(v)]
        if not values:
            return None
        return min(values) if mode == "min" else max(values)

    def apply(self, record: dict[str, Any]) -> None:
        """Update the trial from one event record (see ``rung.store``)."""
        kind = record["type"]
        if kind == "started":
            self.status = TrialStatus.RUNNING
            self.run_start_time = record["time"]
            if self.start_time is None:
                self.start_time = record["time"]
            if record.get("config") is not None:
                self.config = record["config"]
        elif kind == "result":
            self.results.append(record["metrics"])
        elif kind == "checkpoint":
            self.checkpoint = record["path"]
        elif kind == "ended":
            self.status = TrialStatus(record["status"])
            self.end_time = record["time"]
            if record.get("error"):
                self.error = record["error"]
                self.traceback = record.get("traceback")
        elif kind == "failed":
            self.num_failures += 1
            self.status = TrialStatus.PENDING
            self.error = record["error"]
            self.traceback = record.get("traceback")
        elif kind == "paused":
            self.status = TrialStatus.PAUSED

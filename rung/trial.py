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
    """What a trial does after a report.

    Workers only ever see CONTINUE, SAVE ("continue, after saving a checkpoint": class
    trainables save when asked, function trainables when they choose), PAUSE (save and leave
    the worker, to be resumed later) and STOP. FINISH (the trial had its full budget) and
    EXPLOIT (restart from another trial's checkpoint with a new config) reach the worker as
    STOP; the driver records the difference.
    """

    CONTINUE = "continue"
    SAVE = "save"
    PAUSE = "pause"
    STOP = "stop"
    FINISH = "finish"
    EXPLOIT = "exploit"


@dataclass(frozen=True)
class Decision:
    """A scheduler's answer to one result.

    Attributes:
        action: what the trial does next.
        config: for EXPLOIT, the trial's new configuration.
        donor: for EXPLOIT, the trial whose latest checkpoint the trial restarts from.
    """

    action: Action
    config: dict[str, Any] | None = None
    donor: str | None = None

    @classmethod
    def exploit(cls, donor: str, config: dict[str, Any]) -> Decision:
        """Restart the trial from ``donor``'s checkpoint with ``config`` (PBT)."""
        return cls(Action.EXPLOIT, config=config, donor=donor)


CONTINUE = Decision(Action.CONTINUE)
SAVE = Decision(Action.SAVE)
PAUSE = Decision(Action.PAUSE)
STOP = Decision(Action.STOP)
FINISH = Decision(Action.FINISH)


@dataclass(frozen=True)
class Launch:
    """What a worker needs to start one run of a trial.

    Attributes:
        trial_id: the trial.
        config: its configuration.
        checkpoint: where to resume from, or None to start afresh.
        trial_dir: its folder (checkpoints go under it).
        iteration: results it reported before this run, so that checkpoints are named by
            the trial's own count and never overwrite an earlier run's.
    """

    trial_id: str
    config: dict[str, Any]
    checkpoint: str | None
    trial_dir: str
    iteration: int = 0


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
    lineage: list[dict[str, Any]] = field(default_factory=list)
    initial_config: dict[str, Any] | None = None
    checkpoints: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.initial_config is None:
            self.initial_config = self.config

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
            self.checkpoints.append({"path": record["path"], "score": record.get("score")})
        elif kind == "checkpoint_deleted":
            self.checkpoints = [c for c in self.checkpoints if c["path"] != record["path"]]
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
        elif kind == "interrupted":
            self.status = TrialStatus.PENDING
        elif kind == "exploited":
            self.status = TrialStatus.PENDING
            self.config = record["config"]
            self.checkpoint = record["checkpoint"]
            keys = ("time", "iteration", "donor", "config", "checkpoint")
            self.lineage.append({k: record[k] for k in keys})

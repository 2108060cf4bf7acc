"""Trials and the values that move between the driver, the scheduler and the executors."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from rung.events import (
    Action,
    CheckpointDeleted,
    CheckpointSaved,
    DecisionMade,
    Event,
    Exploit,
    LogError,
    ParameterAsked,
    ResultReported,
    RunFailed,
    RunInterrupted,
    RunStarted,
    TrialCreated,
    TrialEnded,
    TrialExploited,
    TrialImported,
    TrialPaused,
    TrialStatus,
)
from rung.objective import Objective, is_number

__all__ = [
    "CONTINUE",
    "FINISH",
    "PAUSE",
    "SAVE",
    "STOP",
    "Action",
    "Decision",
    "Exit",
    "Exploit",
    "Launch",
    "Outcome",
    "Report",
    "Trial",
    "TrialStatus",
]


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
        iteration: the training iteration ``checkpoint`` holds (0 from scratch): the run's
            first report is iteration + 1.
        run: the trial's run number; with the iteration it names checkpoint folders, so
            that no run overwrites another's.
        capture_output: a worker process writes the trial's standard output and error to
            ``stdout.log`` and ``stderr.log`` in its folder.
    """

    trial_id: str
    config: dict[str, Any]
    checkpoint: str | None
    trial_dir: str
    iteration: int = 0
    run: int = 1
    capture_output: bool = False


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
    # The run's worker went away with its machine (a Ray node): not the trial's doing.
    LOST = "lost"


@dataclass(frozen=True)
class Exit:
    """One run of a trial ended: returned, stopped on request, or failed."""

    trial_id: str
    outcome: Outcome
    error: str | None = None
    traceback: str | None = None
    checkpoint: str | None = None


@dataclass(slots=True)  # no per-trial __dict__: a driver may hold hundreds of thousands
class Trial:
    """The driver's record of one trial: its configuration, results and status.

    Only events change it (``apply``), the same events the store keeps, so replaying a log
    rebuilds every trial as it was.

    Attributes:
        iteration: the training iteration the trial's state has reached: its last result's
            ``training_iteration``, or, when a run starts, the iteration of the checkpoint it
            starts from (an exploited trial's state is the donor checkpoint's age).
        decision: what a running trial was told to do when it leaves its worker (stop,
            finish, pause, exploit), None while it may go on.
        runs: how many runs of the trial have started.
        interrupted: the experiment stopped while the trial ran; it restarts first.
        imported_from: where a trial brought in by a warm start came from (None: one of
            the experiment's own).
        asked: a define-by-run trial's space: each parameter its objective asked for, with
            its domain's text, in the order asked.
    """

    trial_id: str
    config: dict[str, Any]
    status: TrialStatus = TrialStatus.PENDING
    results: list[dict[str, Any]] = field(default_factory=list)
    violations: list[float | None] = field(default_factory=list)
    checkpoint: str | None = None
    checkpoint_iteration: int = 0
    error: str | None = None
    traceback: str | None = None
    num_failures: int = 0
    start_time: float | None = None
    end_time: float | None = None
    run_start_time: float | None = None
    lineage: list[dict[str, Any]] = field(default_factory=list)
    initial_config: dict[str, Any] | None = None
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    iteration: int = 0
    runs: int = 0
    decision: Action | None = None
    exploit: Exploit | None = None
    decision_error: str | None = None
    interrupted: bool = False
    generation: int = 0
    imported_from: str | None = None
    asked: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.initial_config is None:
            self.initial_config = self.config

    @classmethod
    def created(cls, event: TrialCreated) -> Trial:
        """The trial a ``created`` event starts."""
        return cls(event.trial_id, event.config)

    @classmethod
    def imported(cls, event: TrialImported) -> Trial:
        """The finished trial an ``imported`` event brings in."""
        last = event.results[-1] if event.results else {}
        reached = last.get("training_iteration")
        return cls(
            event.trial_id,
            event.config,
            status=TrialStatus.TERMINATED,
            results=list(event.results),
            violations=list(event.violations),
            iteration=int(float(reached)) if is_number(reached) else len(event.results),
            imported_from=event.source,
        )

    @property
    def last_result(self) -> dict[str, Any] | None:
        """The most recent report, or None before the first."""
        return self.results[-1] if self.results else None

    @property
    def violation(self) -> float | None:
        """How far the last report is past the experiment's constraints (> 0: infeasible;
        None without constraints or reports)."""
        return self.violations[-1] if self.violations else None

    @property
    def feasible(self) -> bool:
        """Whether the last report met the experiment's constraints (so far; True without
        constraints or reports)."""
        return self.violation is None or self.violation <= 0

    @property
    def iterations(self) -> int:
        """The training iteration the trial's state has reached (see ``iteration``)."""
        return self.iteration

    def metric_values(self, metric: str) -> list[float]:
        """The metric's value in each report that has it."""
        return [r[metric] for r in self.results if metric in r]

    def value(self, objective: Objective) -> float | None:
        """The trial's value by rung's one rule for "best": the metric of its last report
        (what its configuration reached when it ended, or so far), None when that cannot be
        ranked. ``rung.Results``, the plots, the CLI and the status view all rank by it."""
        return objective.value(self.last_result)

    def best_value(self, objective: Objective) -> float | None:
        """The best finite value of the objective's metric this trial reported, or None."""
        best = min(self.results, key=objective.score, default=None)
        return objective.value(best)

    def live_checkpoints(self) -> list[dict[str, Any]]:
        """Checkpoints of the trial's current state (not of one an exploit replaced),
        oldest first."""
        return [c for c in self.checkpoints if c["generation"] == self.generation]

    def apply(self, event: Event) -> None:
        """Update the trial from one event; an event that does not fit it is a LogError."""
        match event:
            case RunStarted():
                self.status = TrialStatus.RUNNING
                self.run_start_time = event.time
                if self.start_time is None:
                    self.start_time = event.time
                self.config = event.config
                self.checkpoint = event.checkpoint
                self.checkpoint_iteration = event.iteration
                self.iteration = event.iteration
                self.runs = event.run
                self._clear_decision()
                self.interrupted = False
            case ResultReported():
                self.results.append(event.metrics)
                self.violations.append(event.violation)
                reported = event.metrics.get("training_iteration")
                if is_number(reported):
                    self.iteration = int(float(reported))
                else:
                    self.iteration += 1
                if event.action.leaves:
                    self.decision = event.action
                    self.exploit = event.exploit
            case DecisionMade():
                self.decision = event.action
                self.decision_error = event.error
            case ParameterAsked():
                self.asked[event.name] = event.domain
                self.config = {**self.config, event.name: event.value}
                self.initial_config = self.config
            case CheckpointSaved():
                self.checkpoint = event.path
                self.checkpoint_iteration = event.iteration
                self.checkpoints.append(
                    {
                        "path": event.path,
                        "score": event.score,
                        "iteration": event.iteration,
                        "generation": self.generation,
                    }
                )
            case CheckpointDeleted():
                self.checkpoints = [c for c in self.checkpoints if c["path"] != event.path]
            case TrialPaused():
                self.status = TrialStatus.PAUSED
                self._clear_decision()
            case TrialExploited():
                self.status = TrialStatus.PENDING
                self.config = event.config
                self.checkpoint = event.checkpoint
                self.checkpoint_iteration = event.iteration
                self.generation += 1
                keys = ("time", "iteration", "donor", "config", "checkpoint")
                self.lineage.append({k: getattr(event, k) for k in keys})
                self._clear_decision()
            case RunFailed():
                self.num_failures += 1
                self.status = TrialStatus.PENDING
                self.error = event.error
                self.traceback = event.traceback
                self._clear_decision()
            case RunInterrupted():
                self.status = TrialStatus.PENDING
                self.interrupted = True
                self._clear_decision()
            case TrialEnded():
                self.status = event.status
                self.end_time = event.time
                if event.error:
                    self.error = event.error
                    self.traceback = event.traceback
                self._clear_decision()
                self.interrupted = False
            case _:
                raise LogError(f"trial {self.trial_id}: {type(event).__name__} cannot be applied")

    def _clear_decision(self) -> None:
        self.decision = None
        self.exploit = None
        self.decision_error = None

"""The driver: one event loop that asks the searcher, launches trials, applies decisions.

It owns all state. Executors hand it reports and exits (``on_report`` / ``on_exit``); it
records each as an event in the store, updates the trial from that same record, asks the
scheduler, and answers. Algorithms never see a clock or a process.
"""

from __future__ import annotations

import math
import os
import shutil
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rung.callbacks.base import Callback
from rung.checkpoint import CheckpointKeep
from rung.errors import ConfigError, RungWarning, TrialError
from rung.executors.base import Executor
from rung.executors.resources import Slot
from rung.results import Results
from rung.schedulers.base import Scheduler
from rung.searchers.base import Searcher
from rung.space import Space
from rung.store.base import Store
from rung.trial import Action, Decision, Exit, Launch, Outcome, Report, Trial, TrialStatus

_INTERRUPTED = "interrupted (Ctrl-C)"

# How a trial told to leave its worker is recorded once it has (exploits are re-queued).
_INTENT = {
    Action.STOP: TrialStatus.STOPPED,
    Action.FINISH: TrialStatus.TERMINATED,
    Action.PAUSE: TrialStatus.PAUSED,
    Action.EXPLOIT: TrialStatus.PENDING,
}


@dataclass(frozen=True)
class StopConditions:
    """When the experiment ends; whichever comes first.

    Attributes:
        num_trials: trials to create in all (None: no limit).
        time_budget_s: wall-clock (or simulated) seconds for the whole experiment.
        targets: ``{key: value}`` ends the experiment once any result reaches a value
            (below it for the metric in mode "min", at or above it otherwise).
        max_iterations: reports per trial, after which a trial ends as finished.
    """

    num_trials: int | None = None
    time_budget_s: float | None = None
    targets: Mapping[str, float] = field(default_factory=dict)
    max_iterations: int | None = None


@dataclass(frozen=True)
class FailurePolicy:
    """What a failed trial does to the experiment.

    Attributes:
        max_failures: times a failed trial is retried (from its last checkpoint).
        fail_fast: end the experiment, raising ``TrialError``, at the first error.
    """

    max_failures: int = 0
    fail_fast: bool = False


class Experiment:
    """One tuning run: a trainable, a space, the strategy, and where trials run."""

    def __init__(
        self,
        trainable: Any,
        space: Space,
        *,
        metric: str,
        mode: str,
        searcher: Searcher,
        scheduler: Scheduler,
        executor: Executor,
        slots: Sequence[Slot],
        store: Store,
        path: str,
        name: str,
        stop: StopConditions,
        failures: FailurePolicy,
        trial_timeout_s: float | None = None,
        checkpoint_keep: CheckpointKeep | None = None,
        callbacks: Sequence[Callback] = (),
    ) -> None:
        self.trainable = trainable
        self.space = space
        self.metric = metric
        self.mode = mode
        self.searcher = searcher
        self.scheduler = scheduler
        self.executor = executor
        self.slots = list(slots)
        self.store = store
        self.path = path
        self.name = name
        self.stop = stop
        self.failures = failures
        self.trial_timeout_s = trial_timeout_s
        self.checkpoint_keep = checkpoint_keep or CheckpointKeep()
        self.callbacks = list(callbacks)
        self.trials: dict[str, Trial] = {}
        self._intents: dict[str, TrialStatus] = {}
        self._exploits: dict[str, Decision] = {}
        self._warned: set[str] = set()
        self._by_status: dict[TrialStatus, dict[str, Trial]] = {s: {} for s in TrialStatus}
        self._run_base: dict[str, float] = {}
        self._elapsed_before = 0.0
        self.interrupted: list[Trial] | None = None
        self._metric_seen = False
        # Class trainables and lazy checkpoints (report(checkpoint=fn)) save only when asked:
        # ask after every step when a retry may need to resume from there.
        self._save_for_retry = failures.max_failures > 0
        self.stop_reason: str | None = None

    # the loop ----------------------------------------------------------------------------

    def restore(self) -> list[Trial]:
        """Rebuild trials, searcher and scheduler by replaying the store's log (resume).

        Returns the trials that were running when the log was last written: they are queued
        again, to restart from their last checkpoint (or from scratch without one).
        """
        for record in self.store.records():
            trial_id = record["trial_id"]
            if record["type"] == "created":
                trial = Trial(trial_id, record["config"])
                self.trials[trial_id] = trial
                self._by_status[trial.status][trial_id] = trial
                self.searcher.restore(trial_id, record["config"])
                self.scheduler.on_trial_add(trial)
                continue
            trial = self.trials[trial_id]
            self._apply(trial, record)
            if record["type"] == "result":
                self.searcher.on_trial_result(trial_id, record["metrics"])
                self.scheduler.on_trial_result(trial, record["metrics"])
            elif record["type"] == "ended":
                self._complete(trial, failed=record["status"] == TrialStatus.ERROR.value)
        self.interrupted = list(self._running())
        for trial in self.interrupted:
            self._record(trial, "interrupted", checkpoint=trial.checkpoint)
        self._elapsed_before = self.store.get_meta("elapsed_s", 0.0)
        self.store.flush()
        return self.interrupted

    def run(self) -> Results:
        """Run until a stop condition holds; return what was found."""
        self.executor.start(self.trainable, self, self.slots, self.trial_timeout_s)
        self._start_time = self.executor.now() - self._elapsed_before
        self._last_progress_write = -math.inf
        for callback in self.callbacks:
            callback.on_experiment_start(self)
        try:
            while self.stop_reason is None:
                self._launch_waiting()
                if not self._running():
                    self.stop_reason = self._why_nothing_runs()
                    break
                self.executor.poll(self._poll_timeout())
                self._check_time_budget()
                self._flush()
        except KeyboardInterrupt:
            self.stop_reason = _INTERRUPTED
        except TrialError as error:
            error.results = self.results()
            raise
        finally:
            self.executor.shutdown()
            for trial in list(self._running()):
                if self.stop_reason == _INTERRUPTED:
                    # Not ended: a resume runs it again from its last checkpoint.
                    self._record(trial, "interrupted", checkpoint=trial.checkpoint)
                else:
                    self._record(trial, "ended", status=TrialStatus.STOPPED.value, error=None)
            if self.stop_reason is not None:
                self.store.set_meta("stop_reason", self.stop_reason)
            self._flush(force=True)
            self.store.close()
        results = self.results()
        for callback in self.callbacks:
            callback.on_experiment_end(results)
        return results

    def _flush(self, force: bool = False) -> None:
        """Write this turn's records; note the time spent at most once a second, so that a
        resumed experiment keeps to the time budget it was given."""
        wall = time.monotonic()
        if force or wall - self._last_progress_write >= 1.0:
            self._last_progress_write = wall
            self.store.set_meta("elapsed_s", self.executor.now() - self._start_time)
        self.store.flush(force)
        for callback in self.callbacks:
            callback.on_turn_end()

    def results(self) -> Results:
        """The results so far."""
        return Results(
            list(self.trials.values()), self.metric, self.mode, self.stop_reason, self.path
        )

    def _running(self) -> Iterable[Trial]:
        return self._by_status[TrialStatus.RUNNING].values()

    def _poll_timeout(self) -> float:
        budget = self.stop.time_budget_s
        interval = self.executor.poll_interval_s
        if budget is None:
            return interval
        left = budget - (self.executor.now() - self._start_time)
        return max(0.0, min(interval, left))

    def _check_time_budget(self) -> None:
        budget = self.stop.time_budget_s
        if budget is not None and self.executor.now() - self._start_time >= budget:
            self.stop_reason = f"the time budget of {budget:g} s was spent"

    def _why_nothing_runs(self) -> str:
        if self.stop.num_trials is not None and len(self.trials) >= self.stop.num_trials:
            return f"num_trials={self.stop.num_trials} trials were run"
        if self.searcher.is_finished:
            return "the searcher has nothing left to propose"
        return "the searcher proposed nothing more"

    # launching ---------------------------------------------------------------------------

    def _launch_waiting(self) -> None:
        while self.executor.free_slots > 0 and self.stop_reason is None:
            trial = self._next_trial()
            if trial is None:
                return
            self._launch(trial)

    def _next_trial(self) -> Trial | None:
        waiting = [
            *self._by_status[TrialStatus.PENDING].values(),
            *self._by_status[TrialStatus.PAUSED].values(),
        ]
        limit = self.stop.num_trials
        more_coming = not (
            (limit is not None and len(self.trials) >= limit) or self.searcher.is_finished
        )
        chosen = self.scheduler.choose_trial_to_run(waiting, more_coming)
        if chosen is not None or not more_coming:
            return chosen
        trial_id = f"{len(self.trials):05d}"
        config = self.searcher.suggest(trial_id)
        if config is None:
            return None
        trial = Trial(trial_id, config)
        self.trials[trial_id] = trial
        self._record(trial, "created", config=config)
        self.scheduler.on_trial_add(trial)
        return trial

    def trial_dir(self, trial: Trial) -> str:
        """The working directory of a trial (its checkpoints live under it)."""
        return os.path.join(self.path, "trials", trial.trial_id)

    def _launch(self, trial: Trial) -> None:
        self._run_base[trial.trial_id] = (trial.last_result or {}).get("time_total_s", 0.0)
        self._record(trial, "started", config=trial.config)
        self.executor.launch(
            Launch(
                trial.trial_id,
                trial.config,
                trial.checkpoint,
                self.trial_dir(trial),
                trial.iterations,
            )
        )
        for callback in self.callbacks:
            callback.on_trial_start(trial)

    # events from executors ---------------------------------------------------------------

    def on_report(self, report: Report) -> Action:
        """Record a result, ask the scheduler, and say whether the trial goes on."""
        trial = self.trials[report.trial_id]
        if trial.status is not TrialStatus.RUNNING:
            return Action.STOP
        problem = self._check_metric(trial, report.metrics)
        if problem:
            self._fail(trial, problem, None, retry=False)
            return Action.STOP
        result = dict(report.metrics)
        result[self.metric] = _as_number(result[self.metric])
        result.setdefault("training_iteration", trial.iterations + 1)
        now = self.executor.now()
        result["time_total_s"] = self._run_base[trial.trial_id] + (now - trial.run_start_time)
        result["experiment_time_s"] = now - self._start_time
        self._record(trial, "result", metrics=result)
        if report.checkpoint:
            self._add_checkpoint(trial, report.checkpoint)
        self.searcher.on_trial_result(trial.trial_id, result)
        decision = self.scheduler.on_trial_result(trial, result)
        for callback in self.callbacks:
            callback.on_trial_result(trial, result)
        action = self._resolve(trial, result, decision)
        self._end_stopped_by_scheduler()
        return action

    def _check_metric(self, trial: Trial, metrics: Mapping[str, Any]) -> str | None:
        """Why a report is unusable, or None. A first report without the metric is a typo
        in ``metric`` far more often than a broken trial, so it ends the experiment."""
        if self.metric not in metrics:
            message = (
                f"trial {trial.trial_id} reported {sorted(metrics)} without the metric "
                f"{self.metric!r}; report it (rung.report({self.metric}=...)) or fix metric="
            )
            if not self._metric_seen:
                raise ConfigError(message)
            return message
        value = metrics[self.metric]
        if _as_number(value) is None:
            return (
                f"trial {trial.trial_id} reported {self.metric}={value!r} "
                f"({type(value).__name__}); the metric must be a number"
            )
        self._metric_seen = True
        return None

    def _resolve(self, trial: Trial, result: dict[str, Any], decision: Decision) -> Action:
        """Turn the scheduler's decision and the experiment's own stop conditions into what
        the worker is told, remembering how the trial is to be recorded when it leaves."""
        if self.stop_reason is None and self._target_reached(result):
            self.stop_reason = f"a result reached the target {dict(self.stop.targets)}"
        action = decision.action
        if self.stop_reason is not None:
            action = Action.STOP
        elif action in (Action.CONTINUE, Action.SAVE):
            cap = self.stop.max_iterations
            if cap is None or trial.iterations < cap:
                return Action.SAVE if self._save_for_retry else action
            action = Action.FINISH
        elif action is Action.EXPLOIT:
            donor = self.trials[decision.donor]
            if donor.checkpoint is None:
                self._warn_once(
                    "exploit",
                    f"trial {trial.trial_id} could not copy trial {donor.trial_id}, which has "
                    "no checkpoint yet; report one (rung.report(..., checkpoint=...)) at every "
                    "perturbation interval for population-based training to exploit",
                )
                return Action.CONTINUE
            self._exploits[trial.trial_id] = decision
        self._intents[trial.trial_id] = _INTENT[action]
        return Action.STOP if action in (Action.FINISH, Action.EXPLOIT) else action

    def _add_checkpoint(self, trial: Trial, path: str) -> None:
        """Record a checkpoint (scored by the result it follows) and delete what the
        retention policy lets go; a checkpoint any trial would resume from stays."""
        value = (trial.last_result or {}).get(self.metric)
        score = None
        if isinstance(value, int | float) and not math.isnan(value):
            score = value if self.mode == "min" else -value
        self._record(trial, "checkpoint", path=path, score=score)
        if self.checkpoint_keep.keeps_all:
            return
        waiting = (TrialStatus.RUNNING, TrialStatus.PENDING, TrialStatus.PAUSED)
        in_use = {t.checkpoint for s in waiting for t in self._by_status[s].values()}
        for old in self.checkpoint_keep.superseded(trial.checkpoints, in_use):
            shutil.rmtree(old, ignore_errors=True)
            self._record(trial, "checkpoint_deleted", path=old)

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            warnings.warn(message, RungWarning, stacklevel=2)

    def _end_stopped_by_scheduler(self) -> None:
        for trial_id in self.scheduler.take_stopped():
            trial = self.trials[trial_id]
            if trial.status is TrialStatus.RUNNING:
                # Told to pause, not yet out of its worker: end it when it is.
                self._intents[trial_id] = TrialStatus.STOPPED
            elif trial.status in (TrialStatus.PAUSED, TrialStatus.PENDING):
                self._record(trial, "ended", status=TrialStatus.STOPPED.value, error=None)
                self._complete(trial, failed=False)
                for callback in self.callbacks:
                    callback.on_trial_end(trial)

    def _target_reached(self, result: Mapping[str, Any]) -> bool:
        for key, target in self.stop.targets.items():
            value = result.get(key)
            if not isinstance(value, int | float) or math.isnan(value):
                continue
            if key == self.metric and self.mode == "min":
                if value <= target:
                    return True
            elif value >= target:
                return True
        return False

    def on_checkpoint(self, trial_id: str, path: str) -> None:
        """Record a checkpoint a trial saved when asked to (SAVE)."""
        trial = self.trials[trial_id]
        if trial.status is TrialStatus.RUNNING:
            self._add_checkpoint(trial, path)

    def on_exit(self, exit: Exit) -> None:
        """Record how a run of a trial ended; retry, pause or finish it."""
        trial = self.trials[exit.trial_id]
        intent = self._intents.pop(trial.trial_id, None)
        if exit.checkpoint and exit.checkpoint != trial.checkpoint:
            self._add_checkpoint(trial, exit.checkpoint)
        if trial.status is not TrialStatus.RUNNING:
            return
        if exit.outcome is Outcome.FAILED:
            self._on_failure(trial, exit)
            return
        exploit = self._exploits.pop(trial.trial_id, None)
        if exploit is not None and exit.outcome is Outcome.STOPPED:
            self._record(
                trial,
                "exploited",
                config=exploit.config,
                donor=exploit.donor,
                checkpoint=self.trials[exploit.donor].checkpoint,
                iteration=(trial.last_result or {}).get("training_iteration", 0),
            )
            return
        if exit.outcome is Outcome.FINISHED:
            status = TrialStatus.TERMINATED
        else:
            status = intent or TrialStatus.STOPPED
        if status is TrialStatus.PAUSED:
            if trial.checkpoint is None:
                self._warn_once(
                    "pause",
                    f"trial {trial.trial_id} was paused without a checkpoint and will resume "
                    "from its start; report one (rung.report(..., checkpoint=...)) or give the "
                    "Trainable class save() and load()",
                )
            self._record(trial, "paused")
        else:
            self._record(trial, "ended", status=status.value, error=None)
            self._complete(trial, failed=False)
        for callback in self.callbacks:
            callback.on_trial_end(trial)
        self._end_stopped_by_scheduler()

    def _on_failure(self, trial: Trial, exit: Exit) -> None:
        retry = trial.num_failures < self.failures.max_failures
        self._fail(trial, exit.error or "failed", exit.traceback, retry=retry)

    def _fail(self, trial: Trial, error: str, traceback: str | None, retry: bool) -> None:
        """Record a failed run: retried later, or the trial's end (and the experiment's
        too under fail_fast)."""
        retry = retry and not self.failures.fail_fast
        if retry:
            self._record(trial, "failed", error=error, traceback=traceback)
        else:
            status = TrialStatus.ERROR.value
            self._record(trial, "ended", status=status, error=error, traceback=traceback)
        for callback in self.callbacks:
            callback.on_trial_error(trial, error, traceback)
        if retry:
            return
        self._complete(trial, failed=True)
        for callback in self.callbacks:
            callback.on_trial_end(trial)
        self._end_stopped_by_scheduler()
        if self.failures.fail_fast:
            self.stop_reason = f"trial {trial.trial_id} failed and fail_fast=True"
            raise TrialError(
                f"trial {trial.trial_id} failed: {error}\n(fail_fast=True ended the "
                "experiment; pass fail_fast=False to record failures and go on)"
            )

    def _complete(self, trial: Trial, failed: bool) -> None:
        self.searcher.on_trial_complete(
            trial.trial_id,
            trial.last_result,
            failed=failed,
            stopped_early=trial.status is TrialStatus.STOPPED,
        )
        self.scheduler.on_trial_complete(trial, trial.last_result)

    # the log -----------------------------------------------------------------------------

    def _record(self, trial: Trial, kind: str, **fields: Any) -> None:
        record = {"type": kind, "trial_id": trial.trial_id, "time": self.executor.now(), **fields}
        self.store.append(record)
        self._apply(trial, record)

    def _apply(self, trial: Trial, record: dict[str, Any]) -> None:
        """Update a trial from a record, keeping the index of trials by status."""
        before = trial.status
        trial.apply(record)
        if trial.status is not before or record["type"] == "created":
            self._by_status[before].pop(trial.trial_id, None)
            self._by_status[trial.status][trial.trial_id] = trial


def _as_number(value: Any) -> float | None:
    """A reported metric as a float (numpy and torch scalars included), or None if it is
    not a number."""
    if isinstance(value, bool | str | bytes) or not hasattr(value, "__float__"):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None

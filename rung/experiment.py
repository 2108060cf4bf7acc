"""The driver: one event loop that asks the searcher, launches trials, applies decisions.

It owns all state, and changes it only by writing events (``rung.events``): each is
appended to the store and applied to its trial in one step, so the trials in memory are
always what the log says. Executors hand it reports and exits (``on_report`` /
``on_exit``); it answers each report with the scheduler's decision, recorded with the
result. Resuming replays the log (``rung.replay``) and settles the trials it shows running
by the decisions on record. Algorithms never see a clock or a process.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import warnings
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rung.callbacks.base import Callback
from rung.checkpoint import CheckpointKeep, deletable_path, located_path, recorded_path
from rung.constraints import Constraints
from rung.errors import ConfigError, RungWarning, TrialError
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
from rung.executors.base import Executor
from rung.executors.resources import Slot
from rung.interrupts import InterruptGuard, critical
from rung.objective import Objective, as_number, is_number, not_a_number
from rung.output_capture import CAPTURE_FOLDER
from rung.registry import did_you_mean
from rung.replay import complete, no_more_trials, replay
from rung.results import Results
from rung.schedulers.base import Scheduler
from rung.searchers.base import Searcher
from rung.space import Space
from rung.store.base import Store
from rung.store.memory import MemoryStore
from rung.trial import Decision, Exit, Launch, Outcome, Report, Trial
from rung.view import ExperimentView, RunFacts
from rung.warm_start import Admitted

INTERRUPTED = "interrupted (Ctrl-C)"
TERMINATED = "terminated (SIGTERM)"
# A ``rung.Tuner`` closed by its user: trials asked and not told resume as interrupted ones.
CLOSED = "the tuner was closed"


@dataclass(frozen=True)
class StopConditions:
    """When the experiment ends; whichever comes first.

    Attributes:
        num_trials: trials to create in all (None: no limit).
        time_budget_s: wall-clock (or simulated) seconds for the whole experiment.
        targets: ``{key: value}`` ends the experiment once any result reaches a value
            (below it for the metric in mode "min", at or above it otherwise).
        max_iterations: training iterations per trial, after which a trial ends as finished.
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
        objective: Objective,
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
        constraints: Constraints | None = None,
        checkpoint_keep: CheckpointKeep | None = None,
        callbacks: Sequence[Callback] = (),
        guard: InterruptGuard | None = None,
        capture_output: bool = False,
        warm_start: Admitted | None = None,
    ) -> None:
        self.trainable = trainable
        self.space = space
        self.objective = objective
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
        self.constraints = constraints or Constraints(None)
        self.checkpoint_keep = checkpoint_keep or CheckpointKeep()
        self.callbacks = list(callbacks)
        self.guard = guard or InterruptGuard()
        self.capture_output = capture_output
        self.warm_start = warm_start
        # The driver's trials are its view's: one fold of the log, which callbacks read.
        self.view = ExperimentView(
            objective,
            name=name,
            path=path,
            records=store.records,
            clock=self._now,
            staged=lambda: self.executor.staged,
        )
        self.trials: Mapping[str, Trial] = self.view.trials
        self._by_status: dict[TrialStatus, dict[str, Trial]] = {s: {} for s in TrialStatus}
        # Per running trial: time_total_s and experiment time at its last report (or start).
        self._marks: dict[str, tuple[float, float]] = {}
        self._relaunch: deque[str] = deque()
        self._uncommitted: list[Event] = []
        self._doomed: list[str] = []
        self._warned: set[str] = set()
        self._elapsed_before = 0.0
        self._start_time: float | None = None
        self._listeners: list[Callback] = []
        self._hooks: dict[str, list[Any]] = {}
        self._closed = False
        self._metric_seen = False
        self._budget_seen = False
        self._stop_keys_checked = False
        # Class trainables and lazy checkpoints (report(checkpoint=fn)) save only when asked:
        # ask after every step when a retry may need to resume from there.
        self._save_for_retry = failures.max_failures > 0

    # the loop ----------------------------------------------------------------------------

    def run(self, resume: bool = False) -> Results:
        """Run until a stop condition holds (after replaying the log, to resume); return
        what was found. A Ctrl-C at any moment returns the results so far."""
        try:
            self._loop(resume)
        except KeyboardInterrupt:
            self.stop_reason = TERMINATED if self.guard.terminated else INTERRUPTED
        except BaseException as error:
            # Failing fast, a typo in the metric, a full disk: what was recorded stays
            # recorded, the trials it cut short are interrupted (not stopped: it was not their
            # fault, and a resume runs them again), and every callback still ends.
            try:
                self._finish(cut_short=True)
            finally:
                results = self.results()
                for callback in self._listeners:
                    with contextlib.suppress(Exception):
                        callback.on_experiment_end(results)
            if isinstance(error, TrialError):
                error.results = results
            raise
        return self.finish()

    def _loop(self, resume: bool) -> None:
        self.guard.arm()
        self.start(resume)
        while self.stop_reason is None:
            self.guard.check()
            self.launch_waiting()
            if self.stop_reason is not None:
                break
            self.executor.poll(self._poll_timeout())
            self.check_time_budget()
            self.flush()
        # From here a Ctrl-C only hurries the shutdown; one that came before was raised.
        self.guard.quiet()

    # the pieces of the loop, also for a loop the user drives (``rung.Tuner``) -------------

    def start(self, resume: bool = False) -> None:
        """Replay the log (to resume), start the executor and tell the callbacks."""
        if resume:
            self._restore()  # a warm start's trials are in the log already
        elif self.warm_start is not None:
            self._import(self.warm_start)
        self.executor.stage_ahead = not (self.searcher.adaptive or self.scheduler.acts_on_results)
        self.executor.start(
            self.trainable, self, self.slots, self.trial_timeout_s, self._elapsed_before
        )
        self._start_time = self.executor.now() - self._elapsed_before
        self.view.elapsed_before = self._elapsed_before
        self.view.run = RunFacts(
            searcher=type(self.searcher).__name__,
            searcher_description=self.searcher.describe(),
            scheduler=type(self.scheduler).__name__,
            executor=type(self.executor).__name__,
            slots=len(self.slots),
            persistent=not isinstance(self.store, MemoryStore),
            num_trials=self.stop.num_trials,
            time_budget_s=self.stop.time_budget_s,
        )
        for callback in self.callbacks:
            with critical():  # a callback hears the end only if it heard the start
                callback.on_experiment_start(self.view)
                self._listeners.append(callback)
                self._hooks.clear()

    def launch_waiting(self) -> None:
        """Launch trials while the executor has room and the experiment goes on; when
        nothing runs and nothing can start, the experiment is over (``stop_reason``)."""
        self.check_time_budget()
        self._launch_waiting()
        if self.stop_reason is None and not self._running():
            self.stop_reason = self._why_nothing_runs()

    def finish(self) -> Results:
        """Stop the executor, write the last records, tell the callbacks; the results."""
        self._finish()
        results = self.results()
        for callback in self._listeners:
            callback.on_experiment_end(results)
        return results

    def _finish(self, cut_short: bool = False) -> None:
        """Stop the workers and write the last records; further Ctrl-Cs only hurry this.
        ``cut_short``: an error ends the experiment, and the running trials are interrupted."""
        self.guard.quiet()
        try:
            never_began = self.executor.staged
            try:
                with self.guard.interruptible():
                    self.executor.shutdown()
            except KeyboardInterrupt:
                self.executor.shutdown(wait=False)
            if self.path is not None:  # the workers' output capture files
                shutil.rmtree(Path(self.path, "trials", CAPTURE_FOLDER), ignore_errors=True)
            interrupted = cut_short or self.stop_reason in (INTERRUPTED, TERMINATED, CLOSED)
            for trial in list(self._running()):
                if trial.decision is not None:
                    self._leave(trial, cut_short=True)
                elif interrupted or trial.trial_id in never_began:
                    # Not ended: a resume runs it again from its last checkpoint.
                    self._record(RunInterrupted(trial.trial_id, self._now()))
                else:
                    self._end(trial, TrialStatus.STOPPED)
            if self.stop_reason is not None:
                self.store.set_meta("stop_reason", self.stop_reason)
            self._commit(force=True)
            self.store.keep_snapshot(self.view.results(), self.view.imported, self.view.position)
        finally:
            self.store.close()
        self._notify("on_turn_end")

    def flush(self, force: bool = False) -> None:
        """End a turn of the loop: commit (at the store's pace, or now if ``force``), let
        callbacks write."""
        self._commit(force)
        self._notify("on_turn_end")

    def _commit(self, force: bool = False) -> None:
        """Commit the buffered events with the time spent, so that a resumed experiment
        keeps to its time budget and clock; then delete the checkpoints that the committed
        events let go, and hand those events to the callbacks that write files."""
        if not (force or self.store.due()):
            return
        self.store.set_meta("elapsed_s", self._now())
        if not self.store.flush(force=True):
            return
        committed, self._uncommitted = self._uncommitted, []
        for path in self._doomed:
            self._delete_checkpoint(path, "a checkpoint_deleted record of this run")
        self._doomed.clear()
        if committed:
            self._notify("on_events_committed", committed)

    @property
    def stop_reason(self) -> str | None:
        """Why the experiment stops (None while it goes on)."""
        return self.view.stop_reason

    @stop_reason.setter
    def stop_reason(self, reason: str | None) -> None:
        self.view.stop_reason = reason

    @property
    def interrupted(self) -> list[Trial] | None:
        """The trials a resume found cut short (None when not resumed)."""
        return self.view.interrupted

    @property
    def elapsed_s(self) -> float:
        """Experiment time so far, in seconds, across resumes."""
        return self._now()

    def results(self) -> Results:
        """The results so far."""
        return self.view.results()

    def _now(self) -> float:
        """Experiment time: seconds since it first started, across resumes."""
        if self._start_time is None:
            return self._elapsed_before
        return self.executor.now() - self._start_time

    def _running(self) -> Iterable[Trial]:
        return self._by_status[TrialStatus.RUNNING].values()

    def _poll_timeout(self) -> float:
        budget = self.stop.time_budget_s
        interval = self.executor.poll_interval_s
        if budget is None:
            return interval
        return max(0.0, min(interval, budget - self._now()))

    def check_time_budget(self) -> None:
        budget = self.stop.time_budget_s
        if self.stop_reason is None and budget is not None and self._now() >= budget:
            self.stop_reason = f"the time budget of {budget:g} s was spent"

    def _why_nothing_runs(self) -> str:
        if self.stop.num_trials is not None and self.view.created >= self.stop.num_trials:
            return f"num_trials={self.stop.num_trials} trials were run"
        if self.searcher.is_finished:
            return "the searcher has nothing left to propose"
        return "the searcher proposed nothing more"

    def _notify(self, hook: str, *args: Any) -> None:
        """Call a hook of every callback that has seen the experiment start (skipping those
        that leave it as it is: hooks run for every result)."""
        methods = self._hooks.get(hook)
        if methods is None:
            methods = self._hooks[hook] = [
                getattr(callback, hook)
                for callback in self._listeners
                if getattr(type(callback), hook) is not getattr(Callback, hook)
            ]
        for method in methods:
            method(*args)

    # resuming ----------------------------------------------------------------------------

    def _restore(self) -> None:
        """Rebuild trials, searcher and scheduler from the log, then settle the trials it
        shows running: a decision on record (stop, finish, pause, exploit) is carried out;
        the others were cut short and restart first, from their last checkpoint."""
        self._elapsed_before = float(self.store.get_meta("elapsed_s", 0.0))
        events = self.store.records()
        replay(events, self.searcher, self.scheduler, self.stop.num_trials, fold=self.view)
        for trial in self.trials.values():
            self._by_status[trial.status][trial.trial_id] = trial
        self._closed = no_more_trials(self.view.created, self.stop.num_trials, self.searcher)
        self._metric_seen = any(trial.results for trial in self.trials.values())
        self._budget_seen = self._metric_seen
        for trial in self.trials.values():
            if self.stop_reason is None and any(map(self._target_reached, trial.results)):
                self.stop_reason = f"a result reached the target {dict(self.stop.targets)}"
        for trial in list(self._running()):
            if trial.decision is not None:
                self._leave(trial, cut_short=True)
            elif self.stop_reason is not None:
                self._end(trial, TrialStatus.STOPPED)  # the experiment was ending
            else:
                self._record(RunInterrupted(trial.trial_id, self._now()))
        self.view.interrupted = [t for t in self.trials.values() if t.interrupted]
        self._relaunch.extend(t.trial_id for t in self.view.interrupted)
        self._remove_leftovers(events)

    def _remove_leftovers(self, events: list[Event]) -> None:
        """Delete what the log lets go but a crash left on disk: checkpoints recorded as
        superseded, and the folders of trials whose creation was never committed (their
        ids are given again)."""
        kept = {c["path"] for t in self.trials.values() for c in t.checkpoints}
        kept |= {t.checkpoint for t in self.trials.values() if t.checkpoint}
        for seq, event in enumerate(events, start=1):
            if isinstance(event, CheckpointDeleted) and event.path not in kept:
                self._delete_checkpoint(event.path, f"record {seq} (trial {event.trial_id})")
        trials_dir = Path(self.path) / "trials"
        if trials_dir.is_dir():
            for folder in trials_dir.iterdir():
                if folder.is_dir() and folder.name not in self.trials:
                    shutil.rmtree(folder, ignore_errors=True)

    def _delete_checkpoint(self, recorded: str, record: str) -> None:
        """Delete a checkpoint the log let go; refuse one outside the experiment's ``trials/``
        folder (a damaged or edited log), naming the record."""
        if not self.executor.checkpoints_are_folders:
            self.executor.delete_checkpoint(recorded)
            return
        path = deletable_path(recorded, self.path)
        if path is None:
            raise LogError(
                f"{self.path}: {record} lets go of the checkpoint {recorded!r}, which is not "
                f"inside the experiment's trials folder; rung deletes nothing outside it (the "
                "log is damaged or was edited)"
            )
        self.executor.delete_checkpoint(path)

    def on_ask(self, trial_id: str, name: str, domain: Any) -> Any:
        """Answer a define-by-run objective's request for a parameter and record it; a
        parameter asked again in the same trial gets its first answer (a restarted run asks
        again), and from another domain is refused, naming both."""
        trial = self.trials[trial_id]
        text = str(domain)
        earlier = trial.asked.get(name)
        if earlier is not None:
            if earlier != text:
                raise ConfigError(
                    f"trial {trial_id} asked for {name!r} from {text} after asking for it from "
                    f"{earlier}: a parameter keeps one domain within a trial"
                )
            return trial.config[name]
        value = self.searcher.suggest_parameter(trial_id, name, domain)
        self._record(ParameterAsked(trial_id, self._now(), name, text, value))
        return value

    def _import(self, admitted: Admitted) -> None:
        """Record a warm start's trials (each report's violation of this experiment's
        constraints with it), tell the searcher of each as a replay would, and commit."""
        for index, imported in enumerate(admitted.trials):
            trial_id = f"imported-{index:05d}"
            violations = [
                self.constraints.violation(r) if self.constraints else None
                for r in imported.results
            ]
            self._record(
                TrialImported(
                    trial_id,
                    self._now(),
                    imported.config,
                    imported.results,
                    violations,
                    admitted.source,
                )
            )
            self.searcher.adopt(trial_id, imported.config)
            complete(self.trials[trial_id], self.searcher, None)
        self._commit(force=True)

    # launching ---------------------------------------------------------------------------

    def _launch_waiting(self) -> None:
        while self.executor.free_slots > 0 and self.stop_reason is None:
            trial = self._next_trial()
            if trial is None:
                return
            self._launch(trial)

    def _next_trial(self) -> Trial | None:
        while self._relaunch:
            trial = self.trials[self._relaunch.popleft()]
            if trial.status is TrialStatus.PENDING:
                return trial
        waiting = [
            *self._by_status[TrialStatus.PENDING].values(),
            *self._by_status[TrialStatus.PAUSED].values(),
        ]
        chosen = self.scheduler.choose_trial_to_run(waiting, not self._closed)
        if chosen is not None or self._closed:
            return chosen
        trial_id = f"{self.view.created:05d}"
        config = self.searcher.suggest(trial_id)
        if config is None:
            return None
        self._record(TrialCreated(trial_id, self._now(), config))
        trial = self.trials[trial_id]
        self.scheduler.on_trial_add(trial)
        if no_more_trials(self.view.created, self.stop.num_trials, self.searcher):
            self._closed = True
            self.scheduler.on_no_more_trials()
            self._end_stopped_by_scheduler()
        return trial

    def trial_dir(self, trial_id: str) -> str:
        """The working directory of a trial (its checkpoints live under it)."""
        return self.view.trial_dir(trial_id)

    def _launch(self, trial: Trial) -> None:
        checkpoint, iteration = self._resume_point(trial)
        now = self._now()
        self._record(
            RunStarted(trial.trial_id, now, trial.config, checkpoint, iteration, trial.runs + 1)
        )
        total = (trial.last_result or {}).get("time_total_s", 0.0)
        self._marks[trial.trial_id] = (total if is_number(total) else 0.0, now)
        self.scheduler.on_trial_start(trial)
        self.executor.launch(
            Launch(
                trial.trial_id,
                trial.config,
                None if checkpoint is None else located_path(checkpoint, self.path),
                self.trial_dir(trial.trial_id),
                iteration,
                trial.runs,
                capture_output=self.capture_output,
            )
        )
        self._notify("on_trial_start", trial)

    def _resume_point(self, trial: Trial) -> tuple[str | None, int]:
        """The checkpoint a run starts from and its iteration. A checkpoint gone from disk
        is recorded as missing, and the run starts from the trial's latest earlier one that
        is still there, or from scratch; a warning says which."""
        path = trial.checkpoint
        if path is None or self._checkpoint_exists(path):
            return path, trial.checkpoint_iteration if path else 0
        earlier = [c for c in trial.live_checkpoints() if c["path"] != path]
        for missing in [path, *(c["path"] for c in reversed(earlier))]:
            if self._checkpoint_exists(missing):
                iteration = next(c["iteration"] for c in earlier if c["path"] == missing)
                self._warn(
                    f"trial {trial.trial_id}: its checkpoint {located_path(path, self.path)} is "
                    f"missing; it restarts from its earlier checkpoint "
                    f"{located_path(missing, self.path)} (iteration {iteration})"
                )
                return missing, iteration
            self._record(CheckpointDeleted(trial.trial_id, self._now(), missing, "missing"))
        self._warn(
            f"trial {trial.trial_id}: its checkpoint {located_path(path, self.path)} is missing "
            "and no earlier one is on disk; it restarts from scratch (iteration 0)"
        )
        return None, 0

    def _checkpoint_exists(self, recorded: str) -> bool:
        return self.executor.checkpoint_exists(located_path(recorded, self.path))

    # events from executors ---------------------------------------------------------------

    def on_report(self, report: Report) -> Action:
        """Record a result with the decision it leads to, and say what the worker does."""
        trial = self.trials[report.trial_id]
        if trial.status is not TrialStatus.RUNNING or trial.decision is not None:
            return Action.STOP  # already told to leave (a report from a second thread, say)
        problem = self._check_metric(trial, report.metrics)
        result = self._complete_result(trial, report.metrics) if problem is None else {}
        problem = problem or self._check_budget(trial, result, sorted(report.metrics))
        if problem is not None:
            self._record(DecisionMade(trial.trial_id, self._now(), Action.STOP, problem))
            return Action.STOP
        self.searcher.on_trial_result(trial.trial_id, result)
        decision = self.scheduler.on_trial_result(trial, result)
        action, exploit = self._resolve(trial, result, decision)
        violation = self.constraints.violation(result) if self.constraints else None
        self._record(
            ResultReported(
                trial.trial_id, result["experiment_time_s"], result, action, exploit, violation
            )
        )
        if report.checkpoint:
            self._add_checkpoint(trial, report.checkpoint)
        self._end_stopped_by_scheduler()
        self._notify("on_trial_result", trial, result)
        self._commit()  # at the store's pace: an inline trial commits as it goes
        if action is Action.FINISH or action is Action.EXPLOIT:
            return Action.STOP
        return action

    def _complete_result(self, trial: Trial, metrics: Mapping[str, Any]) -> dict[str, Any]:
        """The result as recorded: the metric as a float, the training iteration, and the
        trial's time (summed step by step, so a resumed run adds up as an unbroken one)."""
        result = dict(metrics)
        metric = self.objective.metric
        result[metric] = as_number(result[metric])
        result.setdefault("training_iteration", trial.iteration + 1)
        now = self._now()
        total, since = self._marks.get(trial.trial_id, (0.0, now))
        total += now - since
        self._marks[trial.trial_id] = (total, now)
        result["time_total_s"] = total
        result["experiment_time_s"] = now
        return result

    def _check_metric(self, trial: Trial, metrics: Mapping[str, Any]) -> str | None:
        """Why a report is unusable, or None. A first report without the metric is a typo
        in ``metric`` far more often than a broken trial, so it ends the experiment."""
        for metric in self.objective.metrics:
            if metric not in metrics:
                message = (
                    f"trial {trial.trial_id} reported {sorted(metrics)} without the metric "
                    f"{metric!r}; report it (rung.report({metric}=...)) or fix metric="
                )
                if not self._metric_seen:
                    raise ConfigError(message)
                return message
            value = metrics[metric]
            if as_number(value) is None:
                return (
                    f"trial {trial.trial_id} reported {not_a_number(metric, value)}; the "
                    "metric must be a number"
                )
        self._metric_seen = True
        return None

    def _check_budget(
        self, trial: Trial, result: Mapping[str, Any], reported: list[str]
    ) -> str | None:
        """Why a result's budget is unusable, or None: the scheduler's ``time_attr`` and
        the training iteration must be finite numbers. As for the metric, a first report
        without ``time_attr`` is a typo in it, which ends the experiment."""
        key = self.scheduler.time_attr
        if key is not None and key not in result:
            message = (
                f"trial {trial.trial_id} reported {reported} without {key!r}, which "
                f"{type(self.scheduler).__name__} measures budget by; report it or set "
                "time_attr= to a reported key"
            )
            if not self._budget_seen:
                raise ConfigError(message)
            return message
        for name in dict.fromkeys(k for k in (key, "training_iteration") if k is not None):
            number = as_number(result[name])
            if number is None or not math.isfinite(number):
                return (
                    f"trial {trial.trial_id} reported {not_a_number(name, result[name])}; "
                    f"{name!r} must be a finite number"
                )
        self._budget_seen = True
        return None

    def _resolve(
        self, trial: Trial, result: dict[str, Any], decision: Decision
    ) -> tuple[Action, Exploit | None]:
        """The scheduler's decision within the experiment's own limits: the stop
        conditions, ``max_iterations`` (whatever the scheduler said) and, for an exploit, a
        donor with a checkpoint to copy."""
        if self.stop_reason is None and self._target_reached(result):
            self.stop_reason = f"a result reached the target {dict(self.stop.targets)}"
        if self.stop_reason is not None:
            return Action.STOP, None
        if result.get("done") is True:  # the trial says it is complete, as in Ray Tune
            return Action.FINISH, None
        action = decision.action
        cap = self.stop.max_iterations
        if cap is not None and action is not Action.STOP:
            iteration = result["training_iteration"]
            if is_number(iteration) and iteration >= cap:
                return Action.FINISH, None
        if not action.leaves:
            return (Action.SAVE if self._save_for_retry else action), None
        if action is not Action.EXPLOIT:
            return action, None
        donor = self.trials[str(decision.donor)]
        if donor.checkpoint is None:
            self._warn(
                f"trial {trial.trial_id} trains on instead of copying trial "
                f"{donor.trial_id}, which has saved no checkpoint yet (it has not reached a "
                "perturbation interval, or reports none): population-based training copies "
                "checkpoints, so report them (rung.report(..., checkpoint=...), a function "
                "to save only when asked)",
                key="exploit",
            )
            return Action.CONTINUE, None
        if donor.status is not TrialStatus.RUNNING and donor.checkpoint_iteration < donor.iteration:
            # A kill took the checkpoint of the state the donor was ranked by (it was pausing):
            # its older checkpoint is not what the scheduler chose, so copy none.
            self._warn(
                f"trial {trial.trial_id} trains on instead of copying trial {donor.trial_id}, "
                f"whose checkpoint (iteration {donor.checkpoint_iteration}) is older than the "
                f"result it was chosen for (iteration {donor.iteration}): that checkpoint was "
                "lost when the experiment stopped"
            )
            return Action.CONTINUE, None
        config = decision.config if decision.config is not None else trial.config
        return Action.EXPLOIT, Exploit(
            donor.trial_id, config, donor.checkpoint, donor.checkpoint_iteration
        )

    def _target_reached(self, result: Mapping[str, Any]) -> bool:
        for key, target in self.stop.targets.items():
            value = as_number(result.get(key))
            if value is None or math.isnan(value):
                continue
            if key == self.objective.metric:  # the metric, in its direction
                if self.objective.reaches(value, target):
                    return True
            elif value >= target:  # another reported key: reaching it from below
                return True
        return False

    def on_run_begun(self, trial_id: str) -> None:
        """Count a run's time from when its code started, not from its launch (a first
        trial waits for its worker to start)."""
        if trial_id in self._marks:
            total, _ = self._marks[trial_id]
            self._marks[trial_id] = (total, self._now())

    def on_checkpoint(self, trial_id: str, path: str) -> None:
        """Record a checkpoint a trial saved when asked to (SAVE)."""
        trial = self.trials[trial_id]
        if trial.status is TrialStatus.RUNNING:
            self._add_checkpoint(trial, path)

    def _add_checkpoint(self, trial: Trial, path: str) -> None:
        """Record a checkpoint (scored by the result it follows; its path relative to the
        experiment's folder) and let go of what the retention policy no longer keeps:
        recorded now, deleted once committed. A checkpoint any trial would resume from, or
        copy, stays."""
        score: float | None = self.objective.score(trial.last_result)
        if score == math.inf:
            score = None
        now = self._now()
        path = recorded_path(path, self.path)
        self._record(CheckpointSaved(trial.trial_id, now, path, trial.iteration, score))
        if self.checkpoint_keep.keeps_all:
            return
        for old in self.checkpoint_keep.superseded(trial.checkpoints, self._checkpoints_in_use()):
            self._record(CheckpointDeleted(trial.trial_id, now, old))
            self._doomed.append(old)

    def _checkpoints_in_use(self) -> set[str]:
        waiting = (TrialStatus.RUNNING, TrialStatus.PENDING, TrialStatus.PAUSED)
        in_use = {t.checkpoint for s in waiting for t in self._by_status[s].values()}
        in_use |= {t.exploit.checkpoint for t in self._running() if t.exploit is not None}
        in_use.discard(None)
        return in_use  # type: ignore[return-value]

    def on_exit(self, exit: Exit) -> None:
        """Record how a run of a trial ended: carry out the decision it was given, retry
        it, or end it."""
        trial = self.trials[exit.trial_id]
        if trial.status is not TrialStatus.RUNNING:
            return
        if exit.checkpoint and recorded_path(exit.checkpoint, self.path) != trial.checkpoint:
            self._add_checkpoint(trial, exit.checkpoint)
        self._marks.pop(trial.trial_id, None)
        if exit.outcome is Outcome.LOST:
            if trial.decision is not None:
                self._leave(trial, cut_short=True)
            else:
                self._restart_lost(trial, exit.error or "its worker was lost")
        elif exit.outcome is Outcome.FAILED:
            retry = trial.num_failures < self.failures.max_failures
            self._fail(trial, exit.error or "failed", exit.traceback, retry=retry)
        elif trial.decision is not None:
            self._leave(trial)
        elif exit.outcome is Outcome.FINISHED:
            self._end(trial, TrialStatus.TERMINATED)
        else:
            self._end(trial, TrialStatus.STOPPED)

    def _restart_lost(self, trial: Trial, reason: str) -> None:
        """A run lost with its machine: restart it first, from its last checkpoint, without
        counting a failure (the trial did nothing wrong)."""
        start = f"iteration {trial.checkpoint_iteration}" if trial.checkpoint else "scratch"
        self._warn(
            f"trial {trial.trial_id}: {reason} at iteration {trial.iteration}; it restarts "
            f"from {start} (not counted against max_failures)"
        )
        self._record(RunInterrupted(trial.trial_id, self._now(), reason))
        self._relaunch.append(trial.trial_id)

    def _leave(self, trial: Trial, cut_short: bool = False) -> None:
        """Carry out the decision a trial was given, once it is out of its worker (or,
        ``cut_short``, once the experiment stopped before the worker said it was out)."""
        if trial.decision_error is not None:
            self._fail(trial, trial.decision_error, None, retry=False)
        elif trial.exploit is not None:
            exploit = trial.exploit
            self._record(
                TrialExploited(
                    trial.trial_id,
                    self._now(),
                    exploit.donor,
                    exploit.config,
                    exploit.checkpoint,
                    exploit.iteration,
                )
            )
        elif trial.decision is Action.PAUSE:
            if cut_short and trial.checkpoint_iteration < trial.iteration:
                start = f"iteration {trial.checkpoint_iteration}" if trial.checkpoint else "scratch"
                self._warn(
                    f"trial {trial.trial_id} was pausing at iteration {trial.iteration} when the "
                    f"experiment stopped, before its checkpoint was recorded; it will resume "
                    f"from {start}"
                )
            elif trial.checkpoint is None:
                self._warn(
                    f"trial {trial.trial_id} was paused without a checkpoint and will resume "
                    "from its start; report one (rung.report(..., checkpoint=...)) or give the "
                    "Trainable class save() and load()",
                    key="pause",
                )
            self._record(TrialPaused(trial.trial_id, self._now()))
            self._notify("on_trial_end", trial)
        elif trial.decision is Action.FINISH:
            self._end(trial, TrialStatus.TERMINATED)
        else:
            self._end(trial, TrialStatus.STOPPED)

    def _end(
        self,
        trial: Trial,
        status: TrialStatus,
        error: str | None = None,
        traceback: str | None = None,
    ) -> None:
        """A trial ends for good: recorded, and the algorithms and callbacks told."""
        self._record(TrialEnded(trial.trial_id, self._now(), status, error, traceback))
        complete(trial, self.searcher, self.scheduler)
        self._notify("on_trial_end", trial)
        self._end_stopped_by_scheduler()
        self._check_stop_keys()

    def _check_stop_keys(self) -> None:
        """Once a trial has ended, warn about ``stop`` targets no result ever had: a typo
        that would never end the experiment."""
        if self._stop_keys_checked or not self.stop.targets:
            return
        self._stop_keys_checked = True
        seen = {key for trial in self.trials.values() for r in trial.results for key in r}
        for key in self.stop.targets:
            if key not in seen:
                self._warn(
                    f"stop={{{key!r}: ...}}: no result has reported {key!r}"
                    f"{did_you_mean(key, seen)}, so this target will never end the experiment"
                )

    def _end_stopped_by_scheduler(self) -> None:
        for trial_id in self.scheduler.take_stopped():
            trial = self.trials[trial_id]
            if trial.status is TrialStatus.RUNNING:
                # Told to pause, not yet out of its worker: it ends when it is.
                if trial.decision not in (Action.STOP, Action.FINISH):
                    self._record(DecisionMade(trial_id, self._now(), Action.STOP))
            elif trial.status in (TrialStatus.PAUSED, TrialStatus.PENDING):
                self._end(trial, TrialStatus.STOPPED)

    def _fail(self, trial: Trial, error: str, traceback: str | None, retry: bool) -> None:
        """Record a failed run: retried later, or the trial's end (and the experiment's
        too under fail_fast)."""
        retry = retry and not self.failures.fail_fast
        if retry:
            self._record(RunFailed(trial.trial_id, self._now(), error, traceback))
            self._notify("on_trial_error", trial, error, traceback)
            return
        self._record(TrialEnded(trial.trial_id, self._now(), TrialStatus.ERROR, error, traceback))
        self._notify("on_trial_error", trial, error, traceback)
        complete(trial, self.searcher, self.scheduler)
        self._notify("on_trial_end", trial)
        self._end_stopped_by_scheduler()
        if self.failures.fail_fast:
            self.stop_reason = f"trial {trial.trial_id} failed and fail_fast=True"
            raise TrialError(
                f"trial {trial.trial_id} failed: {error}\n(fail_fast=True ended the "
                "experiment; pass fail_fast=False to record failures and go on)"
            )

    def _warn(self, message: str, key: str | None = None) -> None:
        """Warn, once per ``key`` when one is given."""
        if key is not None:
            if key in self._warned:
                return
            self._warned.add(key)
        warnings.warn(message, RungWarning, stacklevel=3)

    # the log -----------------------------------------------------------------------------

    def _record(self, event: Event) -> None:
        """Append an event and apply it to its trial, in one step a Ctrl-C cannot split."""
        with critical():
            self.store.append(event)
            self._uncommitted.append(event)
            before = self.trials[event.trial_id].status if event.trial_id in self.trials else None
            trial = self.view.apply(event)
            if before is None:
                self._by_status[trial.status][trial.trial_id] = trial
            elif trial.status is not before:
                del self._by_status[before][trial.trial_id]
                self._by_status[trial.status][trial.trial_id] = trial

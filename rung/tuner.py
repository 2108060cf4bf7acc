"""Ask and tell: rung's searchers, schedulers, store and resume for a loop the user drives.

``Tuner`` is the experiment of ``rung.run`` with the user's loop in the place of workers:
an executor (``AskTellExecutor``) holds each launch until ``ask`` hands it out, and
``report`` and ``tell`` are the reports and exits a worker would send. Every decision goes
through the same driver and event log, so a tuner resumes, loads (``rung.load``) and shows
(``rung show``) as any experiment does.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rung.callbacks.base import Callback
from rung.errors import ConfigError, RungError
from rung.events import Action
from rung.executors.base import Executor
from rung.executors.resources import Slot
from rung.experiment import CLOSED
from rung.interrupts import InterruptGuard
from rung.results import Results
from rung.schedulers import Scheduler
from rung.searchers import Searcher
from rung.settings import Settings
from rung.space import Space
from rung.trainable import TrialContext
from rung.trial import Exit, Launch, Outcome, Report


class AskTellExecutor(Executor):
    """Launches wait in a queue until ``ask`` takes them; the room for launches is the
    number of ``ask`` calls waiting for a trial."""

    poll_interval_s = 0.0

    def __init__(self) -> None:
        self.wanted = 0
        self.launches: deque[Launch] = deque()

    def check_trainable(self, trainable: Any) -> None:
        """There is no trainable: the user's loop trains."""

    def plan_slots(self, resources: Mapping[str, float], max_concurrent: int | None) -> list[Slot]:
        return []

    @property
    def free_slots(self) -> int:
        return self.wanted

    def launch(self, launch: Launch) -> None:
        self.wanted -= 1
        self.launches.append(launch)

    def poll(self, timeout: float) -> None:
        """Nothing to wait for: reports arrive through ``Tuner.report`` and ``tell``."""

    def now(self) -> float:
        return time.monotonic()

    def shutdown(self, wait: bool = True) -> None:
        self.launches.clear()


@dataclass
class AskedTrial:
    """A trial handed out by ``Tuner.ask``: train ``config`` and report on it.

    Attributes:
        trial_id: the trial's id in the experiment.
        config: its configuration.
        iteration: training iterations already done (a trial resumed from a checkpoint,
            or one that copied another's under population-based training); 0 when new.
        checkpoint: the folder to resume from (read it with ``load_checkpoint``), or None.
        trial_dir: the trial's own folder, for whatever it writes.
        should_stop: set once rung has told the trial to stop (by ``report``'s answer).
    """

    trial_id: str
    config: dict[str, Any]
    iteration: int
    checkpoint: str | None
    trial_dir: str
    should_stop: bool = False
    _context: TrialContext | None = field(default=None, repr=False)

    def load_checkpoint(self) -> dict[str, Any] | Path | None:
        """The checkpoint this trial resumes from, as ``rung.get_checkpoint`` gives it."""
        from rung.checkpoint import load_checkpoint

        return load_checkpoint(self.checkpoint) if self.checkpoint else None


class Tuner:
    """Tune from a loop you control: ``ask`` for a trial, ``report`` as it trains (the
    answer says whether to go on), ``tell`` how it ended.

    ``space``, ``metric``, ``mode`` and the keywords are ``rung.run``'s and mean the same:
    the same searchers (``points_to_evaluate`` and ``warm_start`` too), schedulers, event
    log and resume. No stopping rule is needed: ``ask`` returns None once one holds
    (``num_trials``, ``time_budget_s``, ``stop``) or the searcher has nothing left, and
    otherwise whenever the loop stops asking, the experiment simply ends at ``close()``.
    Safe to use from several threads, one trial per thread. With a ``storage_path``, trials
    asked and not told when the tuner is closed (or the process dies) are asked again
    after ``resume=True``, from their last checkpoint.

    Example::

        with rung.Tuner(space, metric="loss", mode="min", scheduler="asha") as tuner:
            while (trial := tuner.ask()) is not None:
                for epoch in range(10):
                    loss = train_one_epoch(trial.config)
                    if not tuner.report(trial, loss=loss):
                        break
                tuner.tell(trial)
        print(tuner.results().best_config)
    """

    def __init__(
        self,
        space: Space | Mapping[str, Any],
        *,
        metric: str,
        mode: str,
        searcher: str | Searcher | None = None,
        scheduler: str | Scheduler | None = "fifo",
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        warm_start: Any = None,
        num_trials: int | None = None,
        time_budget_s: float | None = None,
        stop: Mapping[str, float] | None = None,
        max_iterations: int | None = None,
        max_failures: int = 0,
        seed: int | None = None,
        name: str | None = None,
        storage_path: str | os.PathLike | None = None,
        resume: bool | Literal["auto"] = False,
        checkpoint_keep: int | Mapping[str, int] | None = None,
        callbacks: Sequence[Callback] = (),
        verbose: int = 0,
    ) -> None:
        from rung.api import prepare

        arguments = locals()
        knobs = set(Settings.knobs()) & set(arguments)
        settings = Settings(**{knob: arguments[knob] for knob in knobs}, executor="inline")
        self._executor = AskTellExecutor()
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._asked: dict[str, AskedTrial] = {}
        self._results: Results | None = None
        experiment, resumed = prepare(
            None, space, settings, guard=InterruptGuard(), executor=self._executor
        )
        self._experiment = experiment
        experiment.start(resumed)

    # the loop's calls ------------------------------------------------------------------

    def ask(self, timeout: float | None = None) -> AskedTrial | None:
        """The next trial to train, or None when the experiment is over.

        A trial waiting for others (a synchronous scheduler's bracket, say) is handed out
        once the trials asked in other threads have reported enough; ``ask`` waits for
        that, up to ``timeout`` seconds (None: as long as it takes)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while True:
                self._check_open()
                experiment = self._experiment
                self._executor.wanted = 1
                try:
                    experiment.launch_waiting()
                finally:
                    self._executor.wanted = 0
                experiment.flush()
                if self._executor.launches:
                    return self._hand_out(self._executor.launches.popleft())
                if experiment.stop_reason is not None:
                    return None
                # Trials asked in other threads hold up the next one: wait for their news.
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self._changed.wait(left)
                if self._results is not None:
                    return None  # closed by another thread while this one waited

    def report(self, trial: AskedTrial, *, checkpoint: Any = None, **metrics: Any) -> bool:
        """Record one iteration's metrics; True if the trial should go on, False if rung
        stops it (then train no further and ``tell``, which may be left out).

        ``checkpoint`` is what ``rung.report`` takes: a dict to pickle or a folder to copy,
        saved now, or a function returning one, called only when needed (to pause the
        trial, to let population-based training copy it, to retry it)."""
        with self._changed:
            if trial.should_stop:
                return False
            context = self._context_of(trial)
            action = context.report(metrics, checkpoint)
            if action.leaves:
                trial.should_stop = True
                self._exit(trial, Outcome.STOPPED)
            self._experiment.flush(force=True)  # acknowledged: on disk before the answer
            self._changed.notify_all()
            return not action.leaves

    def tell(
        self,
        trial: AskedTrial,
        result: Mapping[str, Any] | None = None,
        *,
        error: BaseException | str | None = None,
    ) -> None:
        """The trial ended: ``result`` is its final metrics when it did not report them
        with ``report``; ``error`` says it failed (it is retried up to ``max_failures``)."""
        with self._changed:
            if trial.should_stop:
                return  # rung already ended it
            context = self._context_of(trial)
            if error is not None:
                message = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
                self._exit(trial, Outcome.FAILED, message)
            else:
                if result is not None:
                    context.final = True
                    context.report(dict(result))
                self._exit(trial, Outcome.FINISHED)
            trial.should_stop = True
            self._changed.notify_all()

    # the experiment ------------------------------------------------------------------------

    def results(self) -> Results:
        """The results so far (or final, once closed)."""
        with self._lock:
            return self._results or self._experiment.results()

    @property
    def path(self) -> str:
        """The experiment's folder."""
        return self._experiment.path

    def close(self) -> Results:
        """End the experiment: trials still asked are kept to resume (``resume=True``)."""
        with self._changed:
            if self._results is None:
                experiment = self._experiment
                if experiment.stop_reason is None:
                    experiment.stop_reason = CLOSED
                self._results = experiment.finish()
                self._changed.notify_all()
            return self._results

    def __enter__(self) -> Tuner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # helpers -------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._results is not None:
            raise RungError("this Tuner is closed; open it again with resume=True to go on")

    def _hand_out(self, launch: Launch) -> AskedTrial:
        experiment = self._experiment
        trial = AskedTrial(
            launch.trial_id, launch.config, launch.iteration, launch.checkpoint, launch.trial_dir
        )

        def send(metrics: dict[str, Any], checkpoint: str | None, final: bool = False) -> Action:
            return experiment.on_report(Report(trial.trial_id, metrics, checkpoint))

        def saved(path: str) -> None:
            experiment.on_checkpoint(trial.trial_id, path)

        trial._context = TrialContext.of(launch, send, saved)
        self._asked[trial.trial_id] = trial
        return trial

    def _context_of(self, trial: AskedTrial) -> TrialContext:
        self._check_open()
        if self._asked.get(trial.trial_id) is not trial or trial._context is None:
            raise ConfigError(
                f"trial {trial.trial_id} was not handed out by this tuner's ask() (or by "
                "this tuner before a resume)"
            )
        return trial._context

    def _exit(self, trial: AskedTrial, outcome: Outcome, error: str | None = None) -> None:
        """The run is over: the driver carries out its decision, retries or ends it."""
        context = self._context_of(trial)
        del self._asked[trial.trial_id]
        self._experiment.on_exit(
            Exit(trial.trial_id, outcome, error=error, checkpoint=context.last_checkpoint)
        )
        self._experiment.flush(force=True)

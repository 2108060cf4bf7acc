"""Trainables: the user's code, as a function that calls ``rung.report`` or as a class.

The same runner serves every executor: it runs one trial of the trainable and hands each
report to a ``send`` function that returns the driver's decision; the executor decides how
that message travels (a direct call, a pipe, a Ray actor).
"""

from __future__ import annotations

import contextlib
import inspect
import os
import threading
import traceback
import warnings
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import cloudpickle

from rung.checkpoint import DICT_FILE, load_checkpoint, save_checkpoint, written_whole
from rung.errors import ConfigError, RungError, RungWarning
from rung.output_capture import OutputCapture
from rung.trial import Action, Exit, Launch, Outcome


class StopTrial(BaseException):
    """Raised by ``rung.report`` when the trial is to end; derived from BaseException so
    that ``except Exception`` in user code does not swallow it."""


class Trainable:
    """The class API: rung calls ``setup`` once, then ``step`` until told to stop.

    Subclasses implement ``step`` and, to be paused, resumed or retried, ``save`` and
    ``load``. ``reset`` lets a worker reuse the object (and the data it loaded) for a new
    configuration: return True when done in place. ``self.config`` holds the trial's
    configuration. A step that returns ``{..., "done": True}`` ends its trial as finished.

    A class written for Ray Tune works as it is: its ``save_checkpoint(checkpoint_dir)``
    (returning a dict, or None having written files), ``load_checkpoint(dict_or_dir)`` and
    ``reset_config(config)`` stand in for ``save``, ``load`` and ``reset``.
    """

    config: dict[str, Any]

    def setup(self, config: dict[str, Any]) -> None:
        """Build the model and load data for ``config``."""

    def step(self) -> dict[str, Any]:
        """Train for one iteration (an epoch, say) and return its metrics."""
        raise NotImplementedError(f"{type(self).__name__} must implement step()")

    def save(self, checkpoint_dir: str) -> None:
        """Write the state needed to continue into ``checkpoint_dir`` (which exists)."""
        ray_style = getattr(self, "save_checkpoint", None)
        if ray_style is None:
            raise NotImplementedError(f"{type(self).__name__} must implement save() to be paused")
        state = ray_style(checkpoint_dir)
        if state is not None:
            with open(Path(checkpoint_dir) / DICT_FILE, "wb") as file:
                cloudpickle.dump(dict(state), file)

    def load(self, checkpoint_dir: str) -> None:
        """Restore the state ``save`` wrote."""
        ray_style = getattr(self, "load_checkpoint", None)
        if ray_style is None:
            raise NotImplementedError(f"{type(self).__name__} must implement load() to be resumed")
        ray_style(load_checkpoint(checkpoint_dir))

    def reset(self, config: dict[str, Any]) -> bool:
        """Reconfigure in place for a new trial; False (the default) builds a new object."""
        ray_style = getattr(self, "reset_config", None)
        return bool(ray_style(config)) if ray_style is not None else False

    def cleanup(self) -> None:
        """Release resources when the object is discarded."""


class SendReport(Protocol):
    """Passes a report to the driver and returns its decision. A ``final`` report (the
    dict a function trainable returns) needs no answer: the trial ends after it either
    way, and the driver carries out its decision when the run's exit arrives."""

    def __call__(
        self, metrics: dict[str, Any], checkpoint: str | None, final: bool = False
    ) -> Action: ...


SendCheckpoint = Callable[[str], None]
# Asks the driver for a define-by-run parameter: its name and domain, answered with a value.
AskParameter = Callable[[str, Any], Any]


@dataclass
class TrialContext:
    """What one run of a trial knows about itself inside the trainable.

    ``lock`` serializes reports: a trainable may report from several threads, and each
    report is one exchange with the driver.
    """

    trial_id: str
    trial_dir: str
    checkpoint: str | None
    send: SendReport
    saved: SendCheckpoint
    iteration: int = 0
    run: int = 1
    last_checkpoint: str | None = None
    final: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    ask: AskParameter | None = None

    @classmethod
    def of(
        cls,
        launch: Launch,
        send: SendReport,
        saved: SendCheckpoint,
        ask: AskParameter | None = None,
    ) -> TrialContext:
        """The context of one launched run."""
        return cls(
            launch.trial_id,
            launch.trial_dir,
            launch.checkpoint,
            send,
            saved,
            launch.iteration,
            launch.run,
            ask=ask,
        )

    def checkpoint_dir(self) -> Path:
        """A folder for the checkpoint after the current iteration: ``ckpt_000012``, with
        the run number after the first run (``ckpt_000012_run2``), since a restarted or
        exploited trial counts iterations again from its checkpoint's."""
        suffix = "" if self.run <= 1 else f"_run{self.run}"
        return Path(self.trial_dir) / "checkpoints" / f"ckpt_{self.iteration:06d}{suffix}"

    def save(self, checkpoint: Any) -> str:
        """Write a checkpoint for the current iteration; returns its folder."""
        self.last_checkpoint = save_checkpoint(checkpoint, self.checkpoint_dir())
        return self.last_checkpoint

    def report(self, metrics: dict[str, Any], checkpoint: Any = None) -> Action:
        """One iteration's report, with its checkpoint saved now or, lazy (a function),
        only when the driver's decision needs it; returns the decision."""
        with self.lock:
            self.iteration += 1
            lazy = callable(checkpoint)
            path = None
            if checkpoint is not None and not lazy:
                path = self.save(checkpoint)
            action = self.send(metrics, path, final=self.final and path is None)
            if lazy and action in (Action.SAVE, Action.PAUSE):
                path = self.save(checkpoint())
                if action is Action.SAVE:
                    self.saved(path)
        return action

    def ensure_dir(self) -> Path:
        path = Path(self.trial_dir)
        path.mkdir(parents=True, exist_ok=True)
        return path


def _remove_if_empty(folder: str) -> None:
    """Remove a trial's folder that it left empty (it ran there, and kept nothing): 100,000
    trials that save nothing leave no folders behind."""
    with contextlib.suppress(OSError):
        os.rmdir(folder)


_context: TrialContext | None = None
# Threads a trial started that outlived it, with that trial's id: what they report is not
# the next trial's, whichever runs in this process by then.
_outlived: weakref.WeakKeyDictionary[threading.Thread, str] = weakref.WeakKeyDictionary()


def _outlived_trial() -> str | None:
    """The trial that started this thread and has ended, if it is such a thread."""
    return _outlived.get(threading.current_thread())


def _current() -> TrialContext:
    owner = _outlived_trial()
    if owner is not None:
        raise RungError(
            f"this thread was started by trial {owner}, which has ended; a thread that "
            "outlives its trial cannot act for it (join your threads before the trainable "
            "returns)"
        )
    if _context is None:
        raise RungError(
            "rung.report() and rung.get_checkpoint() work only inside a trainable that "
            "rung.run(...) runs"
        )
    return _context


def report(
    metrics: Mapping[str, Any] | None = None, /, *, checkpoint: Any = None, **kwargs: Any
) -> None:
    """Report this iteration's metrics, e.g. ``rung.report(epoch=e, val_loss=v)``.

    Returns when the trial may continue; when the scheduler stops it, raises ``StopTrial``,
    which ends the trainable cleanly.

    Args:
        metrics: a dict of metrics, as an alternative to keyword arguments.
        checkpoint: what the trial can resume from (``rung.get_checkpoint()``): a dict to
            pickle or a directory to copy, saved now; or a function returning one, called
            only when the scheduler will need a checkpoint (to pause the trial, to let
            population-based training copy it, to retry it), which keeps saving off the
            path of trials that never need it.
    """
    owner = _outlived_trial()
    if owner is not None:
        warnings.warn(
            f"a thread that trial {owner} started reported {sorted({**(metrics or {}), **kwargs})}"
            f" after that trial ended; the report is dropped (join your threads before the "
            "trainable returns)",
            RungWarning,
            stacklevel=2,
        )
        return
    action = _current().report({**(metrics or {}), **kwargs}, checkpoint)
    if action.leaves:
        raise StopTrial(action)


def ask_parameter(name: str, domain: Any) -> Any:
    """The value of parameter ``name`` from ``domain`` for this trial, answered by the
    driver's searcher (a round trip, as a report is): what a define-by-run objective's
    ``trial.suggest_*`` calls."""
    context = _current()
    if context.ask is None:
        raise RungError(
            f"trial {context.trial_id} asked for parameter {name!r}, and its executor answers "
            "no questions: define-by-run objectives run on executor='inline' or 'process'"
        )
    with context.lock:
        return context.ask(name, domain)


def get_checkpoint() -> dict[str, Any] | Path | None:
    """The checkpoint this trial resumes from (a dict or a directory), or None."""
    context = _current()
    if not context.checkpoint:
        return None
    if not os.path.isdir(context.checkpoint):
        raise RungError(
            f"trial {context.trial_id}: its checkpoint {context.checkpoint} is not on disk "
            "(deleted, or on a file system this worker does not see)"
        )
    return load_checkpoint(context.checkpoint)


def get_trial_dir() -> Path:
    """This trial's own folder, created on first use; trials in worker processes also run
    with it as their current directory."""
    return _current().ensure_dir()


def get_trial_id() -> str:
    """This trial's id."""
    return _current().trial_id


def check_trainable(trainable: Any) -> None:
    """Refuse, before any trial starts, what rung cannot run as a trainable."""
    if inspect.isclass(trainable):
        if not issubclass(trainable, Trainable):
            raise ConfigError(
                f"trainable class {trainable.__name__} must subclass rung.Trainable "
                "(setup / step / save / load / reset)"
            )
        return
    if not callable(trainable):
        raise ConfigError(
            f"trainable must be a function or a rung.Trainable class, got {trainable!r}"
        )
    try:
        inspect.signature(trainable).bind({})
    except TypeError:
        raise ConfigError(
            f"trainable {getattr(trainable, '__name__', trainable)!r} must take one argument, "
            "the config dict: def train(config): ..."
        ) from None
    except ValueError:
        pass


class TrialRunner:
    """Runs trials of one trainable in this process, keeping a class trainable for reuse.

    Args:
        trainable: the user's function or ``Trainable`` class.
        chdir: run each trial inside its own folder. Worker processes do; the inline
            executor does not, since the current directory belongs to the user's session.
        interrupt_fails_trial: a KeyboardInterrupt the trainable raises fails its trial,
            with its traceback (in a worker process, where no Ctrl-C reaches); otherwise it
            propagates (inline, where it is the user's Ctrl-C).
    """

    def __init__(
        self, trainable: Any, chdir: bool = True, interrupt_fails_trial: bool = False
    ) -> None:
        self.trainable = trainable
        self.chdir = chdir
        self.interrupt_fails_trial = interrupt_fails_trial
        self._instance: Trainable | None = None
        self._capture = OutputCapture()

    def run(
        self,
        launch: Launch,
        send: SendReport,
        saved: SendCheckpoint,
        ask: AskParameter | None = None,
    ) -> Exit:
        """Run one trial to its end and say how it ended.

        Args:
            launch: which trial, with what, from where.
            send: passes a report to the driver and returns its decision.
            saved: tells the driver of a checkpoint saved on its request.
            ask: answers a define-by-run objective's request for a parameter (None: the
                executor answers none).
        """
        global _context
        trial_id, config = launch.trial_id, launch.config
        capture = launch.capture_output and self.chdir
        if capture:
            send = self._collecting(send)
        context = TrialContext.of(launch, send, saved, ask)
        previous_dir = os.getcwd() if self.chdir else None
        # A trainable may run an experiment of its own (inline): its trials have their own
        # context, and this one comes back when they end.
        outer, _context = _context, context
        threads_before = set(threading.enumerate())
        failures: tuple[type[BaseException], ...] = (Exception, SystemExit)
        if self.interrupt_fails_trial:
            failures = (*failures, KeyboardInterrupt)
        try:
            if previous_dir is not None:
                os.chdir(context.ensure_dir())
            output = self._capture.trial(Path(launch.trial_dir)) if capture else None
            with output or contextlib.nullcontext():
                if inspect.isclass(self.trainable):
                    return self._run_class(context, config)
                return self._run_function(context, config)
        except StopTrial:
            return Exit(trial_id, Outcome.STOPPED, checkpoint=context.last_checkpoint)
        except failures as exc:
            self._discard_instance()
            return Exit(
                trial_id,
                Outcome.FAILED,
                error=f"{type(exc).__name__}: {exc}",
                traceback=traceback.format_exc(),
                checkpoint=context.last_checkpoint,
            )
        finally:
            _context = outer
            for thread in threading.enumerate():
                if thread not in threads_before:
                    _outlived.setdefault(thread, trial_id)
            if previous_dir is not None:
                os.chdir(previous_dir)
                _remove_if_empty(launch.trial_dir)

    def _collecting(self, send: SendReport) -> SendReport:
        """``send``, with the trial's output handed to its logs before each report."""

        def collect_then_send(
            metrics: dict[str, Any], checkpoint: str | None, final: bool = False
        ) -> Action:
            self._capture.collect()
            return send(metrics, checkpoint, final)

        return collect_then_send

    def _run_function(self, context: TrialContext, config: dict[str, Any]) -> Exit:
        returned = self.trainable(config)
        if returned is not None:
            if not isinstance(returned, Mapping):
                raise RungError(
                    f"the trainable returned {type(returned).__name__}; return a dict of "
                    "metrics or None"
                )
            context.final = True
            report(returned)
        return Exit(context.trial_id, Outcome.FINISHED, checkpoint=context.last_checkpoint)

    def _run_class(self, context: TrialContext, config: dict[str, Any]) -> Exit:
        instance = self._instance
        if instance is not None:
            instance.config = config
        if instance is None or not instance.reset(config):
            self._discard_instance()
            instance = self.trainable()
            instance.config = config
            instance.setup(config)
            self._instance = instance
        if context.checkpoint:
            instance.load(context.checkpoint)
        while True:
            metrics = instance.step()
            if not isinstance(metrics, Mapping):
                raise RungError(f"{type(instance).__name__}.step() must return a dict of metrics")
            context.iteration += 1
            action = context.send(dict(metrics), None)
            if action is Action.SAVE:
                context.saved(self._save(instance, context))
            elif action is Action.PAUSE:
                return Exit(
                    context.trial_id, Outcome.STOPPED, checkpoint=self._save(instance, context)
                )
            elif action is Action.STOP:
                return Exit(context.trial_id, Outcome.STOPPED, checkpoint=context.last_checkpoint)

    def _save(self, instance: Trainable, context: TrialContext) -> str:
        """Have a class trainable save itself into a fresh checkpoint folder (written under a
        temporary name and renamed, so a crash never leaves half a checkpoint)."""
        path = context.checkpoint_dir()
        with written_whole(path) as partial:
            partial.mkdir(parents=True)
            instance.save(str(partial))
        context.last_checkpoint = str(path)
        return str(path)

    def _discard_instance(self) -> None:
        if self._instance is not None:
            try:
                self._instance.cleanup()
            finally:
                self._instance = None

"""The executor contract: run trials somewhere and pass their events to the driver."""

from __future__ import annotations

import shutil
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from rung.executors.resources import Slot, plan_slots
from rung.trainable import check_trainable
from rung.trial import Action, Exit, Launch, Report


class EventHandler(Protocol):
    """The driver, as executors see it: it answers reports and hears about exits."""

    def on_report(self, report: Report) -> Action:
        """Record a result and say whether the trial continues."""

    def on_checkpoint(self, trial_id: str, path: str) -> None:
        """Record a checkpoint a running trial saved on request."""

    def on_ask(self, trial_id: str, name: str, domain: Any) -> Any:
        """Answer a define-by-run objective's request for a parameter, and record it."""

    def on_exit(self, exit: Exit) -> None:
        """Record the end of one run of a trial."""

    def on_run_begun(self, trial_id: str) -> None:
        """A launched run's code started only now (its worker was still starting): its
        time counts from here."""


class Executor(ABC):
    """Runs trials on slots; knows trainables and events, nothing about algorithms."""

    # The longest the driver waits in one poll, so that it checks its time budget between
    # events; a simulated clock can jump straight to the next event.
    poll_interval_s: float = 0.5

    # Set by the experiment when no decision waits on results (a searcher that is not
    # adaptive, a scheduler that never stops or pauses): an executor may then hand a busy
    # slot its next trial, to start the moment the slot's trial ends. The Ray executor does,
    # where a round trip to the driver costs milliseconds; the others ignore it.
    stage_ahead: bool = False

    # Whether ``trial_timeout_s`` can be enforced (a trial can be killed).
    supports_timeout: bool = False

    # Whether a running trial can ask the driver for parameters (define-by-run objectives).
    answers_asks: bool = False

    # Whether checkpoints are folders in the experiment's ``trials/`` (the driver records
    # them relative to it, and deletes nothing outside it); a simulated one is a mark.
    checkpoints_are_folders: bool = True

    def start(
        self,
        trainable: Any,
        handler: EventHandler,
        slots: list[Slot],
        trial_timeout_s: float | None = None,
        elapsed_s: float = 0.0,
    ) -> None:
        """Prepare to run ``trainable`` on ``slots``, reporting to ``handler``.

        ``elapsed_s`` is the experiment time already spent (a resumed experiment): a
        simulated clock continues from it, a real one ignores it.
        """
        self.trainable = trainable
        self.handler = handler
        self.slots = slots
        self.trial_timeout_s = trial_timeout_s

    def check_trainable(self, trainable: Any) -> None:
        """Refuse, before any trial starts, a trainable this executor cannot run."""
        check_trainable(trainable)

    def plan_slots(self, resources: Mapping[str, float], max_concurrent: int | None) -> list[Slot]:
        """The slots trials of this size fill (by default, this machine's CPUs and GPUs)."""
        return plan_slots(resources, max_concurrent)

    @property
    @abstractmethod
    def free_slots(self) -> int:
        """How many more trials can start now."""

    @property
    def staged(self) -> frozenset[str]:
        """The trials handed to a busy slot (``stage_ahead``) that have not begun."""
        return frozenset()

    @abstractmethod
    def launch(self, launch: Launch) -> None:
        """Start one run of a trial (from its checkpoint when it has one)."""

    @abstractmethod
    def poll(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for events and pass them to the handler."""

    @abstractmethod
    def now(self) -> float:
        """The executor's clock, in seconds; simulated executors keep their own."""

    @abstractmethod
    def shutdown(self, wait: bool = True) -> None:
        """Stop every running trial at once and release the workers; ``wait=False`` does
        not wait for idle workers to exit either. Safe to call again, and after a start
        that was cut short."""

    def checkpoint_exists(self, checkpoint: str) -> bool:
        """Whether a recorded checkpoint can still be resumed from."""
        return Path(checkpoint).is_dir()

    def delete_checkpoint(self, checkpoint: str) -> None:
        """Remove a checkpoint the experiment let go (its deletion is already recorded)."""
        shutil.rmtree(checkpoint, ignore_errors=True)

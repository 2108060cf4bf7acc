"""The inline executor: trials run one after another in the driver's own thread.

Slow to scale and unable to enforce timeouts, but a breakpoint in the trainable just works.
Trials run in the caller's current directory; ``rung.get_trial_dir()`` gives each its own.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from rung.errors import ConfigError
from rung.executors.base import EventHandler, Executor
from rung.executors.resources import Slot
from rung.trainable import TrialRunner
from rung.trial import Action, Launch, Report


class _DriverError(BaseException):
    """Carries an error the driver raised while answering a report out through the user's
    code (a BaseException, so the runner's ``except Exception`` does not take it for a
    failure of the trial)."""

    def __init__(self, error: Exception) -> None:
        self.error = error


class InlineExecutor(Executor):
    """Runs each launched trial to its end inside ``poll``."""

    answers_asks = True

    def __init__(self) -> None:
        self._queue: deque[Launch] = deque()

    def start(
        self,
        trainable: Any,
        handler: EventHandler,
        slots: list[Slot],
        trial_timeout_s: float | None = None,
        elapsed_s: float = 0.0,
    ) -> None:
        super().start(trainable, handler, slots[:1], trial_timeout_s)
        self._runner = TrialRunner(trainable, chdir=False)
        self._queue.clear()

    @property
    def free_slots(self) -> int:
        return 0 if self._queue else 1

    def launch(self, launch: Launch) -> None:
        self._queue.append(launch)

    def poll(self, timeout: float) -> None:
        if not self._queue:
            return
        launch = self._queue.popleft()
        trial_id = launch.trial_id

        def send(metrics: dict[str, Any], checkpoint: str | None, final: bool = False) -> Action:
            try:
                return self.handler.on_report(Report(trial_id, metrics, checkpoint))
            except Exception as error:
                raise _DriverError(error) from error

        def saved(path: str) -> None:
            self.handler.on_checkpoint(trial_id, path)

        def ask(name: str, domain: Any) -> Any:
            try:
                return self.handler.on_ask(trial_id, name, domain)
            except ConfigError:
                raise  # a contradicting ask fails its trial, named
            except Exception as error:
                raise _DriverError(error) from error

        try:
            exit = self._runner.run(launch, send, saved, ask)
        except _DriverError as wrapped:
            raise wrapped.error from None
        self.handler.on_exit(exit)

    def now(self) -> float:
        return time.monotonic()

    def shutdown(self, wait: bool = True) -> None:
        self._queue.clear()

"""The inline executor: trials run one after another in the driver's own thread.

Slow to scale and unable to enforce timeouts, but a breakpoint in the trainable just works.
Trials run in the caller's current directory; ``rung.get_trial_dir()`` gives each its own.
"""

from __future__ import annotations

import time
from collections import deque

from rung.executors.base import Executor
from rung.trainable import TrialRunner
from rung.trial import Launch, Report


class _DriverError(BaseException):
    """Carries an error the driver raised while answering a report out through the user's
    code (a BaseException, so the runner's ``except Exception`` does not take it for a
    failure of the trial)."""

    def __init__(self, error: Exception) -> None:
        self.error = error


class InlineExecutor(Executor):
    """Runs each launched trial to its end inside ``poll``."""

    supports_timeout = False

    def start(self, trainable, handler, slots, trial_timeout_s=None) -> None:
        super().start(trainable, handler, slots[:1], trial_timeout_s)
        self._runner = TrialRunner(trainable, chdir=False)
        self._queue: deque[Launch] = deque()

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

        def send(metrics, checkpoint_path):
            try:
                return self.handler.on_report(Report(trial_id, metrics, checkpoint_path))
            except Exception as error:
                raise _DriverError(error) from error

        def saved(path):
            self.handler.on_checkpoint(trial_id, path)

        try:
            exit = self._runner.run(launch, send, saved)
        except _DriverError as wrapped:
            raise wrapped.error from None
        self.handler.on_exit(exit)

    def now(self) -> float:
        return time.monotonic()

    def shutdown(self) -> None:
        self._queue.clear()

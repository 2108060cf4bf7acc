"""The simulated executor: trials that declare their own cost, on a virtual clock.

A simulated trainable is ``step(config, iteration) -> (metrics, cost_s)`` (or None once the
trial has no more steps): the metrics of its ``iteration``-th report (1-based) and the
seconds that step took. The executor keeps N virtual workers busy and jumps the clock from
one report to the next, so an experiment of thousands of trials on hundreds of workers runs
in seconds, deterministically. It is how rung's schedulers are tested, and how a user asks
"what would this strategy do on 64 GPUs?".

A checkpoint is the iteration a trial reached: resuming from it continues the same curve,
and population-based training's exploit continues the new configuration's curve from there.
Trials checkpoint when the driver asks, and with ``checkpoint_every=k`` also every k
iterations, as a trainable that saves every k epochs would; a resumed experiment's clock
continues from where its log left off, so a run killed and resumed can be compared with an
unbroken one.
"""

from __future__ import annotations

import heapq
import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rung.errors import ConfigError
from rung.executors.base import EventHandler, Executor
from rung.executors.resources import Slot
from rung.trial import Action, Exit, Launch, Outcome, Report

SimulatedStep = Callable[[dict[str, Any], int], "tuple[Mapping[str, Any], float] | None"]

_CHECKPOINT_PREFIX = "simulated-iteration:"


def checkpoint_iteration(checkpoint: str | None) -> int:
    """The iteration a simulated checkpoint holds (0 for none)."""
    if not checkpoint:
        return 0
    return int(checkpoint.removeprefix(_CHECKPOINT_PREFIX))


@dataclass
class _Run:
    trial_id: str
    config: dict[str, Any]
    iteration: int
    started: float
    metrics: Mapping[str, Any] | None = None


class SimulatedExecutor(Executor):
    """Runs simulated trainables on ``num_workers`` virtual workers.

    Args:
        num_workers: virtual workers (each runs one trial at a time).
        checkpoint_every: trials also checkpoint every this many iterations (None: only
            when the driver asks).
    """

    supports_timeout = True
    poll_interval_s = math.inf
    checkpoints_are_folders = False

    def __init__(self, num_workers: int = 4, checkpoint_every: int | None = None) -> None:
        if not isinstance(num_workers, int) or num_workers < 1:
            raise ConfigError(f"SimulatedExecutor(num_workers={num_workers!r}): must be >= 1")
        if checkpoint_every is not None and (
            not isinstance(checkpoint_every, int) or checkpoint_every < 1
        ):
            raise ConfigError(
                f"SimulatedExecutor(checkpoint_every={checkpoint_every!r}): must be >= 1 or None"
            )
        self.num_workers = num_workers
        self.checkpoint_every = checkpoint_every
        self._events: list[tuple[float, int, _Run]] = []
        self._running: dict[str, _Run] = {}

    def plan_slots(self, resources: Mapping[str, float], max_concurrent: int | None) -> list[Slot]:
        count = (
            self.num_workers if max_concurrent is None else min(max_concurrent, self.num_workers)
        )
        return [Slot() for _ in range(count)]

    def check_trainable(self, trainable: Any) -> None:
        try:
            inspect.signature(trainable).bind({}, 1)
        except TypeError:
            raise ConfigError(
                f"the simulated executor runs step(config, iteration) -> (metrics, cost_s) "
                f"functions; {getattr(trainable, '__name__', trainable)!r} is not one"
            ) from None

    def start(
        self,
        trainable: Any,
        handler: EventHandler,
        slots: list[Slot],
        trial_timeout_s: float | None = None,
        elapsed_s: float = 0.0,
    ) -> None:
        super().start(trainable, handler, slots, trial_timeout_s)
        self._clock = elapsed_s
        self._events = []
        self._sequence = 0
        self._running = {}

    @property
    def free_slots(self) -> int:
        return len(self.slots) - len(self._running)

    def now(self) -> float:
        return self._clock

    def launch(self, launch: Launch) -> None:
        run = _Run(
            launch.trial_id, launch.config, checkpoint_iteration(launch.checkpoint), self._clock
        )
        self._running[launch.trial_id] = run
        self._schedule_step(run)

    def _schedule_step(self, run: _Run) -> None:
        step = self.trainable(run.config, run.iteration + 1)
        if step is None:
            self._finish(run, Outcome.FINISHED)
            return
        metrics, cost = step
        run.metrics = metrics
        finish_time = self._clock + max(0.0, float(cost))
        if self.trial_timeout_s is not None:
            finish_time = min(finish_time, run.started + self.trial_timeout_s + 1e-9)
        self._sequence += 1
        heapq.heappush(self._events, (finish_time, self._sequence, run))

    def poll(self, timeout: float) -> None:
        """Advance the clock to the next report (at most ``timeout`` seconds) and handle it."""
        if not self._events:
            return
        when, _, run = self._events[0]
        if when > self._clock + timeout:
            self._clock += timeout
            return
        heapq.heappop(self._events)
        self._clock = when
        if self.trial_timeout_s is not None and when - run.started > self.trial_timeout_s:
            self._finish(
                run,
                Outcome.FAILED,
                f"timed out after {when - run.started:.1f} simulated s "
                f"(trial_timeout_s={self.trial_timeout_s})",
            )
            return
        run.iteration += 1
        checkpoint = _CHECKPOINT_PREFIX + str(run.iteration)
        every = self.checkpoint_every
        reported = checkpoint if every is not None and run.iteration % every == 0 else None
        action = self.handler.on_report(Report(run.trial_id, dict(run.metrics or {}), reported))
        if action is Action.SAVE and reported is None:
            self.handler.on_checkpoint(run.trial_id, checkpoint)
        if action is Action.CONTINUE or action is Action.SAVE:
            self._schedule_step(run)
        elif action is Action.PAUSE:
            self._finish(run, Outcome.STOPPED, checkpoint=_CHECKPOINT_PREFIX + str(run.iteration))
        else:
            self._finish(run, Outcome.STOPPED)

    def _finish(
        self, run: _Run, outcome: Outcome, error: str | None = None, checkpoint: str | None = None
    ) -> None:
        del self._running[run.trial_id]
        self.handler.on_exit(Exit(run.trial_id, outcome, error=error, checkpoint=checkpoint))

    def shutdown(self, wait: bool = True) -> None:
        self._events.clear()
        self._running.clear()

    def checkpoint_exists(self, checkpoint: str) -> bool:
        return checkpoint.startswith(_CHECKPOINT_PREFIX)

    def delete_checkpoint(self, checkpoint: str) -> None:
        """Nothing to delete: a simulated checkpoint is a number."""

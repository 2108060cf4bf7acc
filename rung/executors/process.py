"""The process executor: long-lived worker processes, one per slot, reused across trials.

Workers start with the ``spawn`` method (safe with CUDA) and keep their slot's GPUs
(``CUDA_VISIBLE_DEVICES``) for life, since CUDA reads that variable once per process. A
worker that dies (an exception in C code, a segfault, the OOM killer) or runs past the trial
timeout is replaced by a fresh one on the same slot.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import pickle
import selectors
import signal
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import cloudpickle

from rung.errors import ConfigError
from rung.executors.base import Executor
from rung.executors.resources import Slot
from rung.executors.worker import ACTION_BYTES, dumps, worker_main
from rung.trial import Exit, Launch, Outcome, Report


@dataclass
class _Worker:
    slot: Slot
    process: BaseProcess
    conn: Connection
    trial_id: str | None = None
    started: float = 0.0
    ready: bool = False


def serialize_trainable(trainable: Any) -> bytes:
    """The trainable as bytes a worker can load, or a ConfigError saying why it cannot be."""
    try:
        payload = cloudpickle.dumps(trainable)
        cloudpickle.loads(payload)
    except Exception as exc:
        raise ConfigError(
            f"the trainable cannot be sent to worker processes ({type(exc).__name__}: {exc}); "
            "it likely holds an open file, lock or connection: create those inside the "
            "trainable, or run with executor='inline'"
        ) from exc
    return payload


def describe_death(exitcode: int | None) -> str:
    """Words for how a worker process ended."""
    if exitcode is None:
        return "worker died (no exit code)"
    if exitcode < 0:
        name = signal.Signals(-exitcode).name
        hint = " (killed by the OOM killer, or by hand)" if -exitcode == signal.SIGKILL else ""
        return f"worker died (signal {-exitcode}, {name}){hint}"
    return f"worker exited with code {exitcode}"


class ProcessExecutor(Executor):
    """Runs trials in worker processes on this machine.

    Args:
        start_method: ``"spawn"`` (default, safe with CUDA) or ``"forkserver"``.
    """

    supports_timeout = True

    def __init__(self, start_method: str = "spawn") -> None:
        if start_method not in ("spawn", "forkserver"):
            raise ConfigError(
                f"start_method={start_method!r}: use 'spawn' or 'forkserver' ('fork' is not "
                "safe once CUDA or threads are initialized)"
            )
        self.start_method = start_method

    def start(self, trainable, handler, slots, trial_timeout_s=None) -> None:
        super().start(trainable, handler, slots, trial_timeout_s)
        self._context = mp.get_context(self.start_method)
        self._payload = serialize_trainable(trainable)
        self._selector = selectors.DefaultSelector()
        self._workers = [self._spawn(slot) for slot in slots]

    def _spawn(self, slot: Slot) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=worker_main,
            args=(child, self._payload, slot.environment()),
            daemon=True,
            name="rung-worker",
        )
        process.start()
        child.close()
        worker = _Worker(slot, process, parent)
        self._selector.register(parent, selectors.EVENT_READ, worker)
        return worker

    @property
    def free_slots(self) -> int:
        return sum(w.trial_id is None for w in self._workers)

    def launch(self, launch: Launch) -> None:
        worker = next(w for w in self._workers if w.trial_id is None)
        worker.trial_id = launch.trial_id
        worker.started = time.monotonic() if worker.ready else math.inf
        worker.conn.send_bytes(dumps(launch))

    def now(self) -> float:
        return time.monotonic()

    def poll(self, timeout: float) -> None:
        busy = [w for w in self._workers if w.trial_id is not None]
        if not busy:
            return
        if self.trial_timeout_s is not None:
            next_deadline = min(w.started for w in busy) + self.trial_timeout_s
            timeout = max(0.0, min(timeout, next_deadline - time.monotonic()))
        for key, _ in self._selector.select(timeout):
            self._receive(key.data)
        if self.trial_timeout_s is not None:
            self._enforce_timeout()

    def _receive(self, worker: _Worker) -> None:
        """Handle one message from a worker, answering a report at once."""
        try:
            kind, *body = pickle.loads(worker.conn.recv_bytes())
        except (EOFError, OSError):
            death = describe_death(self._reap(worker))
            if not worker.ready:
                raise ConfigError(
                    f"a worker process could not start ({death}). If the script that calls "
                    "rung.run does so at import time, put that call under "
                    "`if __name__ == '__main__':`; worker processes import the main module "
                    "again and must not start an experiment of their own."
                ) from None
            self._replace(worker, death)
            return
        if kind == "fatal":
            raise ConfigError(
                f"the trainable could not be loaded in a worker process:\n{body[0]}\n"
                "Is it defined in a module the workers can import (run from the same "
                "directory, with the same environment)?"
            )
        if kind == "ready":
            # A trial's time limit counts from when its worker could start it.
            worker.ready = True
            if worker.trial_id is not None:
                worker.started = time.monotonic()
            return
        if worker.trial_id is None:
            return
        if kind == "report":
            action = self.handler.on_report(Report(worker.trial_id, body[0], body[1]))
            worker.conn.send_bytes(ACTION_BYTES[action])
        elif kind == "checkpoint":
            self.handler.on_checkpoint(worker.trial_id, body[0])
        else:
            worker.trial_id = None
            self.handler.on_exit(body[0])

    def _reap(self, worker: _Worker) -> int | None:
        worker.process.join(timeout=10)
        return worker.process.exitcode

    def _replace(self, worker: _Worker, error: str) -> None:
        """Swap a dead or killed worker for a fresh one and fail the trial it held."""
        trial_id = worker.trial_id
        self._selector.unregister(worker.conn)
        worker.conn.close()
        fresh = self._spawn(worker.slot)
        self._workers[self._workers.index(worker)] = fresh
        if trial_id is not None:
            self.handler.on_exit(Exit(trial_id, Outcome.FAILED, error=error))

    def _enforce_timeout(self) -> None:
        now = time.monotonic()
        for worker in list(self._workers):
            if worker.trial_id is not None and now - worker.started > self.trial_timeout_s:
                worker.process.kill()
                self._reap(worker)
                self._replace(
                    worker,
                    f"timed out after {now - worker.started:.1f} s "
                    f"(trial_timeout_s={self.trial_timeout_s}); its worker was killed",
                )

    def shutdown(self) -> None:
        for worker in self._workers:
            if worker.trial_id is not None:
                worker.process.kill()
            else:
                try:
                    worker.conn.send_bytes(dumps(None))
                except OSError:
                    worker.process.kill()
        deadline = time.monotonic() + 5
        for worker in self._workers:
            worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
        self._workers = []
        self._selector.close()

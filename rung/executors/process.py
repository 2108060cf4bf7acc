"""The process executor: long-lived worker processes, one per slot, reused across trials.

Workers start with the ``spawn`` method (safe with CUDA) and keep their slot's GPUs
(``CUDA_VISIBLE_DEVICES``) for life, since CUDA reads that variable once per process. A
worker that dies (an exception in C code, a segfault, the OOM killer) or runs past the trial
timeout is replaced by a fresh one on the same slot. The driver watches each worker process
itself (a Linux pidfd), not a pipe, so a death is seen at once even when a child the
trainable forked still holds the worker's pipes open; each worker leads its own process
group, and the group is killed with it, so no child outlives its worker. Workers never
import the user's main module (the trainable and each trial's configuration travel by
value), so a script needs no ``if __name__ == "__main__"`` guard, and code from stdin,
``python -c`` or a notebook runs.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing as mp
import multiprocessing.spawn as mp_spawn
import os
import pickle
import select
import selectors
import signal
import socket
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import cloudpickle

from rung.errors import ConfigError
from rung.executors.base import EventHandler, Executor
from rung.executors.resources import Slot
from rung.executors.sources import code_files
from rung.executors.worker import ACTION_BYTES, dumps, dumps_to_worker, worker_main
from rung.interrupts import critical
from rung.output_capture import salvage
from rung.trial import Exit, Launch, Outcome, Report


@dataclass(eq=False)
class _Worker:
    slot: Slot
    process: BaseProcess
    conn: Connection
    trial_id: str | None = None
    trial_dir: str | None = None
    started: float = 0.0
    ready: bool = False
    asked_to_exit: bool = False
    pidfd: int | None = None

    def kill(self) -> None:
        """Kill the worker and every process in its group (what its trials forked)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)  # type: ignore[arg-type]
        self.process.kill()


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
    answers_asks = True

    def __init__(self, start_method: str = "spawn") -> None:
        if start_method not in ("spawn", "forkserver"):
            raise ConfigError(
                f"start_method={start_method!r}: use 'spawn' or 'forkserver' ('fork' is not "
                "safe once CUDA or threads are initialized)"
            )
        self.start_method = start_method
        self._workers: list[_Worker] = []
        self._selector: selectors.BaseSelector | None = None

    def plan_slots(self, resources: Mapping[str, float], max_concurrent: int | None) -> list[Slot]:
        if mp.current_process().daemon:
            raise ConfigError(
                "rung.run was called inside a trial that runs in a worker process, which "
                "cannot start worker processes of its own (Python forbids children of daemon "
                "processes): run the inner experiment with executor='inline', or the outer "
                "one with executor='inline'"
            )
        return super().plan_slots(resources, max_concurrent)

    def start(
        self,
        trainable: Any,
        handler: EventHandler,
        slots: list[Slot],
        trial_timeout_s: float | None = None,
        elapsed_s: float = 0.0,
    ) -> None:
        super().start(trainable, handler, slots, trial_timeout_s)
        self._context: Any = mp.get_context(self.start_method)
        self._payload = serialize_trainable(trainable)
        self._code_files = code_files(trainable)
        self._selector = selectors.DefaultSelector()
        self._workers = []
        for slot in slots:
            self._spawn(slot)

    def _spawn(self, slot: Slot, index: int | None = None) -> _Worker:
        """Start a worker on ``slot`` (in place of ``self._workers[index]``); a Ctrl-C cannot
        leave a started worker unknown to ``shutdown``."""
        assert self._selector is not None
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=worker_main,
            args=(child, self._payload, self._code_files, slot.environment(), os.getpid()),
            daemon=True,
            name="rung-worker",
        )
        with critical(), _without_main_module():
            process.start()
            worker = _Worker(slot, process, parent)
            if index is None:
                self._workers.append(worker)
            else:
                self._workers[index] = worker
        child.close()
        self._selector.register(parent, selectors.EVENT_READ, ("message", worker))
        worker.pidfd = _open_pidfd(process)
        if worker.pidfd is not None:
            self._selector.register(worker.pidfd, selectors.EVENT_READ, ("death", worker))
        return worker

    @property
    def free_slots(self) -> int:
        return sum(w.trial_id is None for w in self._workers)

    def launch(self, launch: Launch) -> None:
        worker = next(w for w in self._workers if w.trial_id is None)
        worker.trial_id = launch.trial_id
        worker.trial_dir = launch.trial_dir
        worker.started = time.monotonic() if worker.ready else math.inf
        worker.conn.send_bytes(dumps_to_worker(launch))

    def now(self) -> float:
        return time.monotonic()

    def poll(self, timeout: float) -> None:
        busy = [w for w in self._workers if w.trial_id is not None]
        if not busy or self._selector is None:
            return
        if self.trial_timeout_s is not None:
            next_deadline = min(w.started for w in busy) + self.trial_timeout_s
            timeout = max(0.0, min(timeout, next_deadline - time.monotonic()))
        for key, _ in self._selector.select(timeout):
            what, worker = key.data
            if worker not in self._workers:
                continue  # replaced while handling an earlier event of this batch
            if what == "message":
                self._receive(worker)
            else:
                self._on_exit_seen(worker)
        # Without pidfds (not Linux), ask each busy worker's process whether it lives.
        for worker in [w for w in self._workers if w.pidfd is None and w.trial_id is not None]:
            if worker in self._workers and worker.process.exitcode is not None:
                self._on_exit_seen(worker)
        if self.trial_timeout_s is not None:
            self._enforce_timeout()

    def _on_exit_seen(self, worker: _Worker) -> None:
        """A worker process ended: read what it sent before, then take its slot back."""
        while worker in self._workers and worker.conn.poll(0):
            self._receive(worker)
        if worker in self._workers:
            self._on_death(worker)

    def _on_death(self, worker: _Worker) -> None:
        death = describe_death(self._reap(worker))
        if not worker.ready:
            raise ConfigError(
                f"a worker process could not start ({death}); its error output, above, says why"
            )
        self._replace(worker, death)

    def _receive(self, worker: _Worker) -> None:
        """Handle one message from a worker, answering a report at once."""
        try:
            kind, *body = pickle.loads(worker.conn.recv_bytes())
        except (EOFError, OSError):
            self._on_death(worker)
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
                self.handler.on_run_begun(worker.trial_id)
            return
        if worker.trial_id is None:
            return
        if kind == "report":
            metrics, checkpoint, final = body
            action = self.handler.on_report(Report(worker.trial_id, metrics, checkpoint))
            if not final:  # a final report's trial ends without waiting for the answer
                with contextlib.suppress(OSError):  # a worker that died after reporting
                    worker.conn.send_bytes(ACTION_BYTES[action])
        elif kind == "ask":
            try:
                answer = ("value", self.handler.on_ask(worker.trial_id, body[0], body[1]))
            except ConfigError as error:  # a contradicting ask: the trial fails, named
                answer = ("error", str(error))
            with contextlib.suppress(OSError):
                worker.conn.send_bytes(dumps(answer))
        elif kind == "checkpoint":
            self.handler.on_checkpoint(worker.trial_id, body[0])
        else:
            worker.trial_id = None
            self.handler.on_exit(body[0])

    def _reap(self, worker: _Worker) -> int | None:
        """The exit code of a worker that died or closed its pipe, once it is gone, with
        what its trials forked (which could hold its pipes open)."""
        worker.kill()  # a dead worker's exit code stays what it was
        _wait(worker, 10)
        return worker.process.exitcode

    def _replace(self, worker: _Worker, error: str) -> None:
        """Swap a dead or killed worker for a fresh one and fail the trial it held."""
        assert self._selector is not None
        trial_id = worker.trial_id
        self._selector.unregister(worker.conn)
        _close(worker, self._selector)
        self._spawn(worker.slot, self._workers.index(worker))
        if trial_id is not None and worker.trial_dir is not None:
            salvage(worker.trial_dir, socket.gethostname(), worker.process.pid or 0)
        if trial_id is not None:
            self.handler.on_exit(Exit(trial_id, Outcome.FAILED, error=error))

    def _enforce_timeout(self) -> None:
        now = time.monotonic()
        limit = self.trial_timeout_s
        for worker in list(self._workers):
            if limit is not None and worker.trial_id is not None and now - worker.started > limit:
                worker.kill()
                self._reap(worker)
                self._replace(
                    worker,
                    f"timed out after {now - worker.started:.1f} s "
                    f"(trial_timeout_s={limit}); its worker was killed",
                )

    def shutdown(self, wait: bool = True) -> None:
        """Kill workers that hold a trial; ask idle ones to exit and give them 5 s (none
        with ``wait=False``); then kill what is left, with the processes they started."""
        for worker in self._workers:
            if worker.trial_id is not None or not wait:
                worker.kill()
            elif not worker.asked_to_exit:
                worker.asked_to_exit = True
                try:
                    worker.conn.send_bytes(dumps(None))
                except OSError:
                    worker.kill()
        deadline = time.monotonic() + 5
        for worker in self._workers:
            _wait(worker, max(0.0, deadline - time.monotonic()))
            worker.kill()
            _wait(worker, None)
            _close(worker, None)
        self._workers = []
        if self._selector is not None:
            self._selector.close()
            self._selector = None


@contextlib.contextmanager
def _without_main_module() -> Iterator[None]:
    """Start processes without re-running the main module in them, as ``spawn`` would:
    a worker needs only the trainable, which travels by value."""
    original = mp_spawn.get_preparation_data

    def preparation(name: str) -> dict[str, Any]:
        data = original(name)
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
        return data

    mp_spawn.get_preparation_data = preparation
    try:
        yield
    finally:
        mp_spawn.get_preparation_data = original


def _wait(worker: _Worker, timeout: float | None) -> None:
    """Wait up to ``timeout`` seconds for a worker process to end, watching the process
    (its pidfd) rather than multiprocessing's sentinel pipe, which a forked child may hold."""
    if worker.pidfd is not None:
        watch = select.poll()  # not select(): descriptors past 1023 are fine
        watch.register(worker.pidfd, select.POLLIN)
        watch.poll(None if timeout is None else int(timeout * 1000))
        worker.process.join(0)
    else:
        worker.process.join(timeout)


def _open_pidfd(process: BaseProcess) -> int | None:
    """A descriptor that becomes readable when ``process`` exits (Linux 5.3+), or None."""
    try:
        return os.pidfd_open(process.pid)  # type: ignore[arg-type]
    except (AttributeError, OSError):
        return None


def _close(worker: _Worker, selector: selectors.BaseSelector | None) -> None:
    """Release a worker's pipe and pidfd (unwatched first when ``selector`` is given); a
    Ctrl-C cannot leave a closed pidfd named, for a second ``shutdown`` to close again."""
    with critical():
        if worker.pidfd is not None:
            if selector is not None:
                selector.unregister(worker.pidfd)
            os.close(worker.pidfd)
            worker.pidfd = None
        worker.conn.close()

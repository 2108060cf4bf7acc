"""The loop a long-lived worker process runs: receive a trial, run it, report, repeat."""

from __future__ import annotations

import ctypes
import faulthandler
import functools
import os
import pickle
import signal
import sys
import traceback
from multiprocessing.connection import Connection
from typing import Any

from rung.errors import ConfigError
from rung.executors.sources import CodeFiles, restore_code_files
from rung.trial import Action

_PR_SET_PDEATHSIG = 1

# The driver answers each report with one byte: the hot path of every trial.
ACTION_BYTES = {Action.CONTINUE: b"c", Action.STOP: b"s", Action.PAUSE: b"p", Action.SAVE: b"v"}
_ACTIONS = {value: action for action, value in ACTION_BYTES.items()}
_PROTOCOL = pickle.HIGHEST_PROTOCOL


@functools.cache
def libc_prctl() -> Any:
    """libc's prctl, looked up once: a forked child must not look it up (dlopen's lock may
    be held by another thread of its parent at the fork)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent (the thread that started it) ends, so
    no worker or forked child is orphaned."""
    prctl = libc_prctl()
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def dumps(message: Any) -> bytes:
    """Pickle a message: plainly (fast) where possible, by value with cloudpickle where a
    value is defined in ``__main__`` or a notebook."""
    try:
        return pickle.dumps(message, _PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError):
        import cloudpickle

        return cloudpickle.dumps(message, _PROTOCOL)


def dumps_to_worker(message: Any) -> bytes:
    """Pickle a message for a worker process, which never imports the driver's ``__main__``:
    plainly where that suffices (fast: the launch of every trial), by value with cloudpickle
    where the message refers to something defined in ``__main__`` or a notebook."""
    data = dumps(message)
    if b"__main__" not in data:
        return data
    import cloudpickle

    return cloudpickle.dumps(message, _PROTOCOL)


def worker_main(
    conn: Connection,
    payload: bytes,
    files: CodeFiles,
    environment: dict[str, str],
    driver: int,
) -> None:
    """Entry point of a worker process.

    Args:
        conn: the pipe to the driver.
        payload: the trainable, pickled with cloudpickle (functions from ``__main__``,
            notebooks and closures travel by value).
        files: the source files of the code that travels by value, for tracebacks.
        environment: variables of this worker's slot (``CUDA_VISIBLE_DEVICES``, thread
            counts), set before the trainable (and so torch) is loaded.
        driver: the driver's process id; a worker whose driver is gone exits quietly.
    """
    os.environ.update(environment)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A trial that segfaults leaves its Python stack in its stderr.log.
    faulthandler.enable()
    # A group of its own: the driver kills the worker with whatever its trials forked.
    os.setpgrp()
    die_with_parent()
    if os.getppid() != driver:  # the driver died before the line above took effect
        return
    try:
        _serve(conn, payload, files)
    except (EOFError, OSError):
        return  # the driver is gone (killed, or it killed this worker's pipe)


def _serve(conn: Connection, payload: bytes, files: CodeFiles) -> None:
    """Load the trainable, then run the trials the driver sends until it says stop."""
    import cloudpickle

    from rung.trainable import TrialRunner

    try:
        trainable = cloudpickle.loads(payload)
        restore_code_files(trainable, files)
        runner = TrialRunner(trainable, interrupt_fails_trial=True)
    except Exception:
        conn.send_bytes(dumps(("fatal", traceback.format_exc())))
        return
    conn.send_bytes(dumps(("ready",)))

    def send(metrics: dict[str, Any], checkpoint: str | None, final: bool = False) -> Action:
        conn.send_bytes(dumps(("report", metrics, checkpoint, final)))
        if final:  # no answer: the exit follows at once, and the driver acts on both
            return Action.CONTINUE
        return _ACTIONS[conn.recv_bytes()]

    def saved(path: str) -> None:
        conn.send_bytes(dumps(("checkpoint", path)))

    def ask(name: str, domain: Any) -> Any:
        conn.send_bytes(dumps(("ask", name, domain)))
        answer, value = pickle.loads(conn.recv_bytes())
        if answer == "error":  # the driver refused it: the trial fails with its reason
            raise ConfigError(value)
        return value

    while True:
        try:
            message = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        if message is None:
            return
        exit = runner.run(message, send, saved, ask)
        conn.send_bytes(dumps(("exit", exit)))

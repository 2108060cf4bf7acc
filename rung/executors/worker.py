"""The loop a long-lived worker process runs: receive a trial, run it, report, repeat."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from multiprocessing.connection import Connection
from typing import Any

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Ask Linux to kill this process when the driver dies, so no worker is orphaned."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def worker_main(conn: Connection, payload: bytes, environment: dict[str, str]) -> None:
    """Entry point of a worker process.

    Args:
        conn: the pipe to the driver.
        payload: the trainable, pickled with cloudpickle (functions from ``__main__``,
            notebooks and closures travel by value).
        environment: variables of this worker's slot (``CUDA_VISIBLE_DEVICES``, thread
            counts), set before the trainable (and so torch) is loaded.
    """
    os.environ.update(environment)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()

    import cloudpickle

    from rung.trainable import TrialRunner

    runner = TrialRunner(cloudpickle.loads(payload))

    def serve(trial_id: str, config: dict[str, Any], checkpoint: str | None, trial_dir: str):
        def send(metrics: dict[str, Any], checkpoint_path: str | None):
            conn.send(("report", metrics, checkpoint_path))
            return conn.recv()

        return runner.run(trial_id, config, checkpoint, trial_dir, send)

    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        conn.send(("exit", serve(*message)))

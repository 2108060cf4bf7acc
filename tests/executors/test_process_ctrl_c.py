"""A Ctrl-C while the process executor releases a worker leaves shutdown able to finish."""

from __future__ import annotations

import os
from typing import Any

import pytest

from rung.executors import process
from rung.interrupts import InterruptGuard
from tests import trainables
from tests.test_interrupts import ctrl_c


class _CtrlCAfterFirstClose:
    """``os`` for the executor, whose first ``close`` is followed by a Ctrl-C: the moment
    the descriptor is gone but the worker still names it."""

    def __init__(self) -> None:
        self.closed = 0

    def close(self, fd: int) -> None:
        os.close(fd)
        self.closed += 1
        if self.closed == 1:
            ctrl_c()

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


def test_a_ctrl_c_just_after_a_worker_is_closed_does_not_break_the_second_shutdown(
    sigint_from_a_terminal, monkeypatch
):
    executor = process.ProcessExecutor()
    executor.start(trainables.quadratic, handler=None, slots=executor.plan_slots({"cpu": 1}, 1))
    (worker,) = executor._workers
    if worker.pidfd is None:
        executor.shutdown()
        pytest.skip("no pidfd on this system (Linux 5.3+ has one): nothing to close twice")
    monkeypatch.setattr(process, "os", _CtrlCAfterFirstClose())
    with InterruptGuard() as guard:
        guard.arm()
        with pytest.raises(KeyboardInterrupt):
            executor.shutdown()
        executor.shutdown(wait=False)  # as the driver's second try does
    assert not worker.process.is_alive()

"""The Ctrl-C guard: where a SIGINT raises, where it waits, where it is only counted."""

from __future__ import annotations

import os
import signal

import pytest

from rung.interrupts import InterruptGuard, critical

pytestmark = pytest.mark.usefixtures("sigint_from_a_terminal")


def ctrl_c() -> None:
    os.kill(os.getpid(), signal.SIGINT)


def test_armed_a_ctrl_c_raises_at_once():
    with InterruptGuard() as guard, pytest.raises(KeyboardInterrupt):
        guard.arm()
        ctrl_c()
        pytest.fail("not interrupted")


def test_inside_a_critical_block_it_waits_for_the_block_to_end():
    steps = []
    with InterruptGuard() as guard, pytest.raises(KeyboardInterrupt):
        guard.arm()
        with critical():
            ctrl_c()
            steps.append("the block went on")
        steps.append("after the block")
    assert steps == ["the block went on"]


def test_unarmed_it_is_only_counted_and_arming_raises_it():
    with InterruptGuard() as guard:
        ctrl_c()
        ctrl_c()
        assert guard.count == 2 and guard.pending
        with pytest.raises(KeyboardInterrupt):
            guard.arm()


def test_once_raised_later_ones_only_hurry_interruptible_waits():
    with InterruptGuard() as guard:
        with pytest.raises(KeyboardInterrupt):
            guard.arm()
            ctrl_c()
        ctrl_c()  # the driver is cleaning up: counted, not raised
        assert guard.count == 2
        with pytest.raises(KeyboardInterrupt), guard.interruptible():
            pytest.fail("a counted Ctrl-C cuts the wait short at once")
        with guard.interruptible(), pytest.raises(KeyboardInterrupt):
            ctrl_c()
            pytest.fail("not interrupted")
        ctrl_c()
        assert guard.count == 4, "and outside the wait it is counted again"


def test_the_previous_handler_comes_back_and_an_ignored_sigint_stays_ignored():
    def mine(signum, frame):
        pass

    signal.signal(signal.SIGINT, mine)
    with InterruptGuard():
        assert signal.getsignal(signal.SIGINT) is not mine
    assert signal.getsignal(signal.SIGINT) is mine
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with InterruptGuard() as guard:
        guard.arm()
        ctrl_c()
        assert guard.count == 0, "a background job never sees a Ctrl-C"


def test_sigterm_is_taken_like_ctrl_c_and_marked_where_nothing_else_handles_it():
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        with InterruptGuard() as guard, pytest.raises(KeyboardInterrupt):
            guard.arm()
            os.kill(os.getpid(), signal.SIGTERM)
            pytest.fail("not interrupted")
        assert guard.terminated
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # given back
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_sigterm_handler_of_the_script_is_left_alone():
    def handler(signum, frame) -> None:
        pass

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        with InterruptGuard():
            assert signal.getsignal(signal.SIGTERM) is handler
    finally:
        signal.signal(signal.SIGTERM, previous)

"""Ctrl-C without losing anything: SIGINT becomes KeyboardInterrupt only where that is safe.

While an experiment runs, ``InterruptGuard`` owns SIGINT (in the main thread, where Python
delivers signals). Armed (``arm``, only ever inside a ``try`` that handles the interrupt), a
Ctrl-C raises KeyboardInterrupt at once, so a trainable running inline stops mid-epoch,
except inside a ``critical()`` block (a commit and the clearing of its buffer, an event
appended and applied, a worker started and registered), where it is held until the block
ends. Unarmed (before the driver's ``try``, and once it is cleaning up), a Ctrl-C is only
counted: it raises inside ``interruptible()`` blocks (waiting for workers to exit), so it can
hurry the shutdown but never escape it, and the log is always written and the results
always returned.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

_guard: InterruptGuard | None = None
_depth = 0
_main_thread = threading.main_thread().ident


def _in_main_thread() -> bool:
    return threading.get_ident() == _main_thread


def _forked() -> None:
    global _main_thread, _depth, _guard
    _main_thread, _depth, _guard = threading.get_ident(), 0, None


os.register_at_fork(after_in_child=_forked)


class _Critical:
    """A block a Ctrl-C must not split; one that arrives inside is raised when it ends.
    One shared, allocation-free object: it wraps every record the driver writes. Only the
    main thread counts, since only it ever receives the KeyboardInterrupt."""

    __slots__ = ()

    def __enter__(self) -> None:
        global _depth
        if threading.get_ident() == _main_thread:
            _depth += 1

    def __exit__(self, exc_type: object, *rest: object) -> None:
        global _depth
        if threading.get_ident() != _main_thread:
            return
        _depth -= 1
        if _depth == 0 and exc_type is None and _guard is not None:
            _guard.check()


_CRITICAL = _Critical()


def critical() -> _Critical:
    """A block a Ctrl-C must not split: one that arrives inside is raised when it ends."""
    return _CRITICAL


class InterruptGuard:
    """Takes SIGINT for the duration of a ``with`` block and gives it back after.

    Does nothing outside the main thread, or when SIGINT is ignored (a background job): the
    process then never sees a Ctrl-C.
    """

    def __init__(self) -> None:
        self.count = 0
        self.pending = False
        self.raising = False
        self._installed = False
        self._previous: Any = None
        self._outer: InterruptGuard | None = None

    def __enter__(self) -> InterruptGuard:
        global _guard
        if _in_main_thread() and signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
            self._outer, _guard = _guard, self
        return self

    def __exit__(self, *exc_info: object) -> None:
        global _guard
        if self._installed:
            previous = self._previous if self._previous is not None else signal.SIG_DFL
            signal.signal(signal.SIGINT, previous)
            _guard = self._outer
            self._installed = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        if self.raising and _depth == 0:
            self._raise()
        self.pending = True

    def _raise(self) -> None:
        # Once raised, the driver is on its way out: later Ctrl-Cs only hurry it.
        self.pending = False
        self.raising = False
        raise KeyboardInterrupt

    def arm(self) -> None:
        """From now on a Ctrl-C raises; one counted before raises at once. Call it inside
        the ``try`` that handles KeyboardInterrupt, and ``quiet`` before leaving it."""
        self.raising = True
        self.check()

    def check(self) -> None:
        """Raise a Ctrl-C that was held back, if raising is allowed now."""
        if self.pending and self.raising and _depth == 0:
            self._raise()

    def quiet(self) -> None:
        """From now on a Ctrl-C is only counted (the driver is writing its last records)."""
        self.raising = False

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """A wait that a Ctrl-C may cut short, even after ``quiet``; one counted before
        raises at once."""
        raising, self.raising = self.raising, True
        try:
            self.check()
            yield
        finally:
            self.raising = raising

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

SIGTERM (``kill``, Slurm's ``scancel`` or time limit, a container stopping) is taken the
same way when nothing else handles it, and marked ``terminated``: the experiment records
its running trials as interrupted, so that a resume continues them, and then the process
exits as terminated.
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


def reclaim_sigterm() -> None:
    """Take SIGTERM back for the guard of the running experiment, if it holds SIGTERM."""
    if _guard is not None:
        _guard.reclaim_sigterm()


def critical() -> _Critical:
    """A block a Ctrl-C must not split: one that arrives inside is raised when it ends."""
    return _CRITICAL


class InterruptGuard:
    """Takes SIGINT, and SIGTERM where it has its default action, for the duration of a
    ``with`` block and gives them back after.

    Does nothing outside the main thread, or for SIGINT when it is ignored (a background
    job): the process then never sees a Ctrl-C.
    """

    def __init__(self) -> None:
        self.count = 0
        self.pending = False
        self.raising = False
        self.terminated = False
        self._previous: dict[int, Any] = {}
        self._outer: InterruptGuard | None = None

    def __enter__(self) -> InterruptGuard:
        global _guard
        if not _in_main_thread():
            return self
        if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            self._previous[signal.SIGINT] = signal.signal(signal.SIGINT, self._handle)
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            self._previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, self._handle)
        if self._previous:
            self._outer, _guard = _guard, self
        return self

    def __exit__(self, *exc_info: object) -> None:
        global _guard
        if self._previous:
            for signum, previous in self._previous.items():
                signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
            self._previous.clear()
            _guard = self._outer

    def reclaim_sigterm(self) -> None:
        """Take SIGTERM back from a library that took it while the guard held it (Ray's
        ``init`` sets a handler that exits at once, before anything is recorded)."""
        if signal.SIGTERM in self._previous and _in_main_thread():
            signal.signal(signal.SIGTERM, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.terminated = self.terminated or signum == signal.SIGTERM
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

"""A crash on demand: an event log that dies right after its n-th commit, as a driver
killed there would leave it (what was committed stays, nothing after it is written)."""

from __future__ import annotations

import rung.api
from rung.store import SQLiteStore


class Crash(BaseException):
    """The driver's process is gone (a BaseException: nothing in rung may catch it)."""


class CrashingStore(SQLiteStore):
    """Commits at every flush; after ``crash_at`` commits, drops everything and raises."""

    crash_at: int | None = None
    commits = 0

    def __init__(self, directory, create=True, commit_interval_s=0.0, meta=None):
        super().__init__(directory, create, commit_interval_s=0.0, meta=meta)
        self.dead = False

    def append(self, event):
        if not self.dead:
            super().append(event)

    def set_meta(self, key, value):
        if not self.dead:
            super().set_meta(key, value)

    def flush(self, force=False):
        if self.dead:
            return False
        pending = bool(self._pending or self._pending_meta)
        committed = super().flush(force)
        if pending:
            CrashingStore.commits += 1
            if CrashingStore.commits == CrashingStore.crash_at:
                self.dead = True
                raise Crash
        return committed

    def close(self):
        if self.dead:
            self.abandon()
        else:
            super().close()


def run_until_crash(monkeypatch, crash_at, run):
    """Call ``run()`` with every store crashing after ``crash_at`` commits (None: never);
    returns whether it crashed, and the number of commits made."""
    monkeypatch.setattr(rung.api, "SQLiteStore", CrashingStore)
    CrashingStore.crash_at = crash_at
    CrashingStore.commits = 0
    try:
        run()
    except Crash:
        return True, CrashingStore.commits
    finally:
        monkeypatch.setattr(rung.api, "SQLiteStore", SQLiteStore)
    return False, CrashingStore.commits

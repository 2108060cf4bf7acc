"""The SQLite store: an experiment's event log on disk, in ``<dir>/experiment.db``.

WAL mode, so readers (``rung.load``, ``rung status``) never block the driver; records are
buffered and written in one transaction per turn of the driver's loop. Only the driver
writes, and it holds an exclusive lock on ``<dir>/.lock`` while it does: a second driver on
the same directory is refused instead of interleaving its writes. A database written by
another schema version is refused and left untouched.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from rung.errors import ConfigError
from rung.store.base import Store

SCHEMA_VERSION = 1
DB_NAME = "experiment.db"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    trial_id TEXT NOT NULL,
    type TEXT NOT NULL,
    body TEXT NOT NULL
);
"""


class ExperimentDirError(ConfigError):
    """A directory is not a rung experiment, or one that this rung cannot open."""


def _check_version(connection: sqlite3.Connection, path: Path) -> None:
    try:
        row = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.DatabaseError as error:
        raise ExperimentDirError(f"{path} is not a rung experiment database ({error})") from None
    if row is None:
        raise ExperimentDirError(f"{path} has no rung schema version; it is not a rung experiment")
    if int(row[0]) != SCHEMA_VERSION:
        raise ExperimentDirError(
            f"{path} was written with schema version {row[0]}; this rung reads version "
            f"{SCHEMA_VERSION}. Open it with the rung that wrote it; it was not modified."
        )


class SQLiteStore(Store):
    """The event log of the experiment in ``directory``, opened for writing by one driver.

    Args:
        directory: the experiment's folder (created if missing).
        create: start a new log; otherwise the log must exist (resume).
        commit_interval_s: the longest records wait in memory before they are committed; a
            crash loses at most that much (trials restart from the checkpoints on record).
    """

    def __init__(
        self, directory: str | os.PathLike, create: bool = True, commit_interval_s: float = 0.05
    ) -> None:
        self.commit_interval_s = commit_interval_s
        self._last_commit = -math.inf
        self.directory = Path(directory)
        self.path = self.directory / DB_NAME
        exists = self.path.exists()
        if not exists and not create:
            raise ExperimentDirError(
                f"{self.directory} is not a rung experiment (no {DB_NAME}); nothing to resume"
            )
        if exists and create:
            raise ExperimentDirError(
                f"{self.directory} already holds an experiment; pass resume=True to continue "
                "it, or choose another name"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = self._acquire_lock()
        self._connection = sqlite3.connect(self.path, isolation_level=None)
        if exists:
            _check_version(self._connection, self.path)
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA synchronous=NORMAL")
        if not exists:
            self._connection.executescript(_SCHEMA)
            self.set_meta("schema_version", SCHEMA_VERSION)
        self._pending: list[tuple[str, str, str]] = []

    def _acquire_lock(self):
        lock = open(self.directory / ".lock", "w")  # noqa: SIM115 - held for the store's life
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise ExperimentDirError(
                f"another driver is running the experiment in {self.directory}; "
                "wait for it to end (or stop it) before resuming"
            ) from None
        return lock

    def append(self, record: dict[str, Any]) -> None:
        body = json.dumps(record, default=_to_json)
        self._pending.append((record["trial_id"], record["type"], body))

    def flush(self, force: bool = False) -> None:
        """Commit the buffered records: at most once per ``commit_interval_s`` (the driver
        asks every turn of its loop), or now when ``force``."""
        now = time.monotonic()
        if not self._pending or (not force and now - self._last_commit < self.commit_interval_s):
            return
        self._last_commit = now
        with self._connection:
            self._connection.execute("BEGIN")
            self._connection.executemany(
                "INSERT INTO events (trial_id, type, body) VALUES (?, ?, ?)", self._pending
            )
        self._pending = []

    def records(self) -> list[dict[str, Any]]:
        self.flush(force=True)
        return read_records(self._connection)

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON value under ``key`` (settings, the space, progress)."""
        self._connection.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            (key, json.dumps(value, default=_to_json)),
        )

    def get_meta(self, key: str, default: Any = None) -> Any:
        return read_meta(self._connection, key, default)

    def close(self) -> None:
        if self._connection is None:
            return
        self.flush(force=True)
        self._connection.close()
        self._connection = None
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        self._lock.close()


def _to_json(value: Any) -> Any:
    """What JSON cannot hold as is: numpy and torch scalars and arrays as numbers and lists,
    anything else by its repr (kept readable, not reloadable)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return repr(value)


def read_records(connection: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = connection.execute("SELECT body FROM events ORDER BY seq").fetchall()
    return [json.loads(body) for (body,) in rows]


def read_meta(connection: sqlite3.Connection, key: str, default: Any = None) -> Any:
    row = connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else default


def open_readonly(directory: str | os.PathLike) -> sqlite3.Connection:
    """A read-only connection to an experiment's log; takes no lock, changes nothing."""
    path = Path(directory) / DB_NAME
    if not path.is_file():
        raise ExperimentDirError(f"{directory} is not a rung experiment (no {DB_NAME})")
    connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    _check_version(connection, path)
    return connection

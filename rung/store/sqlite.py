"""The SQLite store: an experiment's event log on disk, in ``<dir>/experiment.db``.

WAL mode while the driver writes, so readers (``rung.load``, ``rung status``) never block
it (on a network file system, a rollback journal instead: see ``rung.store.filesystems``);
events and meta values are buffered and committed in one transaction at most every
``commit_interval_s``. Only the driver writes, and it holds an exclusive lock on
``<dir>/.lock`` while it does: a second driver on the same directory is refused instead of
interleaving its writes. A database written by another schema version is refused and left
untouched. When the driver closes the log it leaves WAL mode, so that a finished experiment
is one file that loads from a read-only location.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import json
import math
import os
import sqlite3
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import closing
from pathlib import Path
from typing import IO, Any

import orjson

from rung.errors import ConfigError, RungWarning
from rung.events import Event, LogError, from_record
from rung.interrupts import critical
from rung.results import Results
from rung.store import snapshot
from rung.store.base import Store
from rung.store.filesystems import journal_mode
from rung.trial import Trial

SCHEMA_VERSION = 1
DB_NAME = "experiment.db"
# Logs from before snapshots lack this table: the driver adds it when it keeps one.
_SNAPSHOT_TABLES = (
    "CREATE TABLE IF NOT EXISTS snapshot (position INTEGER PRIMARY KEY, "
    "covered INTEGER NOT NULL, summary TEXT NOT NULL, body TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS snapshot_part (part INTEGER PRIMARY KEY, rows TEXT NOT NULL)",
)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    trial_id TEXT NOT NULL,
    type TEXT NOT NULL,
    body TEXT NOT NULL
);
{";".join(_SNAPSHOT_TABLES)};
"""


class ExperimentDirError(ConfigError):
    """A directory is not a rung experiment, or one that this rung cannot open."""


def _damaged(path: Path, error: Exception) -> ExperimentDirError:
    return ExperimentDirError(
        f"{path} cannot be read: {error} (a damaged or foreign database file)"
    )


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
        commit_interval_s: the longest events wait in memory before they are committed; a
            crash loses at most that much (trials restart from the checkpoints on record).
    """

    def __init__(
        self,
        directory: str | os.PathLike,
        create: bool = True,
        commit_interval_s: float = 0.05,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        self.commit_interval_s = commit_interval_s
        self._last_commit = -math.inf
        self.directory = Path(directory)
        self.path = self.directory / DB_NAME
        self._pending: list[tuple[str, str, str]] = []
        self._pending_meta: dict[str, str] = {}
        self._connection: sqlite3.Connection | None = None
        self._lock: IO[str] | None = None
        if not create and not self.path.exists():
            raise ExperimentDirError(
                f"{self.directory} is not a rung experiment (no {DB_NAME}); nothing to resume"
            )
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ExperimentDirError(
                f"cannot create the experiment folder {self.directory}: "
                f"{error.strerror or error} (check storage_path and name)"
            ) from None
        self._lock = self._acquire_lock()
        try:
            if unfinished_log(self.directory):  # a creation cut short: it holds nothing
                if not create:
                    raise ExperimentDirError(
                        f"{self.directory} holds no experiment: its log was being created "
                        "when the run that made it ended, before anything was recorded; "
                        "nothing to resume (start it with resume='auto' or resume=False)"
                    )
                _remove_database(self.path)
            if create:
                if self.path.exists():
                    raise ExperimentDirError(
                        f"{self.directory} already holds an experiment; pass resume=True to "
                        "continue it, or choose another name"
                    )
                self._create(meta or {})
            # One thread at a time writes (the driver, or an inline trial's thread while it
            # reports: reports are serialized), but not always the one that opened the log.
            self._connection = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False
            )
            _check_version(self._connection, self.path)
            self.journal_mode = journal_mode(self.directory)
            self._connection.execute(f"PRAGMA journal_mode={self.journal_mode}")
            self._connection.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.DatabaseError as error:
            self._release()
            raise _damaged(self.path, error) from None
        except BaseException:
            self._release()
            raise

    def _create(self, meta: Mapping[str, Any]) -> None:
        """Write a new log whole or not at all: built under a temporary name (schema, version
        and ``meta`` in one transaction, on disk) and renamed into place, so that a kill at
        any moment leaves either no log or a complete one."""
        partial = self.path.with_name(DB_NAME + ".partial")
        _remove_database(partial)
        connection = sqlite3.connect(partial, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=DELETE")
            connection.execute("PRAGMA synchronous=FULL")
            connection.executescript(_SCHEMA)
            rows = {"schema_version": SCHEMA_VERSION, **meta}
            with connection:
                connection.execute("BEGIN")
                connection.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [(key, json.dumps(value, default=_to_json)) for key, value in rows.items()],
                )
        finally:
            connection.close()
        os.replace(partial, self.path)
        _sync_folder(self.directory)

    def _acquire_lock(self) -> IO[str]:
        try:
            lock = open(self.directory / ".lock", "w")  # noqa: SIM115 - held for the store's life
        except OSError as error:
            raise ExperimentDirError(
                f"cannot write in {self.directory} ({error.strerror or error}): an experiment "
                "there can be read (rung.load, rung status / show, rung plot --out elsewhere) "
                "but not run or resumed"
            ) from None
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise ExperimentDirError(
                f"another driver is running the experiment in {self.directory}; "
                "wait for it to end (or stop it) before resuming"
            ) from None
        except OSError as error:  # a file system without locks (Lustre without -o flock)
            warnings.warn(
                f"{self.directory}: this file system has no file locks ({error.strerror}); "
                "rung cannot refuse a second driver on this experiment, so start only one",
                RungWarning,
                stacklevel=4,
            )
        return lock

    def append(self, event: Event) -> None:
        body = json.dumps(event.to_record(), default=_to_json)
        self._pending.append((event.trial_id, event.kind.value, body))

    def due(self) -> bool:
        waiting = bool(self._pending or self._pending_meta)
        return waiting and time.monotonic() - self._last_commit >= self.commit_interval_s

    def flush(self, force: bool = False) -> bool:
        """Commit the buffered events and meta values together: at most once per
        ``commit_interval_s`` (the driver asks every turn of its loop), or now when
        ``force``. The buffer is emptied in the same step a Ctrl-C cannot split, and kept
        if the commit fails (a full disk, say), so no event is written twice or lost."""
        if not self._pending and not self._pending_meta:
            return True
        now = time.monotonic()
        if not force and now - self._last_commit < self.commit_interval_s:
            return False
        connection = self._open()
        with critical():
            events, meta = self._pending, self._pending_meta
            try:
                with connection:
                    connection.execute("BEGIN")
                    connection.executemany(
                        "INSERT INTO events (trial_id, type, body) VALUES (?, ?, ?)", events
                    )
                    connection.executemany(
                        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", meta.items()
                    )
            except sqlite3.Error as error:
                raise ExperimentDirError(
                    f"cannot write the event log {self.path}: {error}; nothing since the last "
                    "commit was recorded (free the disk, then resume)"
                ) from None
            self._pending, self._pending_meta = [], {}
            self._last_commit = now
        return True

    def records(self, after: int = 0) -> list[Event]:
        self.flush(force=True)
        return read_events(self._open(), self.path, after)

    def keep_snapshot(self, results: Results, imported: int, position: int) -> None:
        """Commit a snapshot of the trials folded from the first ``position`` records, with
        their summary (``snapshot.summary_of``), in place of any earlier one: kept only when
        ``position`` is the log's committed end (a snapshot never says what the log does
        not). One that cannot be written is left out with a warning; readers replay the log
        instead."""
        if not self.flush(force=True):
            return
        connection = self._open()
        if log_length(connection, self.path) != position:
            return
        covered = _covered(connection, position)
        trials = results.trials
        starts = range(0, len(trials), snapshot.PART_TRIALS)
        header = snapshot.encode_header(imported, len(starts))
        said = snapshot.encode_summary(snapshot.summary_of(results), _to_json)
        with critical():
            try:
                with connection:
                    connection.execute("BEGIN")
                    for table in _SNAPSHOT_TABLES:
                        connection.execute(table)
                    connection.execute("DELETE FROM snapshot")
                    connection.execute("DELETE FROM snapshot_part")
                    connection.execute(
                        "INSERT INTO snapshot (position, covered, summary, body) "
                        "VALUES (?, ?, ?, ?)",
                        (position, covered, said, header),
                    )
                    for part, start in enumerate(starts):
                        rows = snapshot.encode_rows(
                            trials[start : start + snapshot.PART_TRIALS], _to_json
                        )
                        connection.execute("INSERT INTO snapshot_part VALUES (?, ?)", (part, rows))
            except sqlite3.Error as error:
                warnings.warn(
                    f"{self.path}: no snapshot of the trials was kept ({error}); readers of "
                    "this experiment replay its whole log",
                    RungWarning,
                    stacklevel=2,
                )

    def set_meta(self, key: str, value: Any) -> None:
        """Keep a JSON value under ``key`` (settings, the space, progress); committed with
        the next flush."""
        self._pending_meta[key] = json.dumps(value, default=_to_json)

    def get_meta(self, key: str, default: Any = None) -> Any:
        if key in self._pending_meta:
            return json.loads(self._pending_meta[key])
        return read_meta(self._open(), key, default)

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ConfigError(f"the event log {self.path} is closed")
        return self._connection

    def close(self) -> None:
        """Commit what is left, leave WAL mode (best effort: a reader may hold the file),
        and release the lock."""
        if self._connection is None:
            return
        try:
            self.flush(force=True)
            with contextlib.suppress(sqlite3.OperationalError):
                self._connection.execute("PRAGMA journal_mode=DELETE")
        finally:
            self._release()

    def abandon(self) -> None:
        """Release the log without committing what is buffered: what a crash leaves."""
        self._pending, self._pending_meta = [], {}
        self._release()

    def _release(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._lock is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None


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


def decode(body: str) -> Any:
    """A record's JSON, read by orjson (about three times faster than the standard library
    on a large log), or by the standard library where orjson refuses what rung writes: the
    NaN and infinities a report can hold, integers beyond 64 bits."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def read_events(
    connection: sqlite3.Connection, path: Path, after: int = 0, limit: int | None = None
) -> list[Event]:
    """The events of a log after the first ``after`` (at most ``limit`` of them); a LogError
    naming the file and the record when one is missing or unreadable."""
    try:
        rows = connection.execute(
            "SELECT seq, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
            (after, -1 if limit is None else limit),
        ).fetchall()
    except sqlite3.DatabaseError as error:
        raise _damaged(path, error) from None
    with collection_paused():
        return _events_of(rows, path, after)


def _events_of(rows: list[tuple[int, str]], path: Path, after: int) -> list[Event]:
    events = []
    for expected, (seq, body) in enumerate(rows, start=after + 1):
        if seq != expected:
            raise LogError(f"{path}: record {expected} is missing (the next is {seq})")
        try:
            record = decode(body)
            if not isinstance(record, dict):
                raise LogError("not a JSON object")
            events.append(from_record(record))
        except json.JSONDecodeError as error:
            raise LogError(f"{path}, record {seq}: not valid JSON ({error})") from None
        except LogError as error:  # named here, not formatted for every record read
            raise LogError(f"{path}, record {seq}: {error}") from None
    return events


def _covered(connection: sqlite3.Connection, position: int) -> int:
    """The total length of the first ``position`` records, which the log must still have
    when a snapshot of them is read (as ``position`` records): records deleted or rewritten
    since are caught by it, and the log is replayed instead, naming the damage."""
    row = connection.execute(
        "SELECT count(*), total(length(body)) FROM events WHERE seq <= ?", (position,)
    ).fetchone()
    return int(row[1]) if row[0] == position else -1


def _snapshot_part(
    connection: sqlite3.Connection, path: Path, column: str, whole_log: bool
) -> tuple[int, Any] | None:
    """The position of the log's snapshot and one of its parts, decoded; None where there
    is none, it covers records the log no longer has as they were, or (``whole_log``) it
    stands before the log's end."""
    try:
        row = connection.execute(
            f"SELECT position, covered, {column} FROM snapshot ORDER BY position DESC LIMIT 1"
        ).fetchone()
    except sqlite3.OperationalError:  # a log written before snapshots
        return None
    if row is None:
        return None
    position, covered, text = row
    length = log_length(connection, path)
    if position > length or (whole_log and position != length):
        return None
    try:
        if _covered(connection, position) != covered:
            return None
        with collection_paused():
            return position, decode(text)
    except (ValueError, sqlite3.DatabaseError):  # not JSON, or a damaged table: replay
        return None


def read_snapshot(
    connection: sqlite3.Connection, path: Path
) -> tuple[int, list[Trial], int] | None:
    """The log's snapshot: the position it stands at, its trials and how many of them were
    imported; None where there is none this rung can read (the log is replayed instead)."""
    found = _snapshot_part(connection, path, "body", whole_log=False)
    header = None if found is None else snapshot.decode_header(found[1])
    if found is None or header is None:
        return None
    imported, parts = header
    trials: list[Trial] = []
    try:
        with collection_paused():
            cursor = connection.execute("SELECT part, rows FROM snapshot_part ORDER BY part")
            for expected, (part, text) in enumerate(cursor):
                rows = snapshot.decode_rows(decode(text)) if part == expected else None
                if rows is None or part >= parts:
                    return None
                trials += rows
    except (ValueError, sqlite3.DatabaseError):  # not JSON, or a damaged table: replay
        return None
    whole = len(trials) > (parts - 1) * snapshot.PART_TRIALS or parts == 0
    return (found[0], trials, imported) if whole else None


def read_summary(connection: sqlite3.Connection, path: Path) -> dict[str, Any] | None:
    """The snapshot's summary when the snapshot covers the whole log (a finished
    experiment's does), else None."""
    found = _snapshot_part(connection, path, "summary", whole_log=True)
    return None if found is None else snapshot.decode_summary(found[1])


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """Python's cycle collector paused while a log is read: records make no cycles, and on
    a large log the collector's passes over the growing heap cost a third of the reading."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def log_length(connection: sqlite3.Connection, path: Path) -> int:
    """How many records a log holds (its last record's number: records are numbered from 1
    without gaps)."""
    try:
        return int(connection.execute("SELECT max(seq) FROM events").fetchone()[0] or 0)
    except sqlite3.DatabaseError as error:
        raise _damaged(path, error) from None


def read_meta(connection: sqlite3.Connection, key: str, default: Any = None) -> Any:
    try:
        row = connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    except sqlite3.DatabaseError as error:
        raise ExperimentDirError(f"cannot read {key!r} from the event log: {error}") from None
    if row is None:
        return default
    try:
        return json.loads(row[0])
    except json.JSONDecodeError as error:
        raise LogError(f"the event log's {key!r} value is not valid JSON ({error})") from None


def unfinished_log(directory: str | os.PathLike) -> bool:
    """Whether ``directory`` holds a log whose creation an earlier rung left cut short (a
    database without tables, or without its schema version and events): it holds nothing."""
    path = Path(directory) / DB_NAME
    if not path.is_file():
        return False
    try:
        with closing(sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            if not {"meta", "events"} <= tables:
                return not tables - {"meta", "events", "sqlite_sequence"}
            version = db.execute("SELECT 1 FROM meta WHERE key = 'schema_version'").fetchone()
            return version is None and db.execute("SELECT 1 FROM events").fetchone() is None
    except sqlite3.DatabaseError:
        return False  # damaged or foreign: not ours to remove, and opening it says so


def holds_log(directory: str | os.PathLike) -> bool:
    """Whether ``directory`` holds an experiment's log (one whose creation was cut short
    holds none)."""
    return (Path(directory) / DB_NAME).is_file() and not unfinished_log(directory)


def _remove_database(path: Path) -> None:
    """Remove a database file with the journal files SQLite keeps beside it."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a power cut after it keeps it)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def open_readonly(directory: str | os.PathLike, shared: bool = False) -> sqlite3.Connection:
    """A read-only connection to an experiment's log; takes no lock, changes nothing.

    On a read-only location (where SQLite cannot create its lock files) the log is opened
    as immutable, which is right for a finished experiment nobody writes any more.
    ``shared``: usable from other threads (the caller serializes its use).
    """
    path = Path(directory).absolute() / DB_NAME
    if not path.is_file():
        raise ExperimentDirError(f"{directory} is not a rung experiment (no {DB_NAME})")
    try:
        same_thread = not shared
        connection = sqlite3.connect(
            f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=same_thread
        )
        try:
            _check_version(connection, path)
        except ExperimentDirError:
            connection.close()
            if os.access(path.parent, os.W_OK):
                raise
            connection = sqlite3.connect(
                f"{path.as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=same_thread
            )
            _check_version(connection, path)
    except sqlite3.DatabaseError as error:
        raise _damaged(path, error) from None
    return connection

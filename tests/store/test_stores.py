"""Every store keeps the same contract; the SQLite one also guards its directory and never
writes an event twice or loses one it committed."""

import math
import os
import signal
import sqlite3
from contextlib import closing

import numpy as np
import pytest

import rung
from rung.events import (
    Action,
    LogError,
    ResultReported,
    TrialCreated,
    TrialEnded,
    TrialStatus,
)
from rung.interrupts import InterruptGuard
from rung.store import ExperimentDirError, MemoryStore, SQLiteStore, open_readonly
from rung.store.sqlite import DB_NAME, read_events

EVENTS = [
    TrialCreated("00000", 0.0, {"lr": 0.1}),
    ResultReported("00000", 1.5, {"loss": math.inf}, Action.STOP),
    TrialEnded("00000", 2.0, TrialStatus.STOPPED),
]


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    made = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "exp")
    yield made
    made.close()


def test_events_come_back_in_order_with_their_values(store):
    for event in EVENTS:
        store.append(event)
    assert store.flush()
    assert store.records() == EVENTS
    assert store.records(after=2) == EVENTS[2:], "a reader that keeps count reads what is new"


def test_meta_values_round_trip(store):
    store.set_meta("settings", {"metric": "loss", "num_trials": 3})
    assert store.get_meta("settings") == {"metric": "loss", "num_trials": 3}
    assert store.get_meta("missing", 7) == 7


def test_numpy_values_are_written_as_numbers(tmp_path):
    store = SQLiteStore(tmp_path / "exp")
    store.append(ResultReported("0", 0, {"a": np.float32(2)}))
    store.close()
    (event,) = read_events(open_readonly(tmp_path / "exp"), tmp_path)
    assert event.metrics["a"] == 2.0


def test_what_the_fast_reader_refuses_is_read_back_exactly(tmp_path):
    store = SQLiteStore(tmp_path / "exp")
    metrics = {"nan": math.nan, "minus": -math.inf, "big": 2**80, "deep": {"x": [1, "a", None]}}
    store.append(ResultReported("0", 0, metrics))
    store.close()
    (event,) = read_events(open_readonly(tmp_path / "exp"), tmp_path)
    assert math.isnan(event.metrics.pop("nan"))
    assert event.metrics == {"minus": -math.inf, "big": 2**80, "deep": {"x": [1, "a", None]}}


def test_a_field_a_later_rung_wrote_is_left_out_and_the_record_read(tmp_path):
    _write_experiment(tmp_path / "exp")
    with closing(sqlite3.connect(tmp_path / "exp" / DB_NAME)) as connection:
        connection.execute(
            "UPDATE events SET body = json_set(body, '$.origin', 'imported') WHERE seq = 1"
        )
        connection.commit()
    assert read_events(open_readonly(tmp_path / "exp"), tmp_path) == EVENTS


def test_a_second_driver_on_the_same_directory_is_refused(tmp_path):
    first = SQLiteStore(tmp_path / "exp")
    with pytest.raises(ExperimentDirError, match="another driver is running the experiment"):
        SQLiteStore(tmp_path / "exp", create=False)
    first.close()
    SQLiteStore(tmp_path / "exp", create=False).close()


def test_an_existing_experiment_is_not_overwritten(tmp_path):
    SQLiteStore(tmp_path / "exp").close()
    with pytest.raises(ExperimentDirError, match="already holds an experiment; pass resume=True"):
        SQLiteStore(tmp_path / "exp")


def test_an_unknown_schema_version_is_refused_and_left_untouched(tmp_path):
    store = SQLiteStore(tmp_path / "exp")
    store.set_meta("schema_version", 99)
    store.close()
    path = tmp_path / "exp" / DB_NAME
    before = path.read_bytes()
    with pytest.raises(ExperimentDirError, match="schema version 99; this rung reads version 1"):
        SQLiteStore(tmp_path / "exp", create=False)
    with pytest.raises(ExperimentDirError, match="schema version 99"):
        rung.load(tmp_path / "exp")
    assert path.read_bytes() == before


def test_a_directory_that_is_not_an_experiment_is_refused(tmp_path):
    with pytest.raises(ExperimentDirError, match="is not a rung experiment"):
        rung.load(tmp_path)
    with pytest.raises(ExperimentDirError, match="nothing to resume"):
        SQLiteStore(tmp_path, create=False)
    (tmp_path / DB_NAME).write_text("not a database at all")
    with pytest.raises(ExperimentDirError, match="not a rung experiment database"):
        rung.load(tmp_path)
    sqlite3.connect(tmp_path / "other.db").execute(
        "CREATE TABLE meta (key, value)"
    ).connection.commit()
    os.replace(tmp_path / "other.db", tmp_path / DB_NAME)
    with pytest.raises(ExperimentDirError, match="has no rung schema version"):
        rung.load(tmp_path)


def test_commits_are_batched_in_time_and_forced_at_close(tmp_path):
    store = SQLiteStore(tmp_path / "exp", commit_interval_s=3600)
    reader = open_readonly(tmp_path / "exp")
    store.append(EVENTS[0])
    assert store.flush(), "the first flush commits at once"
    assert len(read_events(reader, tmp_path)) == 1
    store.append(EVENTS[1])
    store.set_meta("elapsed_s", 1.5)
    assert not store.flush(), "within the interval, events wait"
    assert len(read_events(reader, tmp_path)) == 1
    assert store.get_meta("elapsed_s") == 1.5, "a waiting value reads back"
    store.close()
    assert len(read_events(reader, tmp_path)) == 2, "closing commits what waited"


class _Signalling:
    """A connection that delivers a Ctrl-C to this process right after inserting a batch,
    inside the commit: the moment that once wrote a batch twice."""

    def __init__(self, connection):
        self.connection = connection

    def __enter__(self):
        return self.connection.__enter__()

    def __exit__(self, *exc):
        return self.connection.__exit__(*exc)

    def execute(self, *args):
        return self.connection.execute(*args)

    def executemany(self, sql, rows):
        cursor = self.connection.executemany(sql, rows)
        if sql.startswith("INSERT INTO events"):
            os.kill(os.getpid(), signal.SIGINT)
        return cursor

    def close(self):
        self.connection.close()


@pytest.mark.usefixtures("sigint_from_a_terminal")
def test_a_ctrl_c_inside_a_commit_writes_the_batch_once(tmp_path):
    store = SQLiteStore(tmp_path / "exp", commit_interval_s=0)
    store.append(EVENTS[0])
    real = store._connection
    store._connection = _Signalling(real)
    with InterruptGuard() as guard, pytest.raises(KeyboardInterrupt):
        guard.arm()
        store.flush()  # the Ctrl-C is raised once the commit and the clearing are done
    store._connection = real
    assert store.flush(), "nothing left to write"
    store.close()
    assert rung.store.sqlite.read_events(open_readonly(tmp_path / "exp"), tmp_path) == [EVENTS[0]]


class _FullDisk(_Signalling):
    def executemany(self, sql, rows):
        raise sqlite3.OperationalError("database or disk is full")


def test_a_commit_that_fails_keeps_its_batch_for_the_next(tmp_path):
    store = SQLiteStore(tmp_path / "exp", commit_interval_s=0)
    store.append(EVENTS[0])
    real = store._connection
    store._connection = _FullDisk(real)
    with pytest.raises(ExperimentDirError, match="disk is full"):
        store.flush()
    store._connection = real
    store.append(EVENTS[1])
    store.close()
    assert read_events(open_readonly(tmp_path / "exp"), tmp_path) == EVENTS[:2]


def _write_experiment(path):
    store = SQLiteStore(path)
    store.set_meta("settings", {"metric": "loss", "mode": "min"})
    for event in EVENTS:
        store.append(event)
    store.close()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("UPDATE events SET body = '{oops' WHERE seq = 2", r"record 2: not valid JSON"),
        ("UPDATE events SET body = '[1, 2]' WHERE seq = 2", r"record 2: not a JSON object"),
        (
            'UPDATE events SET body = \'{"type": "teleported"}\' WHERE seq = 2',
            r"record 2: unknown event kind 'teleported'",
        ),
        ("DELETE FROM events WHERE seq = 2", r"record 2 is missing \(the next is 3\)"),
        ("DELETE FROM events WHERE seq = 1", r"record 1 is missing"),
        (
            'UPDATE events SET body = \'{"type": "result", "trial_id": "00000"}\' WHERE seq = 2',
            r"record 2: a 'result' record that cannot be read",
        ),
    ],
)
def test_a_damaged_log_says_which_file_and_record(tmp_path, damage, message):
    _write_experiment(tmp_path / "exp")
    connection = sqlite3.connect(tmp_path / "exp" / DB_NAME)
    connection.execute(damage)
    connection.commit()
    connection.close()
    with pytest.raises(LogError, match=message) as raised:
        rung.load(tmp_path / "exp")
    assert DB_NAME in str(raised.value)


def test_a_damaged_database_file_says_so(tmp_path):
    _write_experiment(tmp_path / "exp")
    path = tmp_path / "exp" / DB_NAME
    data = bytearray(path.read_bytes())
    data[4096:8192] = b"\xff" * 4096  # the second page: garbage
    path.write_bytes(bytes(data))
    with pytest.raises(ExperimentDirError, match=f"{DB_NAME}.*disk image is malformed"):
        rung.load(tmp_path / "exp")

"""Every store keeps the same contract; the SQLite one also guards its directory."""

import math
import os
import sqlite3

import numpy as np
import pytest

import rung
from rung.store import ExperimentDirError, MemoryStore, SQLiteStore, open_readonly
from rung.store.sqlite import DB_NAME, read_records


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    made = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "exp")
    yield made
    made.close()


def test_records_come_back_in_order_with_their_values(store):
    records = [
        {"type": "created", "trial_id": "00000", "time": 0.0, "config": {"lr": 0.1}},
        {"type": "result", "trial_id": "00000", "time": 1.5, "metrics": {"loss": math.inf}},
        {"type": "ended", "trial_id": "00000", "time": 2.0, "status": "TERMINATED"},
    ]
    for record in records:
        store.append(record)
    store.flush()
    assert store.records() == records


def test_meta_values_round_trip(store):
    store.set_meta("settings", {"metric": "loss", "num_trials": 3})
    assert store.get_meta("settings") == {"metric": "loss", "num_trials": 3}
    assert store.get_meta("missing", 7) == 7


def test_numpy_values_are_written_as_numbers(tmp_path):
    store = SQLiteStore(tmp_path / "exp")
    store.append({"type": "result", "trial_id": "0", "time": 0, "metrics": {"a": np.float32(2)}})
    store.close()
    (record,) = read_records(open_readonly(tmp_path / "exp"))
    assert record["metrics"]["a"] == 2.0


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
    store.append({"type": "created", "trial_id": "0", "time": 0, "config": {}})
    store.flush()
    assert len(read_records(reader)) == 1, "the first flush commits at once"
    store.append({"type": "ended", "trial_id": "0", "time": 1, "status": "TERMINATED"})
    store.flush()
    assert len(read_records(reader)) == 1, "within the interval, records wait"
    store.close()
    assert len(read_records(reader)) == 2, "closing commits what waited"

"""Creating an experiment's log is all or nothing: a kill at any statement of its creation
leaves a folder that a new run, ``resume="auto"`` (a requeued batch job) and ``resume=True``
all handle, and a log an earlier rung left half-made is treated as the nothing it holds."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import pytest

import rung
from rung.events import TrialCreated
from rung.store import ExperimentDirError, SQLiteStore
from rung.store.sqlite import DB_NAME
from tests.trainables import returns_dict

SPACE = {"x": rung.uniform(0, 1)}

# A driver that SIGKILLs itself when SQLite starts its n-th statement: every statement
# before it ran, that one and none after.
KILLED_AT_STATEMENT = textwrap.dedent(
    """
    import os, signal, sqlite3, sys
    import rung
    from tests.trainables import returns_dict

    kill_at, statements, first_event = int(sys.argv[2]), 0, None
    connect = sqlite3.connect

    def count(statement):
        global statements, first_event
        statements += 1
        if first_event is None and statement.startswith("INSERT INTO events"):
            first_event = statements
        if statements == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def traced(*args, **kwargs):
        connection = connect(*args, **kwargs)
        connection.set_trace_callback(count)
        return connection

    sqlite3.connect = traced
    rung.run(
        returns_dict, {"x": rung.uniform(0, 1)}, metric="loss", mode="min", num_trials=2,
        executor="inline", storage_path=sys.argv[1], name="exp", verbose=0, seed=0,
    )
    print("FIRST EVENT AT STATEMENT", first_event)
    """
)


def run_new(root, resume):
    return rung.run(
        returns_dict,
        SPACE,
        metric="loss",
        mode="min",
        num_trials=2,
        executor="inline",
        storage_path=root,
        name="exp",
        verbose=0,
        seed=0,
        resume=resume,
    )


def half_made_log(folder, stage):
    """What an earlier rung left when killed while creating its log."""
    folder.mkdir(parents=True)
    connection = sqlite3.connect(folder / DB_NAME)
    connection.execute("PRAGMA journal_mode=wal")  # the WAL header, no table yet
    if stage == "schema":
        connection.executescript(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, trial_id TEXT "
            "NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL);"
        )
    # Left open, as a killed process leaves it: the -wal file stays beside the database.
    return connection


@pytest.mark.parametrize("stage", ["wal-header", "schema"])
@pytest.mark.parametrize("resume", ["auto", False])
def test_a_half_made_log_is_replaced_by_a_new_run(tmp_path, stage, resume):
    left = half_made_log(tmp_path / "exp", stage)
    results = run_new(tmp_path, resume)
    left.close()
    assert len(results.trials) == 2
    assert len(rung.load(tmp_path / "exp").trials) == 2


@pytest.mark.parametrize("stage", ["wal-header", "schema"])
def test_resuming_a_half_made_log_says_there_is_nothing_to_resume(tmp_path, stage):
    half_made_log(tmp_path / "exp", stage).close()
    with pytest.raises(ExperimentDirError, match=r"holds no experiment.*nothing to resume"):
        run_new(tmp_path, True)
    assert len(run_new(tmp_path, "auto").trials) == 2, "and it can still be started"


def test_a_new_log_appears_whole_with_its_settings(tmp_path):
    store = SQLiteStore(tmp_path / "exp", meta={"settings": {"metric": "loss"}})
    assert store.get_meta("settings") == {"metric": "loss"}
    assert not (tmp_path / "exp" / f"{DB_NAME}.partial").exists()
    store.close()


def test_a_log_with_events_but_no_version_is_not_taken_for_a_half_made_one(tmp_path):
    store = SQLiteStore(tmp_path / "exp")
    store.append(TrialCreated("00000", 0.0, {"x": 0.5}))
    store.close()
    with sqlite3.connect(tmp_path / "exp" / DB_NAME) as connection:
        connection.execute("DELETE FROM meta")
    with pytest.raises(ExperimentDirError, match="already holds an experiment"):
        SQLiteStore(tmp_path / "exp")
    with pytest.raises(ExperimentDirError, match="has no rung schema version"):
        SQLiteStore(tmp_path / "exp", create=False)


def test_a_kill_at_any_statement_of_the_creation_leaves_a_folder_that_runs(tmp_path):
    script = tmp_path / "driver.py"
    script.write_text(KILLED_AT_STATEMENT)

    def driver(root, kill_at):
        return subprocess.run(
            [sys.executable, str(script), str(root), str(kill_at)],
            capture_output=True,
            text=True,
            timeout=120,
        )

    unbroken = driver(tmp_path / "unbroken", 0)
    assert unbroken.returncode == 0, unbroken.stderr
    # Every statement from the log's creation to its first event (the first trial's).
    first_event = int(unbroken.stdout.split()[-1])
    assert first_event > 10, "the creation is several statements"
    for kill_at in range(1, first_event + 1):
        root = tmp_path / f"killed-{kill_at}"
        killed = driver(root, kill_at)
        assert killed.returncode == -9, (kill_at, killed.stderr)
        results = run_new(root, "auto")
        assert len(results.trials) == 2, kill_at
        assert sorted(rung.load(root / "exp").dataframe()["status"]) == ["TERMINATED"] * 2

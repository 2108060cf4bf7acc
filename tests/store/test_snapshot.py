"""The snapshot a driver keeps when it closes the log: readers that start from it fold the
same trials as a replay of the whole log, status reads its summary only when it covers the
whole log, and one this rung cannot read is passed over."""

from __future__ import annotations

import dataclasses
import json
import math
import sqlite3
import subprocess
import sys

import pytest

import rung
import rung.store.snapshot
import rung.view
from rung.store.sqlite import DB_NAME, open_readonly, read_events, read_snapshot
from rung.view import FolderView, TrialFold, open_view
from tests import trainables


def replayed(folder):
    """The trials a replay of the whole log makes, with no snapshot."""
    connection = open_readonly(folder)
    try:
        fold = TrialFold()
        for event in read_events(connection, folder / DB_NAME):
            fold.apply(event)
        return fold
    finally:
        connection.close()


def finished(tmp_path, trainable, space, num_trials, **settings):
    """The folder of a finished experiment under ``tmp_path``."""
    rung.run(
        trainable,
        space,
        metric="loss",
        mode="min",
        storage_path=tmp_path,
        name="exp",
        num_trials=num_trials,
        verbose=0,
        **settings,
    )
    return tmp_path / "exp"


def same_trials(view, fold):
    assert view.position == fold.position and view.imported == fold.imported
    assert list(view.trials) == list(fold.trials)
    for trial_id, trial in fold.trials.items():
        mine = view.trials[trial_id]
        for item in dataclasses.fields(trial):
            ours, theirs = getattr(mine, item.name), getattr(trial, item.name)
            assert repr(ours) == repr(theirs), f"trial {trial_id}: {item.name} differs"


def nan_and_failures(config):
    """NaN, a failure, and a plain result: what JSON must carry exactly."""
    if config["x"] < 0.2:
        raise ValueError("fails on purpose")
    rung.report(loss=math.nan if config["x"] < 0.4 else config["x"], extra=float("inf"))


GRID = {"x": rung.grid([0.1, 0.3, 0.6, 0.9])}  # one failure, one NaN, two results
EXPERIMENTS = {
    "asha": dict(
        trainable=trainables.quadratic,
        space={"x": rung.uniform(0, 1)},
        scheduler={"name": "asha", "max_t": 5, "grace_period": 1},
        num_trials=8,
    ),
    "pbt": dict(
        trainable=trainables.trains_with_history,
        space={"lr": rung.uniform(0.0, 0.1)},
        scheduler={
            "name": "pbt",
            "perturbation_interval": 2,
            "hyperparam_mutations": {"lr": rung.uniform(0.0, 0.1)},
        },
        num_trials=4,
        max_iterations=8,
        checkpoint_keep=2,
    ),
    "failures": dict(trainable=nan_and_failures, space=GRID, num_trials=4),
}


@pytest.mark.parametrize("kind", sorted(EXPERIMENTS))
def test_a_reader_from_the_snapshot_folds_what_a_replay_does(tmp_path, monkeypatch, kind):
    folder = finished(tmp_path, **EXPERIMENTS[kind], executor="inline", seed=1)
    connection = open_readonly(folder)
    assert read_snapshot(connection, folder / DB_NAME) is not None, "the driver kept one"
    connection.close()
    fold = replayed(folder)
    reads = []

    def reading(connection, path, after=0, limit=None):
        reads.append(after)
        return read_events(connection, path, after, limit)

    monkeypatch.setattr(rung.view, "read_events", reading)
    with open_view(folder) as view:
        same_trials(view, fold)
    assert reads == [fold.position], "the reader started at the snapshot, past every record"


def run_then_resume(tmp_path):
    """An experiment resumed for more trials, its snapshot put back to the first run's."""
    common = dict(metric="loss", mode="min", storage_path=tmp_path, name="exp", verbose=0, seed=0)
    rung.run(trainables.quadratic, {"x": rung.uniform(0, 1)}, num_trials=3, **common)
    database = tmp_path / "exp" / DB_NAME
    with sqlite3.connect(database) as connection:
        first = connection.execute("SELECT * FROM snapshot").fetchone()
        parts = connection.execute("SELECT * FROM snapshot_part").fetchall()
    rung.run(trainables.quadratic, {"x": rung.uniform(0, 1)}, num_trials=6, resume=True, **common)
    with sqlite3.connect(database) as connection:
        connection.execute("DELETE FROM snapshot")
        connection.execute("INSERT INTO snapshot VALUES (?, ?, ?, ?)", first)
        connection.execute("DELETE FROM snapshot_part")
        connection.executemany("INSERT INTO snapshot_part VALUES (?, ?)", parts)
    return tmp_path / "exp", first[0]


def test_a_snapshot_from_before_a_resume_is_followed_by_the_records_after_it(tmp_path):
    folder, position = run_then_resume(tmp_path)
    fold = replayed(folder)
    assert position < fold.position
    with open_view(folder) as view:
        same_trials(view, fold)
        assert len(view.trials) == 6
    with FolderView(folder) as view:
        summary = view.summary()
    assert sum(summary["counts"].values()) == 6, "status folds past an older snapshot"


def test_one_this_rung_cannot_read_is_passed_over(tmp_path):
    folder = finished(tmp_path, trainables.quadratic, {"x": rung.uniform(0, 1)}, 3)
    with sqlite3.connect(folder / DB_NAME) as connection:
        connection.execute(
            "UPDATE snapshot SET body = ?, summary = ?", ('{"version": 99}', "not json")
        )
        connection.execute("UPDATE snapshot_part SET rows = '[[1, 2]]'")
    with open_view(folder) as view:
        same_trials(view, replayed(folder))
    with FolderView(folder) as view:
        assert sum(view.summary()["counts"].values()) == 3


def status_of(folder):
    done = subprocess.run(
        [sys.executable, "-m", "rung.cli", "status", str(folder)],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_status_from_the_summary_says_what_a_replay_says(tmp_path):
    folder = finished(tmp_path, nan_and_failures, GRID, 4)
    from_summary = status_of(folder)
    with sqlite3.connect(folder / DB_NAME) as connection:
        connection.execute("DELETE FROM snapshot")
    assert status_of(folder) == from_summary
    assert "best loss (min) = 0.6" in from_summary and "'ERROR': 1" in from_summary


def test_records_rewritten_since_the_snapshot_are_replayed_as_they_now_are(tmp_path):
    folder = finished(tmp_path, trainables.returns_dict, {"x": rung.uniform(0, 1)}, 2)
    with sqlite3.connect(folder / DB_NAME) as connection:
        seq, body = connection.execute(
            "SELECT seq, body FROM events WHERE type = 'result' LIMIT 1"
        ).fetchone()
        record = json.loads(body)
        record["metrics"]["loss"] = 12345.0
        connection.execute("UPDATE events SET body = ? WHERE seq = ?", (json.dumps(record), seq))
    with open_view(folder) as view:
        same_trials(view, replayed(folder))
        assert view.trials[record["trial_id"]].results[-1]["loss"] == 12345.0


def test_a_snapshot_in_parts_is_read_whole_or_not_at_all(tmp_path, monkeypatch):
    monkeypatch.setattr(rung.store.snapshot, "PART_TRIALS", 2)
    folder = finished(tmp_path, trainables.returns_dict, {"x": rung.uniform(0, 1)}, 5)
    database = folder / DB_NAME
    connection = open_readonly(folder)
    position, trials, _ = read_snapshot(connection, database)
    connection.close()
    assert len(trials) == 5 and position == replayed(folder).position
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM snapshot_part").fetchone() == (3,)
        connection.execute("DELETE FROM snapshot_part WHERE part = 2")
    connection = open_readonly(folder)
    assert read_snapshot(connection, database) is None, "a part missing: the log is replayed"
    connection.close()
    with open_view(folder) as view:
        same_trials(view, replayed(folder))

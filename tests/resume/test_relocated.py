"""An experiment folder is relocatable: its log records checkpoints relative to the folder,
so a moved copy resumes from its own checkpoints, and a copy and its original resume
independently. And nothing rung deletes lies outside the folder's ``trials/``, whatever a
damaged or edited log says."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import warnings

import pytest

import rung
from rung.events import LogError
from rung.store.sqlite import DB_NAME
from rung.trial import TrialStatus
from tests import trainables
from tests.resume.crash import run_until_crash


def tune(root, name, resume=False):
    return rung.run(
        trainables.resumable,
        {"x": rung.uniform(0, 1)},
        metric="loss",
        mode="min",
        num_trials=3,
        executor="inline",
        checkpoint_keep=1,
        storage_path=root,
        name=name,
        verbose=0,
        seed=0,
        resume=resume,
    )


def crashed_with_a_checkpoint(root, monkeypatch):
    """An experiment killed while a trial runs with its second checkpoint on record (the
    first one let go); returns that trial as the log has it."""
    for crash_at in range(2, 30):
        shutil.rmtree(root / "a", ignore_errors=True)
        crashed, _ = run_until_crash(monkeypatch, crash_at, lambda: tune(root, "a"))
        assert crashed
        running = [t for t in rung.load(root / "a").trials if t.status is TrialStatus.RUNNING]
        if running and running[0].checkpoint_iteration >= 2:
            return running[0]
    raise AssertionError("no kill left a trial running with two checkpoints")


def files(folder):
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != DB_NAME
    }


def resume_quietly(root, name):
    """Resume, failing on any warning of a missing checkpoint."""
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        results = tune(root, name, resume=True)
    assert not [w for w in warned if "missing" in str(w.message)]
    return results


def went_on_from_its_checkpoint(results, trial):
    after = results.trials[int(trial.trial_id)]
    epochs = [r["epoch"] for r in after.results]
    assert epochs[len(trial.results)] == trial.checkpoint_iteration + 1
    assert after.status is TrialStatus.TERMINATED


def test_a_copy_and_its_original_resume_independently(tmp_path, monkeypatch):
    trial = crashed_with_a_checkpoint(tmp_path, monkeypatch)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    original = files(tmp_path / "a")
    copy = resume_quietly(tmp_path, "b")
    assert files(tmp_path / "a") == original, "resuming the copy left the original as it was"
    went_on_from_its_checkpoint(copy, trial)
    assert copy.best_checkpoint.startswith(str(tmp_path / "b" / "trials"))
    resumed = resume_quietly(tmp_path, "a")
    went_on_from_its_checkpoint(resumed, trial)
    assert [t.last_result["loss"] for t in resumed.trials] == [
        t.last_result["loss"] for t in copy.trials
    ]
    assert os.path.isdir(resumed.best_checkpoint)
    assert resumed.best_checkpoint.startswith(str(tmp_path / "a" / "trials"))


def test_a_moved_experiment_resumes_from_its_checkpoints(tmp_path, monkeypatch):
    trial = crashed_with_a_checkpoint(tmp_path, monkeypatch)
    (tmp_path / "elsewhere").mkdir()
    os.rename(tmp_path / "a", tmp_path / "elsewhere" / "a")
    moved = resume_quietly(tmp_path / "elsewhere", "a")
    went_on_from_its_checkpoint(moved, trial)
    loaded = rung.load(tmp_path / "elsewhere" / "a")
    assert loaded.best_checkpoint == moved.best_checkpoint
    assert os.path.isdir(loaded.best_checkpoint)
    assert loaded.best_checkpoint.startswith(str(tmp_path / "elsewhere" / "a" / "trials"))


def delete_record(folder, path):
    body = {"type": "checkpoint_deleted", "trial_id": "00000", "time": 0.0, "path": path}
    with sqlite3.connect(folder / DB_NAME) as connection:
        connection.execute(
            "INSERT INTO events (trial_id, type, body) VALUES ('00000', ?, ?)",
            ("checkpoint_deleted", json.dumps(body)),
        )
        return connection.execute("SELECT MAX(seq) FROM events").fetchone()[0]


@pytest.mark.parametrize("where", ["absolute", "dot-dot", "symbolic-link", "trials", "relative"])
def test_resume_deletes_nothing_outside_the_trials_folder(tmp_path, where):
    tune(tmp_path, "exp")
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    folder = tmp_path / "exp"
    recorded = {
        "absolute": str(victim),
        "dot-dot": "trials/../../victim",
        "symbolic-link": "trials/00000/checkpoints/link",
        "trials": "trials",
        "relative": "../victim",
    }[where]
    if where == "symbolic-link":
        os.symlink(victim, folder / recorded)
    seq = delete_record(folder, recorded)
    with pytest.raises(LogError, match=rf"record {seq} \(trial 00000\).*{recorded!r}.*outside"):
        tune(tmp_path, "exp", resume=True)
    assert (victim / "precious.txt").read_text() == "keep me"
    assert (folder / "trials" / "00001").is_dir()

"""A checkpoint gone from disk when a trial restarts: the warning names the trial and the
folder, and the trial restarts from its latest earlier checkpoint still there, or from
scratch, with its iteration count following."""

from __future__ import annotations

import shutil

import pytest

import rung
from rung.trial import TrialStatus
from tests import trainables
from tests.resume.crash import run_until_crash


def tune(tmp_path, resume=False, verbose=0):
    return rung.run(
        trainables.resumable,
        {"x": rung.uniform(0, 1)},
        metric="loss",
        mode="min",
        num_trials=2,
        executor="inline",
        storage_path=tmp_path,
        name="exp",
        verbose=verbose,
        resume=resume,
    )


def crash_with_checkpoints(tmp_path, monkeypatch):
    """Kill the run once a trial is running with two checkpoints on record."""
    for crash_at in range(2, 30):
        shutil.rmtree(tmp_path / "exp", ignore_errors=True)
        crashed, _ = run_until_crash(monkeypatch, crash_at, lambda: tune(tmp_path))
        assert crashed
        running = [t for t in rung.load(tmp_path / "exp").trials if t.status is TrialStatus.RUNNING]
        if running and len(running[0].checkpoints) >= 2:
            return running[0]
    raise AssertionError("no kill left a trial running with two checkpoints")


def test_a_missing_checkpoint_falls_back_to_the_earlier_one(tmp_path, monkeypatch):
    trial = crash_with_checkpoints(tmp_path, monkeypatch)
    latest, earlier = (str(tmp_path / "exp" / c["path"]) for c in trial.checkpoints[-2:][::-1])
    iteration = trial.checkpoints[-2]["iteration"]
    shutil.rmtree(latest)
    with pytest.warns(rung.RungWarning) as warned:
        resumed = tune(tmp_path, resume=True)
    (message,) = [str(w.message) for w in warned if "missing" in str(w.message)]
    assert message == (
        f"trial {trial.trial_id}: its checkpoint {latest} is missing; it restarts "
        f"from its earlier checkpoint {earlier} (iteration {iteration})"
    )
    after = resumed.trials[int(trial.trial_id)]
    epochs = [r["epoch"] for r in after.results]
    assert epochs[len(trial.results) :][0] == iteration + 1
    assert [r["training_iteration"] for r in after.results] == epochs
    assert after.status is TrialStatus.TERMINATED


def test_with_no_checkpoint_left_the_trial_restarts_from_scratch(tmp_path, monkeypatch):
    trial = crash_with_checkpoints(tmp_path, monkeypatch)
    for checkpoint in trial.checkpoints:
        shutil.rmtree(tmp_path / "exp" / checkpoint["path"])
    with pytest.warns(rung.RungWarning, match="restarts from scratch") as warned:
        resumed = tune(tmp_path, resume=True)
    latest = str(tmp_path / "exp" / trial.checkpoints[-1]["path"])
    assert any(latest in str(w.message) for w in warned)
    after = resumed.trials[int(trial.trial_id)]
    assert after.results[len(trial.results)]["epoch"] == 1
    assert after.results[len(trial.results)]["training_iteration"] == 1
    assert after.checkpoints and all(c["path"] for c in after.checkpoints)


def test_the_resume_line_says_which_trials_restart_from_where(tmp_path, monkeypatch, capsys):
    trial = crash_with_checkpoints(tmp_path, monkeypatch)
    shutil.rmtree(tmp_path / "exp" / trial.checkpoints[0]["path"])  # one gone, one left
    capsys.readouterr()
    tune(tmp_path, resume=True, verbose=1)
    said = capsys.readouterr().out
    assert f"interrupted, restarting: 1 from their last checkpoint ['{trial.trial_id}']" in said
    assert "checkpoint ," not in said and "[]" not in said

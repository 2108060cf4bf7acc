"""The experiment directory: names stay inside storage_path, a finished experiment loads
from a read-only location, and a resume cleans up what a crash left behind."""

from __future__ import annotations

import json
import subprocess

import pytest

import rung
from rung.callbacks.files import result_parts
from rung.store.sqlite import DB_NAME
from tests import trainables

X = {"x": rung.uniform(0, 1)}


def tune(storage, name="exp", num_trials=4, **kwargs):
    return rung.run(
        trainables.quadratic,
        X,
        metric="loss",
        mode="min",
        num_trials=num_trials,
        storage_path=storage,
        name=name,
        executor="inline",
        verbose=0,
        **kwargs,
    )


@pytest.mark.parametrize("name", ["", "  ", ".", "..", "../outside", "a/b", "/tmp/absolute"])
def test_a_name_that_is_not_one_folder_is_refused_before_anything_is_written(tmp_path, name):
    storage = tmp_path / "storage"
    storage.mkdir()
    with pytest.raises(rung.ConfigError, match="name="):
        tune(storage, name)
    assert list(tmp_path.rglob("*")) == [storage], "nothing written anywhere"


@pytest.fixture
def read_only_copy(tmp_path):
    """A read-only view of ``tmp_path / "rw"`` (a read-only bind mount), or a skip saying
    why one cannot be made here."""
    source, view = tmp_path / "rw", tmp_path / "ro"
    source.mkdir()
    view.mkdir()
    mounted = subprocess.run(["mount", "--bind", str(source), str(view)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"a read-only bind mount needs mount privileges: {mounted.stderr!r}")
    subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True)
    yield source, view
    subprocess.run(["umount", str(view)], check=True)


def test_a_finished_experiment_loads_from_a_read_only_location(read_only_copy):
    source, view = read_only_copy
    results = tune(source)
    assert sorted(p.name for p in (source / "exp").glob(f"{DB_NAME}*")) == [DB_NAME], (
        "a finished log is one file"
    )
    with pytest.raises(OSError):
        (view / "exp" / "probe").write_text("")
    loaded = rung.load(view / "exp")
    assert [t.results for t in loaded.trials] == [t.results for t in results.trials]
    assert loaded.best_config == results.best_config


def test_a_resume_removes_what_the_log_never_recorded(tmp_path):
    tune(tmp_path, num_trials=2)
    orphan = tmp_path / "exp" / "trials" / "00002"
    (orphan / "checkpoints" / "ckpt_000001").mkdir(parents=True)
    with open(result_parts(tmp_path / "exp")[-1], "a") as part:
        part.write('{"trial_id": "00002", "loss": 99.0}\n')
    resumed = tune(tmp_path, num_trials=3, resume=True)
    new = resumed.trials[2]
    assert new.trial_id == "00002"
    rows = [json.loads(line) for part in result_parts(tmp_path / "exp") for line in part.open()]
    assert [r for r in rows if r["trial_id"] == "00002"] == [
        {"trial_id": "00002", **r} for r in new.results
    ], "the id's rows are its new trial's only"
    assert len(rows) == sum(len(t.results) for t in resumed.trials)
    assert not (orphan / "checkpoints").exists()

"""checkpoint_keep: the last N and the best N of each trial stay, the rest is deleted."""

import os

import pytest

import rung
from rung.checkpoint import CheckpointKeep, load_checkpoint, located_path
from tests import trainables

X = {"x": rung.uniform(0, 0.5)}


def kept_epochs(results, trial):
    folder = os.path.join(os.path.dirname(located_path(trial.checkpoint, results.path)), "")
    names = sorted(os.listdir(folder))
    return [load_checkpoint(os.path.join(folder, name))["epoch"] for name in names]


def test_the_last_n_are_kept(tune, tmp_path):
    results = tune(trainables.peaks_early, X, num_trials=2, checkpoint_keep=2, name="exp")
    for trial in results.trials:
        assert kept_epochs(results, trial) == [5, 6]
        assert [os.path.basename(c["path"]) for c in trial.checkpoints] == [
            "ckpt_000005",
            "ckpt_000006",
        ]


def test_the_best_are_kept_and_best_checkpoint_points_to_one(tune, tmp_path):
    results = tune(
        trainables.peaks_early, X, num_trials=2, name="exp", checkpoint_keep={"last": 1, "best": 1}
    )
    for trial in results.trials:
        assert kept_epochs(results, trial) == [2, 6]
    # The state behind best_result (the last report), not the best-scoring checkpoint.
    assert results.best_result["epoch"] == 6
    assert rung.load_checkpoint(results.best_checkpoint)["epoch"] == 6
    loaded = rung.load(tmp_path / "exp")
    assert loaded.best_checkpoint == results.best_checkpoint
    assert os.path.isdir(loaded.best_checkpoint)


def test_all_are_kept_by_default(tune):
    results = tune(trainables.peaks_early, X, num_trials=1)
    assert kept_epochs(results, results.trials[0]) == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("spec", [0, -1, {"newest": 2}, {"last": 0, "best": 0}, "2", True])
def test_bad_settings_say_what_is_allowed(spec):
    with pytest.raises(rung.ConfigError, match="checkpoint_keep="):
        CheckpointKeep.of(spec)


def test_a_checkpoint_in_use_is_never_deleted():
    keep = CheckpointKeep(last=1)
    checkpoints = [{"path": p, "score": None} for p in ("a", "b", "c")]
    assert keep.superseded(checkpoints, in_use={"a"}) == ["b"]

"""The read-only view of an experiment: one fold of its log, read a piece at a time, handed
to callbacks and opened on folders by ``rung.load`` and ``rung status``."""

import hashlib

import pytest

import rung
from rung.callbacks import Callback
from rung.store.sqlite import ExperimentDirError
from rung.view import ExperimentView, open_view
from tests import trainables
from tests.snapshots import drop_snapshot

X = {"x": rung.uniform(0, 1)}


class Handed(Callback):
    """Keeps what the driver hands over, and checks that its trials are the driver's."""

    def __init__(self):
        self.handed = None
        self.seen = []

    def on_experiment_start(self, experiment):
        self.handed = experiment

    def on_trial_result(self, trial, result):
        self.seen.append(self.handed.trials[trial.trial_id].results[-1] is result)


def test_a_view_folds_only_what_is_new_and_ends_where_the_log_does(tune, tmp_path):
    tune(trainables.quadratic, X, num_trials=3, name="exp", executor="inline")
    view = open_view(tmp_path / "exp")
    first = view.position
    assert first == len(view.records()) and len(view.trials) == 3
    results = tune(
        trainables.quadratic, X, num_trials=6, name="exp", executor="inline", resume=True
    )
    new = view.refresh()  # what the resumed run wrote, and only that
    assert len(new) == view.position - first > 0
    assert new == view.records(after=first)
    assert view.refresh() == []  # nothing new: nothing read, nothing folded
    assert [t.results for t in view.trials.values()] == [t.results for t in results.trials]
    assert view.results().best_trial.trial_id == results.best_trial.trial_id
    with open_view(tmp_path / "exp") as fresh:
        assert fresh.position == view.position
        assert fresh.results().dataframe().equals(view.results().dataframe())
    view.close()


def test_a_log_read_a_part_at_a_time_folds_to_what_it_is_read_whole(tune, tmp_path):
    tune(trainables.quadratic, X, num_trials=5, name="exp", executor="inline")
    drop_snapshot(tmp_path / "exp")  # as while it runs: a reader starts from the first record
    whole = open_view(tmp_path / "exp")
    parts = open_view(tmp_path / "exp", limit=3)
    assert parts.position == 3 and parts.length() == whole.position
    while parts.refresh(limit=4):
        assert parts.position <= whole.position
    assert parts.position == whole.position
    assert parts.results().dataframe().equals(whole.results().dataframe())
    whole.close()
    parts.close()


def test_callbacks_get_the_drivers_view_not_the_driver(tune, tmp_path):
    keeper = Handed()
    tune(trainables.quadratic, X, num_trials=2, name="exp", executor="inline", callbacks=[keeper])
    handed = keeper.handed
    assert type(handed) is ExperimentView
    assert not hasattr(handed, "executor") and not hasattr(handed, "store")
    assert keeper.seen and all(keeper.seen)  # its trials are the driver's
    assert handed.run.searcher == "RandomSearch" and handed.run.executor == "InlineExecutor"
    assert handed.run.persistent and handed.run.num_trials == 2
    assert handed.trial_dir("00001") == str(tmp_path / "exp" / "trials" / "00001")


def test_opening_a_view_writes_nothing(tune, tmp_path):
    tune(trainables.quadratic, X, num_trials=3, name="exp", executor="inline")
    folder = tmp_path / "exp"

    def contents():
        return {
            p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.rglob("*")
            if p.is_file()
        }

    before = contents()
    with open_view(folder) as view:
        view.refresh()
        assert len(view.trials) == 3
        assert view.run.searcher == "random" and view.run.slots == 0
    assert contents() == before


def test_a_folder_that_is_not_an_experiment_is_named(tmp_path):
    with pytest.raises(ExperimentDirError, match=f"{tmp_path.name} is not a rung experiment"):
        open_view(tmp_path)

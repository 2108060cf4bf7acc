"""An experiment directory survives the driver: load it while it runs, resume it after a kill."""

import pytest

import rung
from rung.callbacks import Callback
from tests import trainables

X = {"x": rung.uniform(0, 1)}


def test_load_gives_the_same_results_as_run(tune, tmp_path):
    results = tune(trainables.quadratic, X, num_trials=5, name="exp", executor="inline")
    loaded = rung.load(tmp_path / "exp")
    assert [t.trial_id for t in loaded.trials] == [t.trial_id for t in results.trials]
    assert [t.results for t in loaded.trials] == [t.results for t in results.trials]
    assert loaded.best_config == results.best_config
    assert loaded.stop_reason == results.stop_reason
    assert loaded.dataframe().equals(results.dataframe())


class LoadsWhileRunning(Callback):
    def __init__(self, path):
        self.path = path
        self.seen = []

    def on_trial_end(self, trial):
        self.seen.append(len(rung.load(self.path).trials))


def test_load_works_while_the_experiment_runs(tune, tmp_path):
    watcher = LoadsWhileRunning(tmp_path / "exp")
    tune(
        trainables.quadratic,
        X,
        num_trials=4,
        name="exp",
        executor="inline",
        max_concurrent=1,
        callbacks=[watcher],
    )
    # Writes are batched (at most 50 ms apart): a reader sees a consistent, growing prefix.
    assert watcher.seen == sorted(watcher.seen) and watcher.seen[-1] <= 3
    assert len(rung.load(tmp_path / "exp").trials) == 4


def test_resume_of_a_finished_experiment_runs_nothing_more(tune, tmp_path):
    first = tune(trainables.quadratic, X, num_trials=4, name="exp", executor="inline")
    again = tune(trainables.quadratic, X, num_trials=4, name="exp", executor="inline", resume=True)
    assert [t.results for t in again.trials] == [t.results for t in first.trials]


def test_resume_needs_a_named_stored_experiment(tune, tmp_path):
    with pytest.raises(rung.ConfigError, match="resume=True needs the name"):
        tune(trainables.quadratic, X, num_trials=4, resume=True)
    with pytest.raises(rung.ConfigError, match="nothing to resume"):
        tune(trainables.quadratic, X, num_trials=4, name="missing", resume=True)


def test_a_resumed_run_proposes_what_an_uninterrupted_one_would(tune, tmp_path):
    for searcher in ("random", "quasirandom"):
        whole = tune(
            trainables.returns_dict,
            X,
            num_trials=6,
            executor="inline",
            searcher=searcher,
            name=f"whole-{searcher}",
        )
        tune(
            trainables.returns_dict,
            X,
            num_trials=3,
            executor="inline",
            searcher=searcher,
            name=f"parts-{searcher}",
        )
        resumed = tune(
            trainables.returns_dict,
            X,
            num_trials=6,
            executor="inline",
            searcher=searcher,
            name=f"parts-{searcher}",
            resume=True,
        )
        assert [t.config for t in resumed.trials] == [t.config for t in whole.trials]


def test_a_resumed_model_based_search_keeps_its_start_and_its_observations(tune, tmp_path):
    whole = tune(
        trainables.returns_dict, X, num_trials=10, executor="inline", searcher="tpe", name="whole"
    )
    tune(trainables.returns_dict, X, num_trials=4, executor="inline", searcher="tpe", name="part")
    searcher = rung.searchers.TPESearch()
    resumed = tune(
        trainables.returns_dict,
        X,
        num_trials=16,
        executor="inline",
        searcher=searcher,
        name="part",
        resume=True,
    )
    # The quasi-random start continues where it stopped, and the model saw every trial.
    configs = [t.config for t in resumed.trials]
    assert configs[:10] == [t.config for t in whole.trials]
    assert len(searcher.observed) == 16 and len(set(map(str, configs))) == 16


def test_resume_auto_starts_an_experiment_then_continues_it(tmp_path):
    def tune(num_trials):
        return rung.run(
            lambda config: {"loss": config["x"]},
            {"x": rung.uniform(0, 1)},
            metric="loss",
            mode="min",
            num_trials=num_trials,
            executor="inline",
            storage_path=tmp_path,
            name="exp",
            seed=0,
            verbose=0,
            resume="auto",
        )

    first = tune(3)
    again = tune(5)
    assert [t.config for t in again.trials[:3]] == [t.config for t in first.trials]
    assert len(again.trials) == 5
    with pytest.raises(rung.ConfigError, match="resume='yes'"):
        rung.run(lambda c: None, {"x": 1}, metric="loss", mode="min", num_trials=1, resume="yes")


def test_a_strategy_setting_added_later_at_its_default_does_not_block_a_resume(tmp_path):
    from rung.store.sqlite import SQLiteStore

    def tune(**kwargs):
        return rung.run(
            trainables.returns_dict,
            {"x": rung.uniform(0, 1)},
            metric="loss",
            mode="min",
            searcher="gp",
            executor="inline",
            storage_path=tmp_path,
            name="old",
            verbose=0,
            seed=0,
            **kwargs,
        )

    tune(num_trials=2)
    store = SQLiteStore(tmp_path / "old", create=False)
    settings = store.get_meta("settings")
    del settings["searcher"]["max_data"]  # as an experiment from before GPSearch had it
    store.set_meta("settings", settings)
    store.flush(force=True)
    store.close()
    assert len(tune(num_trials=3, resume=True).trials) == 3
    with pytest.raises(rung.ConfigError, match="searcher"):
        rung.run(
            trainables.returns_dict, {"x": rung.uniform(0, 1)}, metric="loss", mode="min",
            searcher={"name": "gp", "max_data": 50}, executor="inline", storage_path=tmp_path,
            name="old", verbose=0, seed=0, num_trials=4, resume=True,
        )  # fmt: skip

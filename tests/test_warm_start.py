"""Warm start: finished trials from another experiment, its Results, a DataFrame, pairs or
an Optuna study enter the log as imported trials; the searcher learns from them, they rank
as the experiment's own, nothing is run again, and what no longer fits is said."""

import warnings

import numpy as np
import pytest

import rung
from rung.errors import ConfigError, RungWarning
from rung.events import TrialStatus

SPACE = {"x": rung.uniform(0, 1), "y": rung.uniform(0, 1)}


def bowl(config):
    rung.report(loss=(config["x"] - 0.8) ** 2 + (config["y"] - 0.2) ** 2)


def counted(calls):
    def train(config):
        calls.append(config)
        bowl(config)

    return train


def test_a_folder_warm_starts_a_run_that_reruns_nothing(tune, tmp_path):
    old = tune(bowl, SPACE, num_trials=20, name="old", executor="inline")
    calls = []
    new = tune(
        counted(calls),
        SPACE,
        num_trials=5,
        name="new",
        warm_start=tmp_path / "old",
        executor="inline",
    )
    assert len(calls) == 5, "num_trials counts the new trials only; none is run again"
    imported = [t for t in new.trials if t.imported_from is not None]
    assert len(imported) == 20 and all(t.status is TrialStatus.TERMINATED for t in imported)
    assert {t.trial_id for t in new.trials} >= {f"{i:05d}" for i in range(5)}
    assert new.best_result["loss"] <= old.best_result["loss"], "they count as best"
    loaded = rung.load(tmp_path / "new")
    assert [t.trial_id for t in loaded.trials] == [t.trial_id for t in new.trials]
    assert loaded.best_trial.trial_id == new.best_trial.trial_id


def test_results_a_dataframe_and_pairs_import_alike(tune):
    old = tune(bowl, SPACE, num_trials=12, name="old", executor="inline")
    pairs = [(t.config, t.results) for t in old.trials]
    bests = set()
    for name, source in [
        ("results", old),
        ("frame", old.dataframe()),
        ("pairs", pairs),
        ("last", [(config, results[-1]) for config, results in pairs]),
    ]:
        new = tune(bowl, SPACE, num_trials=1, name=name, warm_start=source, executor="inline")
        imported = [t for t in new.trials if t.imported_from is not None]
        assert len(imported) == 12, name
        bests.add(min(t.last_result["loss"] for t in imported))
    assert len(bests) == 1


def test_a_dataframe_of_parameters_and_metrics_side_by_side(tune):
    import pandas as pd

    frame = pd.DataFrame({"x": [0.8, 0.1], "y": [0.2, 0.9], "loss": [0.0, 1.0]})
    new = tune(bowl, SPACE, num_trials=1, name="frame", warm_start=frame, executor="inline")
    best = new.best_trial
    assert best.imported_from is not None and best.config == {"x": 0.8, "y": 0.2}


def test_configs_that_no_longer_fit_are_left_out_in_one_line(tune, tmp_path):
    tune(bowl, SPACE, num_trials=20, name="old", executor="inline")
    old = rung.load(tmp_path / "old")
    narrowed = {"x": rung.uniform(0, 0.5), "y": rung.uniform(0, 1), "batch": 32}
    fits = sum(t.config["x"] <= 0.5 for t in old.trials)
    with pytest.warns(RungWarning) as said:
        new = tune(bowl, narrowed, num_trials=1, name="new", warm_start=old, executor="inline")
    line = str(said[0].message)
    assert f"{fits} finished trials imported" in line
    assert f"{20 - fits} left out ({20 - fits} have x outside the space)" in line
    imported = [t for t in new.trials if t.imported_from is not None]
    assert len(imported) == fits and all(t.config["batch"] == 32 for t in imported)

    added = {**SPACE, "z": rung.uniform(0, 1)}
    with pytest.warns(RungWarning, match="20 lack 'z'"):
        tune(bowl, added, num_trials=1, name="added", warm_start=old, executor="inline")
    dropped = {"x": rung.uniform(0, 1)}
    with pytest.warns(RungWarning, match="'y' no longer in the space"):
        kept = tune(bowl, dropped, num_trials=1, name="dropped", warm_start=old, executor="inline")
    assert sum(t.imported_from is not None for t in kept.trials) == 20


def test_a_result_without_the_metric_is_left_out(tune):
    pairs = [({"x": 0.5, "y": 0.5}, {"accuracy": 0.9}), ({"x": 0.1, "y": 0.1}, {"loss": 1.0})]
    with pytest.warns(RungWarning, match="1 report no rankable 'loss'"):
        new = tune(bowl, SPACE, num_trials=1, name="new", warm_start=pairs, executor="inline")
    assert sum(t.imported_from is not None for t in new.trials) == 1


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (42, "give an experiment folder"),
        ("no/such/folder", r"warm_start='no/such/folder': .* is not a rung experiment"),
        ([({"x": 0.1}, 3)], r"warm_start\[0\]: its metrics are 3"),
        ([{"x": 0.1}], r"warm_start\[0\] is \{'x': 0.1\}: give \(config, metrics\) pairs"),
    ],
)
def test_bad_warm_starts_are_named_before_any_trial(tune, tmp_path, source, message):
    with pytest.raises(ConfigError, match=message):
        tune(bowl, SPACE, num_trials=1, name="bad", warm_start=source, executor="inline")
    assert not (tmp_path / "bad").exists()


def test_imported_results_are_judged_by_the_new_constraints(tune):
    pairs = [
        ({"x": 0.8, "y": 0.2}, {"loss": 0.0, "mem": 20}),
        ({"x": 0.5, "y": 0.5}, {"loss": 0.2, "mem": 1}),
    ]
    new = tune(
        bowl,
        SPACE,
        num_trials=1,
        name="new",
        warm_start=pairs,
        constraints=["mem <= 16"],
        executor="inline",
    )
    infeasible = next(t for t in new.trials if t.config == {"x": 0.8, "y": 0.2})
    assert not infeasible.feasible
    assert new.best_trial.trial_id != infeasible.trial_id


def test_a_resumed_run_keeps_its_imports_once(tune, tmp_path):
    pairs = [({"x": x, "y": 0.2}, {"loss": (x - 0.8) ** 2}) for x in np.linspace(0, 1, 9)]
    tune(bowl, SPACE, num_trials=3, name="run", warm_start=pairs, executor="inline")
    resumed = tune(
        bowl, SPACE, num_trials=6, name="run", warm_start=pairs, resume=True, executor="inline"
    )
    assert sum(t.imported_from is not None for t in resumed.trials) == 9
    assert sum(t.imported_from is None for t in resumed.trials) == 6


def test_the_searcher_learns_from_imported_trials(tune):
    """40 imported trials say the bowl's bottom is at (0.8, 0.2): TPE's first proposals go
    there at once, where a cold TPE starts spread over the square."""
    rng = np.random.default_rng(0)
    pairs = []
    for x, y in rng.uniform(0, 1, size=(40, 2)):
        pairs.append(({"x": float(x), "y": float(y)}, {"loss": (x - 0.8) ** 2 + (y - 0.2) ** 2}))
    distances = {}
    for name, source in [("warm", pairs), ("cold", None)]:
        results = tune(
            bowl,
            SPACE,
            num_trials=10,
            name=name,
            searcher="tpe",
            warm_start=source,
            executor="inline",
        )
        own = [t for t in results.trials if t.imported_from is None]
        distances[name] = np.median(
            [np.hypot(t.config["x"] - 0.8, t.config["y"] - 0.2) for t in own]
        )
    assert distances["warm"] < 0.5 * distances["cold"]


def test_an_optuna_study_imports_its_finished_trials(tune):
    optuna = pytest.importorskip("optuna", reason="import_study needs optuna (rung[optuna])")
    from rung.integrations.optuna import import_study

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))

    def objective(trial):
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        trial.report((x - 0.8) ** 2, step=1)
        if x < 0.2:
            raise optuna.TrialPruned()
        return (x - 0.8) ** 2 + (y - 0.2) ** 2

    study.optimize(objective, n_trials=15)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    new = tune(
        bowl,
        SPACE,
        num_trials=1,
        name="new",
        warm_start=import_study(study, metric="loss"),
        executor="inline",
    )
    imported = [t for t in new.trials if t.imported_from is not None]
    assert len(imported) == len(complete) < 15
    assert min(t.last_result["loss"] for t in imported) == pytest.approx(study.best_value)
    assert all(len(t.results) == 2 for t in imported), "the intermediate value, then the final"
    with pytest.raises(ConfigError, match="one name for each"):
        import_study(study, metric=["a", "b"])


def test_warm_start_is_a_setting_of_an_experiment_file(tmp_path):
    from rung.settings import Settings

    assert "warm_start" in Settings.knobs()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Settings(metric="loss", mode="min", warm_start=str(tmp_path))


def test_starting_points_and_a_warm_start_go_together(tune):
    pairs = [({"x": 0.8, "y": 0.2}, {"loss": 0.0})]
    calls = []
    new = tune(
        counted(calls),
        SPACE,
        num_trials=3,
        name="both",
        searcher="tpe",
        points_to_evaluate=[{"x": 0.5, "y": 0.5}],
        warm_start=pairs,
        executor="inline",
    )
    assert calls[0] == {"x": 0.5, "y": 0.5} and len(calls) == 3
    assert new.best_trial.imported_from is not None


def test_the_status_line_counts_imported_trials_apart(tune, tmp_path):
    from rung.callbacks.status_view import summary
    from rung.view import open_view

    pairs = [({"x": 0.8, "y": 0.2}, {"loss": 0.0})] * 4
    tune(bowl, SPACE, num_trials=2, name="run", warm_start=pairs, executor="inline")
    view = open_view(tmp_path / "run")
    view.refresh()
    _, states, _ = summary(view)
    assert states == "trials 2 of 2: 2 completed; 4 imported by a warm start"


def test_rung_status_says_how_many_trials_a_warm_start_imported(tune, tmp_path):
    from tests.commands import rung_command

    pairs = [({"x": 0.8, "y": 0.2}, {"loss": 0.0})] * 3
    tune(bowl, SPACE, num_trials=2, name="run", warm_start=pairs, executor="inline")
    said = rung_command("status", str(tmp_path / "run"), cwd=tmp_path)
    assert "5 trials (3 imported by a warm start)" in said.stdout

"""One Settings value: run()'s keywords, the stored settings and the file keys are its
fields; strategies take their settings as {name: ..., ...}; habits from the other tuners
get told what rung calls them."""

from __future__ import annotations

import inspect
import sqlite3
import subprocess
import sys
import textwrap

import pytest

import rung
from rung.schedulers import ASHAScheduler
from rung.settings import Settings
from rung.store import open_readonly
from rung.store.sqlite import read_meta
from tests import trainables

X = {"x": rung.uniform(0, 1)}
NOT_KNOBS = {"trainable", "space", "unknown"}


def test_every_keyword_of_run_is_a_setting_and_every_setting_a_keyword():
    keywords = set(inspect.signature(rung.run).parameters) - NOT_KNOBS
    assert keywords == set(Settings.knobs())


def test_the_store_keeps_every_setting_but_what_cannot_be_kept(tune, tmp_path):
    tune(trainables.returns_dict, X, num_trials=2, name="exp", executor="inline")
    with open_readonly(tmp_path / "exp") as connection:
        saved = read_meta(connection, "settings")
    keywords = set(inspect.signature(rung.run).parameters) - NOT_KNOBS
    # The log keeps what a warm start imported; the source itself is not kept.
    assert set(saved) == keywords - {"callbacks", "resume", "warm_start"}
    assert saved["checkpoint_keep"] is None and saved["result_files"] is True
    assert saved["scheduler"] == {"name": "fifo"}
    assert saved["searcher"] == {"name": "random", "seed": None}


def test_an_experiment_file_may_set_every_setting_but_the_objects(tmp_path):
    (tmp_path / "model.py").write_text("def train(config):\n    return {'loss': config['x']}\n")
    every = {
        "metric": "loss",
        "mode": "min",
        "constraints": ["loss >= 0"],
        "searcher": {"name": "random"},
        "scheduler": {"name": "fifo"},
        "points_to_evaluate": [{"x": 0.5}],
        "warm_start": [[{"x": 0.2}, {"loss": 0.2}]],
        "num_trials": 3,
        "max_concurrent": 1,
        "resources_per_trial": {"cpu": 1},
        "time_budget_s": 600,
        "stop": {"loss": -1.0},
        "max_iterations": 5,
        "max_failures": 0,
        "fail_fast": False,
        "trial_timeout_s": None,
        "executor": "inline",
        "seed": 0,
        "name": "exp",
        "storage_path": str(tmp_path),
        "verbose": 0,
        "resume": False,
        "checkpoint_keep": 1,
        "result_files": True,
    }
    assert set(every) == set(Settings.knobs(in_file=True))
    lines = "\n".join(f"{key}: {value!r}" for key, value in every.items())
    lines = lines.replace("None", "null").replace("False", "false").replace("True", "true")
    (tmp_path / "exp.yaml").write_text(
        f"trainable: model:train\nspace:\n  x: uniform(0, 1)\n{lines}\n"
    )
    ran = subprocess.run(
        [sys.executable, "-m", "rung.cli", "run", "exp.yaml"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    trials = rung.load(tmp_path / "exp").trials
    assert sum(t.imported_from is None for t in trials) == 3
    assert [t.config for t in trials if t.imported_from is not None] == [{"x": 0.2}]


@pytest.mark.parametrize(
    ("keyword", "message"),
    [
        ("num_samples", "num_samples is not a setting \\(rung calls it num_trials\\)"),
        ("n_trials", "n_trials is not a setting \\(rung calls it num_trials\\)"),
        ("n_jobs", "n_jobs is not a setting \\(rung calls it max_concurrent\\)"),
        ("max_concurrent_trials", "rung calls it max_concurrent"),
        ("num_trails", "num_trails is not a setting \\(did you mean 'num_trials'\\?\\)"),
    ],
)
def test_a_keyword_of_another_tuner_gets_the_name_rung_uses(keyword, message):
    with pytest.raises(rung.ConfigError, match=message):
        rung.run(trainables.returns_dict, X, metric="loss", mode="min", **{keyword: 10})


def test_a_strategy_takes_its_settings_as_a_mapping(tune):
    results = tune(
        trainables.quadratic,
        X,
        num_trials=6,
        executor="inline",
        scheduler={"name": "asha", "max_t": 5, "grace_period": 1, "time_attr": "epoch"},
        searcher={"name": "tpe", "n_startup": 3},
    )
    assert any(t.status is rung.TrialStatus.STOPPED for t in results.trials)
    with pytest.raises(rung.ConfigError, match=r"'asha' has no setting max_tt \(did you mean"):
        tune(trainables.quadratic, X, num_trials=2, scheduler={"name": "asha", "max_tt": 5})
    with pytest.raises(rung.ConfigError, match=r"scheduler=\{'name': 'ashaa'.*did you mean 'asha'"):
        tune(trainables.quadratic, X, num_trials=2, scheduler={"name": "ashaa"})


def test_an_instance_is_kept_as_the_spec_that_builds_it_again(tune, tmp_path):
    scheduler = ASHAScheduler(max_t=7, grace_period=2)
    tune(trainables.quadratic, X, num_trials=2, name="exp", executor="inline", scheduler=scheduler)
    connection = sqlite3.connect(tmp_path / "exp" / "experiment.db")
    (value,) = connection.execute("SELECT value FROM meta WHERE key = 'settings'").fetchone()
    assert '"scheduler": {"name": "asha", "time_attr": "training_iteration", "max_t": 7' in value


def test_checkpoint_keep_travels_to_rung_resume(tmp_path):
    script = tmp_path / "exp.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys, rung
            from tests import trainables

            if __name__ == "__main__":
                rung.run(trainables.peaks_early, {"x": rung.uniform(0, 1)}, metric="loss",
                         mode="min", num_trials=int(sys.argv[2]), storage_path=sys.argv[1],
                         name="exp", checkpoint_keep=1, executor="inline", verbose=0)
            """
        )
    )
    import os

    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    subprocess.run([sys.executable, str(script), str(tmp_path), "1"], check=True, env=env)
    resumed = subprocess.run(
        [sys.executable, "-m", "rung.cli", "resume", str(tmp_path / "exp"), "--num-trials", "3"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    results = rung.load(tmp_path / "exp")
    assert len(results.trials) == 3
    for trial in results.trials:
        assert (
            len(list((tmp_path / "exp" / "trials" / trial.trial_id / "checkpoints").iterdir())) == 1
        )

"""TensorBoard, MLflow and W&B: each tested by reading back what it wrote."""

import glob
import json
import os

import pytest

import rung
from tests import trainables
from tests.callbacks.readers import tensorboard_events, wandb_history

SPACE = {"x": rung.uniform(0, 1), "optimizer": rung.choice(["adam", "sgd"])}


def run_with(tune, logger):
    return tune(
        trainables.quadratic, SPACE, num_trials=2, name="exp", executor="inline", callbacks=[logger]
    )


def test_tensorboard_scalars_and_hparams(tune, tmp_path):
    pytest.importorskip("tensorboardX")
    from rung.callbacks.tensorboard import TensorBoardLogger

    results = run_with(tune, TensorBoardLogger())
    for trial in results.trials:
        events = list(tensorboard_events(str(tmp_path / "exp" / "tensorboard" / trial.trial_id)))
        losses = [
            (e.step, v.simple_value) for e in events for v in e.summary.value if v.tag == "loss"
        ]
        assert losses == [
            (r["training_iteration"], pytest.approx(r["loss"], rel=1e-6)) for r in trial.results
        ]
        plugins = {
            v.tag: v.metadata.plugin_data
            for e in events
            for v in e.summary.value
            if v.metadata.plugin_data.plugin_name == "hparams"
        }
        assert set(plugins) == {
            "_hparams_/experiment",
            "_hparams_/session_start_info",
            "_hparams_/session_end_info",
        }
        start = plugins["_hparams_/session_start_info"].content
        assert trial.config["optimizer"].encode() in start
        finals = [v.simple_value for e in events for v in e.summary.value if v.tag == "final/loss"]
        assert finals == [pytest.approx(trial.last_result["loss"], rel=1e-6)]


def test_mlflow_parent_run_and_a_nested_run_per_trial(tune, tmp_path):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    from rung.callbacks.mlflow import MLflowLogger

    results = run_with(tune, MLflowLogger())
    client = MlflowClient(f"sqlite:///{tmp_path / 'exp' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("exp")
    runs = {r.info.run_name: r for r in client.search_runs([experiment.experiment_id])}
    parent = runs.pop("exp")
    assert parent.data.params["metric"] == "loss"
    assert set(runs) == {t.trial_id for t in results.trials}
    for trial in results.trials:
        run = runs[trial.trial_id]
        assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert run.info.status == "FINISHED"
        assert run.data.params["optimizer"] == trial.config["optimizer"]
        history = client.get_metric_history(run.info.run_id, "loss")
        assert [(m.step, m.value) for m in history] == [
            (r["training_iteration"], r["loss"]) for r in trial.results
        ]


def test_wandb_offline_runs(tune, tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_SILENT", "true")
    from rung.callbacks.wandb import WandbLogger

    results = run_with(tune, WandbLogger())
    files = glob.glob(str(tmp_path / "exp" / "wandb" / "offline-run-*" / "run-*.wandb"))
    assert len(files) == len(results.trials)
    histories = [wandb_history(path) for path in files]
    expected = sorted([r["loss"] for r in t.results] for t in results.trials)
    logged = sorted([json.loads(row["loss"]) for row in h if "loss" in row] for h in histories)
    assert logged == expected
    assert all(os.path.getsize(path) > 0 for path in files)


@pytest.mark.parametrize("module", ["tensorboard", "mlflow", "wandb"])
def test_a_missing_package_is_named_with_its_extra(tune, monkeypatch, module):
    import builtins

    real_import = builtins.__import__
    blocked = {"tensorboard": "tensorboardX", "mlflow": "mlflow", "wandb": "wandb"}[module]

    def block(name, *args, **kwargs):
        if name.split(".")[0] == blocked:
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", block)
    loggers = {
        "tensorboard": "rung.callbacks.tensorboard:TensorBoardLogger",
        "mlflow": "rung.callbacks.mlflow:MLflowLogger",
        "wandb": "rung.callbacks.wandb:WandbLogger",
    }
    module_name, class_name = loggers[module].split(":")
    logger = getattr(__import__(module_name, fromlist=[class_name]), class_name)()
    with pytest.raises(rung.ConfigError, match=rf"pip install 'rung\[{module}\]'"):
        run_with(tune, logger)


def test_loggers_leave_out_what_is_not_a_finite_float():
    from rung.callbacks.tensorboard import numeric_items

    result = {"loss": 0.5, "huge": 10**400, "nan": float("nan"), "word": "x", "flag": True}
    assert numeric_items(result) == {"loss": 0.5}

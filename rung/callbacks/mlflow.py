"""MLflow: one parent run for the experiment, a nested run per trial with its configuration
as parameters and every numeric result as a metric at its step.

Needs ``mlflow`` (``pip install 'rung[mlflow]'``). Without a tracking URI it writes a local
store in the experiment's folder, ``<experiment>/mlflow.db`` (SQLite: MLflow's plain-file
store is in maintenance mode); ``mlflow ui --backend-store-uri sqlite:///<experiment>/mlflow.db``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from rung.callbacks.base import Callback
from rung.callbacks.tensorboard import hparam_values, numeric_items
from rung.errors import ConfigError
from rung.trial import TrialStatus

if TYPE_CHECKING:
    from rung.results import Results
    from rung.trial import Trial
    from rung.view import ExperimentView

_END_STATUS = {TrialStatus.TERMINATED: "FINISHED", TrialStatus.ERROR: "FAILED"}


class MLflowLogger(Callback):
    """Log the experiment to MLflow.

    Args:
        tracking_uri: where MLflow keeps runs (default ``<experiment>/mlflow.db``).
        experiment_name: the MLflow experiment (default the rung experiment's name).
    """

    def __init__(self, tracking_uri: str | None = None, experiment_name: str | None = None):
        self.tracking_uri = tracking_uri
        self.experiment_name = experiment_name

    def on_experiment_start(self, experiment: ExperimentView) -> None:
        try:
            from mlflow.entities import Metric, Param
            from mlflow.tracking import MlflowClient
        except ImportError:
            raise ConfigError("MLflowLogger needs mlflow: pip install 'rung[mlflow]'") from None
        self._metric_type, self._param_type = Metric, Param
        uri = self.tracking_uri or f"sqlite:///{experiment.path}/mlflow.db"
        self._client = MlflowClient(tracking_uri=uri)
        name = self.experiment_name or experiment.name
        found = self._client.get_experiment_by_name(name)
        self._experiment_id = found.experiment_id if found else self._client.create_experiment(name)
        self._parent = self._client.create_run(self._experiment_id, run_name=experiment.name)
        settings = {
            "metric": experiment.objective.metric,
            "mode": experiment.objective.mode,
            "searcher": experiment.run.searcher,
            "scheduler": experiment.run.scheduler,
        }
        self._log_params(self._parent.info.run_id, settings)
        self._runs: dict[str, str] = {}

    def _log_params(self, run_id: str, values: dict[str, Any]) -> None:
        params = [self._param_type(k, str(v)[:6000]) for k, v in values.items()]
        self._client.log_batch(run_id, params=params)

    def on_trial_start(self, trial: Trial) -> None:
        if trial.trial_id in self._runs:
            return
        run = self._client.create_run(
            self._experiment_id,
            run_name=trial.trial_id,
            tags={"mlflow.parentRunId": self._parent.info.run_id},
        )
        self._runs[trial.trial_id] = run.info.run_id
        self._log_params(run.info.run_id, hparam_values(trial.config))

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> None:
        step = int(result.get("training_iteration", trial.iterations))
        now = int(time.time() * 1000)
        metrics = [
            self._metric_type(key, value, now, step) for key, value in numeric_items(result).items()
        ]
        self._client.log_batch(self._runs[trial.trial_id], metrics=metrics)

    def on_trial_end(self, trial: Trial) -> None:
        run_id = self._runs.get(trial.trial_id)
        if run_id is not None and trial.status is not TrialStatus.PAUSED:
            self._client.set_terminated(run_id, _END_STATUS.get(trial.status, "KILLED"))

    def on_experiment_end(self, results: Results) -> None:
        self._client.set_terminated(self._parent.info.run_id, "FINISHED")

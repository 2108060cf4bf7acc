"""Weights & Biases: a run per trial, grouped by experiment, with its configuration and every
numeric result at its step. Offline by default (no account, no network): ``wandb sync``
uploads the runs later from ``<experiment>/wandb``.

Needs ``wandb`` (``pip install 'rung[wandb]'``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rung.callbacks.base import Callback
from rung.callbacks.tensorboard import numeric_items
from rung.errors import ConfigError
from rung.trial import TrialStatus

if TYPE_CHECKING:
    from rung.results import Results
    from rung.trial import Trial
    from rung.view import ExperimentView


class WandbLogger(Callback):
    """Log each trial as a W&B run.

    Args:
        project: the W&B project.
        mode: ``"offline"`` (default), ``"online"`` or ``"disabled"``.
        init_kwargs: more arguments for ``wandb.init`` (entity, tags, ...).
    """

    def __init__(self, project: str = "rung", mode: str = "offline", **init_kwargs: Any):
        self.project = project
        if mode not in ("online", "offline", "disabled"):
            raise ConfigError(f"WandbLogger(mode={mode!r}): use 'offline', 'online' or 'disabled'")
        self.mode: Any = mode
        self.init_kwargs = init_kwargs

    def on_experiment_start(self, experiment: ExperimentView) -> None:
        try:
            import wandb
        except ImportError:
            raise ConfigError("WandbLogger needs wandb: pip install 'rung[wandb]'") from None
        self._wandb = wandb
        self._experiment = experiment
        self._runs: dict[str, Any] = {}

    def on_trial_start(self, trial: Trial) -> None:
        if trial.trial_id in self._runs:
            return
        self._runs[trial.trial_id] = self._wandb.init(
            project=self.project,
            group=self._experiment.name,
            name=trial.trial_id,
            config=trial.config,
            mode=self.mode,
            dir=self._experiment.path,
            reinit="create_new",
            **self.init_kwargs,
        )

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> None:
        step = int(result.get("training_iteration", trial.iterations))
        self._runs[trial.trial_id].log(numeric_items(result), step=step)

    def on_trial_end(self, trial: Trial) -> None:
        run = self._runs.pop(trial.trial_id, None)
        if run is not None and trial.status is not TrialStatus.PAUSED:
            run.finish(exit_code=1 if trial.status is TrialStatus.ERROR else 0)
        elif run is not None:
            self._runs[trial.trial_id] = run

    def on_experiment_end(self, results: Results) -> None:
        for run in self._runs.values():
            run.finish()
        self._runs.clear()

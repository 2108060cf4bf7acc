"""TensorBoard: each trial's numeric results as scalars, and an HParams summary per trial so
that TensorBoard's HParams dashboard (table and parallel coordinates) compares them.

Needs ``tensorboardX`` (``pip install 'rung[tensorboard]'``). Writes
``<experiment>/tensorboard/<trial id>/``; run ``tensorboard --logdir <experiment>/tensorboard``.
"""

from __future__ import annotations

import math
import numbers
import os
from typing import TYPE_CHECKING, Any

from rung.callbacks.base import Callback
from rung.configs import flatten
from rung.errors import ConfigError
from rung.objective import as_number, is_number
from rung.trial import TrialStatus

if TYPE_CHECKING:
    from rung.results import Results
    from rung.trial import Trial
    from rung.view import ExperimentView


def numeric_items(result: dict[str, Any]) -> dict[str, float]:
    """The finite numbers of a result (what loggers plot)."""
    numbers = {key: as_number(value) for key, value in result.items() if is_number(value)}
    return {key: n for key, n in numbers.items() if n is not None and math.isfinite(n)}


def hparam_values(config: dict[str, Any]) -> dict[str, Any]:
    """A flat config with values TensorBoard and MLflow accept (numbers, strings, bools)."""
    return {
        key: value if isinstance(value, numbers.Real | str | bool) else str(value)
        for key, value in flatten(config).items()
    }


class TensorBoardLogger(Callback):
    """Scalars and HParams for TensorBoard.

    Args:
        logdir: where to write (default ``<experiment>/tensorboard``).
    """

    def __init__(self, logdir: str | None = None) -> None:
        self.logdir = logdir

    def on_experiment_start(self, experiment: ExperimentView) -> None:
        try:
            from tensorboardX import SummaryWriter
        except ImportError:
            raise ConfigError(
                "TensorBoardLogger needs tensorboardX: pip install 'rung[tensorboard]'"
            ) from None
        from tensorboardX.summary import hparams

        self._writer_class = SummaryWriter
        self._hparams = hparams
        self._root = self.logdir or os.path.join(experiment.path, "tensorboard")
        self._metric = experiment.objective.metric
        self._writers: dict[str, Any] = {}

    def _writer(self, trial: Trial):
        writer = self._writers.get(trial.trial_id)
        if writer is None:
            writer = self._writer_class(os.path.join(self._root, trial.trial_id))
            self._writers[trial.trial_id] = writer
        return writer

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> None:
        writer = self._writer(trial)
        step = int(result.get("training_iteration", trial.iterations))
        for key, value in numeric_items(result).items():
            writer.add_scalar(key, value, global_step=step)

    def on_trial_end(self, trial: Trial) -> None:
        if trial.status is TrialStatus.PAUSED:
            return
        writer = self._writer(trial)
        metrics = {f"final/{k}": v for k, v in numeric_items(trial.last_result or {}).items()}
        metrics.setdefault(f"final/{self._metric}", math.nan)
        # The HParams summaries go into the trial's own run, next to its scalars, so the
        # dashboard links each configuration to its metrics.
        for summary in self._hparams(hparam_values(trial.config), metrics):
            writer.file_writer.add_summary(summary)
        step = trial.iterations
        for key, value in metrics.items():
            writer.add_scalar(key, value, global_step=step)
        writer.close()
        del self._writers[trial.trial_id]

    def on_experiment_end(self, results: Results) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()

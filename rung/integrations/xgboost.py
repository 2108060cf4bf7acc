"""XGBoost: report the evaluation metrics after each boosting round, stop when rung says.

    import xgboost as xgb
    from rung.integrations.xgboost import RungCallback, checkpoint_path

    def train(config):
        xgb.train(params, dtrain, num_boost_round=200, evals=[(dvalid, "valid")],
                  xgb_model=checkpoint_path(),  # resume where rung paused it
                  callbacks=[RungCallback(metrics="valid-logloss")])

Metrics are named ``"<eval name>-<metric>"`` as XGBoost logs them; each result also has
``boosting_round``. The model is saved (``model.ubj``) only when rung needs a checkpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xgboost

from rung.integrations._report import (
    Metrics,
    check_every,
    checkpoint_file,
    metric_names,
    report_or_stop,
)
from rung.integrations._report import select as _select

MODEL_FILE = "model.ubj"


class RungCallback(xgboost.callback.TrainingCallback):
    """Reports after each boosting round (or every ``every`` rounds) and ends training
    when rung stops the trial.

    Args:
        metrics: what to report: a logged name (``"valid-logloss"``), a list of them, a
            dict ``{name to record: logged name}``, or None for every logged metric.
        every: report every this many rounds.
        checkpoint: save the booster when rung needs a checkpoint.
    """

    def __init__(self, metrics: Metrics = None, every: int = 1, checkpoint: bool = True) -> None:
        super().__init__()
        self.names = metric_names(metrics)
        self.every = check_every(every)
        self.checkpoint = checkpoint

    def after_iteration(self, model: Any, epoch: int, evals_log: dict) -> bool:
        rounds = model.num_boosted_rounds()  # counts a resumed booster's earlier rounds too
        if rounds % self.every:
            return False
        logged = {
            f"{data}-{metric}": _last(history)
            for data, metrics in evals_log.items()
            for metric, history in metrics.items()
        }
        values = _select(logged, self.names, "rung.integrations.xgboost.RungCallback")
        values["boosting_round"] = rounds

        def save(path: Path) -> None:
            model.save_model(str(path))

        return report_or_stop(values, save if self.checkpoint else None, MODEL_FILE)


def _last(history: list) -> float:
    """The latest value; ``xgb.cv`` logs (mean, std) pairs."""
    value = history[-1]
    return float(value[0] if isinstance(value, tuple) else value)


def checkpoint_path() -> str | None:
    """The booster this trial resumes from (pass it as ``xgb_model``), or None."""
    return checkpoint_file(MODEL_FILE)

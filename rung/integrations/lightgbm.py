"""LightGBM: report the evaluation results after each boosting round, stop when rung says.

    import lightgbm as lgb
    from rung.integrations.lightgbm import RungCallback, checkpoint_path

    def train(config):
        lgb.train(params, train_set, num_boost_round=200, valid_sets=[valid_set],
                  valid_names=["valid"], init_model=checkpoint_path(),
                  callbacks=[RungCallback(metrics="valid-binary_logloss")])

Metrics are named ``"<valid name>-<metric>"``; each result also has ``boosting_round``. A
stop ends training as LightGBM's own early stopping does. The model is saved
(``model.txt``) only when rung needs a checkpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightgbm

from rung.integrations._report import (
    Metrics,
    check_every,
    checkpoint_file,
    metric_names,
    report_or_stop,
)
from rung.integrations._report import select as _select

MODEL_FILE = "model.txt"


class RungCallback:
    """A LightGBM callback (``callbacks=[RungCallback(...)]``) reporting after each
    boosting round (or every ``every`` rounds), ending training when rung stops the trial.

    Args:
        metrics: what to report: a logged name (``"valid-auc"``), a list of them, a dict
            ``{name to record: logged name}``, or None for every evaluation result.
        every: report every this many rounds.
        checkpoint: save the booster when rung needs a checkpoint.
    """

    # After LightGBM's own callbacks that record evaluations, before early stopping's.
    order = 25

    def __init__(self, metrics: Metrics = None, every: int = 1, checkpoint: bool = True) -> None:
        self.names = metric_names(metrics)
        self.every = check_every(every)
        self.checkpoint = checkpoint

    def __call__(self, env: Any) -> None:
        rounds = env.iteration + 1
        if rounds % self.every:
            return
        # Entries are (data, metric, value, bigger is better), with the spread from lgb.cv.
        logged = {f"{entry[0]}-{entry[1]}": float(entry[2]) for entry in env.evaluation_result_list}
        values = _select(logged, self.names, "rung.integrations.lightgbm.RungCallback")
        values["boosting_round"] = rounds

        def save(path: Path) -> None:
            env.model.save_model(str(path))

        if report_or_stop(values, save if self.checkpoint else None, MODEL_FILE):
            raise lightgbm.callback.EarlyStopException(env.iteration, env.evaluation_result_list)


def checkpoint_path() -> str | None:
    """The model this trial resumes from (pass it as ``init_model``), or None."""
    return checkpoint_file(MODEL_FILE)

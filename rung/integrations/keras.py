"""Keras 3 (any backend): report the epoch's logs after each epoch, stop when rung says.

    from rung.integrations.keras import RungCallback, checkpoint_path, initial_epoch

    def train(config):
        path = checkpoint_path()
        model = keras.models.load_model(path) if path else build(config)
        model.fit(x, y, validation_data=(xv, yv), epochs=30, initial_epoch=initial_epoch(),
                  callbacks=[RungCallback(metrics="val_loss")])

Each result also has ``epoch`` (counted from 1). The whole model, optimizer state
included, is saved (``model.keras``) only when rung needs a checkpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras

from rung.integrations._report import Metrics, checkpoint_file, metric_names, report_or_stop
from rung.integrations._report import select as _select
from rung.trainable import _current

MODEL_FILE = "model.keras"


class RungCallback(keras.callbacks.Callback):
    """Reports after each epoch and sets ``model.stop_training`` when rung stops the trial.

    Args:
        metrics: what to report: a logged name (``"val_loss"``), a list of them, a dict
            ``{name to record: logged name}``, or None for every logged value.
        checkpoint: save the model when rung needs a checkpoint.
    """

    def __init__(self, metrics: Metrics = None, checkpoint: bool = True) -> None:
        super().__init__()
        self.names = metric_names(metrics)
        self.checkpoint = checkpoint
        self.stopped = False

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.stopped:
            return
        values = _select(logs or {}, self.names, "rung.integrations.keras.RungCallback")
        values["epoch"] = epoch + 1

        def save(path: Path) -> None:
            self.model.save(str(path))

        if report_or_stop(values, save if self.checkpoint else None, MODEL_FILE):
            self.model.stop_training = True
            self.stopped = True


def checkpoint_path() -> str | None:
    """The saved model this trial resumes from (``keras.models.load_model``), or None."""
    return checkpoint_file(MODEL_FILE)


def initial_epoch() -> int:
    """Epochs the resumed model has done (``fit(initial_epoch=...)``); 0 for a new trial.
    Call it before training: it is the trial's iteration count when its run began."""
    return _current().iteration

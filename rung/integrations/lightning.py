"""PyTorch Lightning: report logged metrics after each validation, stop when rung says.

    from rung.integrations.lightning import RungCallback, checkpoint_path

    def train(config):
        trainer = lightning.Trainer(max_epochs=30, callbacks=[RungCallback(metrics="val_loss")])
        trainer.fit(Model(config), datamodule, ckpt_path=checkpoint_path())

Each result also has ``epoch`` (counted from 1). The trainer's own checkpoint
(``lightning.ckpt``: weights, optimizer, loops) is saved only when rung needs one, and
``ckpt_path=checkpoint_path()`` resumes from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lightning.pytorch import Callback

from rung.errors import ConfigError
from rung.integrations._report import Metrics, checkpoint_file, metric_names, report_or_stop
from rung.integrations._report import select as _select

MODEL_FILE = "lightning.ckpt"
WHEN = ("validation_end", "train_epoch_end")


class RungCallback(Callback):
    """Reports the trainer's ``callback_metrics`` and sets ``trainer.should_stop`` when rung
    stops the trial (training ends after the current epoch, cleanly).

    Args:
        metrics: what to report: a logged name (``"val_loss"``), a list of them, a dict
            ``{name to record: logged name}``, or None for every logged metric.
        on: ``"validation_end"`` (after each validation, outside the sanity check) or
            ``"train_epoch_end"`` (for training without validation).
        checkpoint: save the trainer's checkpoint when rung needs one.
    """

    def __init__(
        self, metrics: Metrics = None, on: str = "validation_end", checkpoint: bool = True
    ) -> None:
        if on not in WHEN:
            raise ConfigError(f"RungCallback(on={on!r}): use one of {', '.join(WHEN)}")
        self.names = metric_names(metrics)
        self.on = on
        self.checkpoint = checkpoint
        self.stopped = False

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if self.on == "validation_end" and not trainer.sanity_checking:
            self._report(trainer)

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if self.on == "train_epoch_end":
            self._report(trainer)

    def _report(self, trainer: Any) -> None:
        if self.stopped:
            return
        where = "rung.integrations.lightning.RungCallback"
        values = _select(dict(trainer.callback_metrics), self.names, where)
        values["epoch"] = trainer.current_epoch + 1

        def save(path: Path) -> None:
            trainer.save_checkpoint(str(path))

        if report_or_stop(values, save if self.checkpoint else None, MODEL_FILE):
            trainer.should_stop = True
            self.stopped = True


def checkpoint_path() -> str | None:
    """The trainer checkpoint this trial resumes from (``fit(..., ckpt_path=...)``), or None."""
    return checkpoint_file(MODEL_FILE)

"""Recorded learning curves of the digits MLP, replayed on the simulated executor.

``record_digits.py`` trained a few hundred random configurations of the demo's space and kept
each epoch's validation accuracy and duration. A trial here picks a recorded configuration
(``row``) and replays its curve, paying each epoch's measured seconds: a tabular benchmark.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import rung

TABLE = Path(__file__).with_name("digits_curves.npz")


class DigitsTable:
    """The recorded table as a simulated trainable (maximize ``val_acc``)."""

    metric = "val_acc"
    mode = "max"

    def __init__(self, path: str | Path = TABLE) -> None:
        data = np.load(path)
        self.names = [str(n) for n in data["names"]]
        self.configs = data["configs"]
        self.val_acc = data["val_acc"].astype(float)
        self.epoch_seconds = data["epoch_seconds"].astype(float)
        self.max_t = self.val_acc.shape[1]
        self.space = {"row": rung.randint(0, len(self.val_acc) - 1)}
        self.__name__ = "digits_table"

    def __call__(self, config: dict[str, Any], iteration: int):
        if iteration > self.max_t:
            return None
        row = config["row"]
        metrics = {"val_acc": self.val_acc[row, iteration - 1], "epoch": iteration}
        return metrics, self.epoch_seconds[row, iteration - 1]

    def final(self, config: dict[str, Any]) -> float:
        """The accuracy after the last recorded epoch."""
        return float(self.val_acc[config["row"], -1])

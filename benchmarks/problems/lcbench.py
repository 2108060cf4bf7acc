"""LCBench through the YAHPO Gym surrogate: real MLP learning curves on 34 OpenML tasks.

The surrogate (an ONNX network, ``onnxruntime``) predicts, for a configuration and an epoch
(1..52), the validation accuracy and the cumulative training time; a simulated trial pays the
predicted time of each epoch. The surrogate ships with the benchmarks, in
``benchmarks/data/yahpo`` (2.2 MB; YAHPO Gym v1.0.2's LCBench model, Apache License 2.0: see
the README and LICENSE there), so a clone runs every scheduler benchmark as it is.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import rung

EPOCHS = 52
DEFAULT_PATH = Path(__file__).resolve().parents[1] / "data" / "yahpo"
TASKS = [
    "3945",
    "7593",
    "34539",
    "126025",
    "126026",
    "126029",
    "146212",
    "167104",
    "167149",
    "167152",
    "167161",
    "167168",
    "167181",
    "167184",
    "167185",
    "167190",
    "167200",
    "167201",
    "168329",
    "168330",
    "168331",
    "168335",
    "168868",
    "168908",
    "168910",
    "189354",
    "189862",
    "189865",
    "189866",
    "189873",
    "189905",
    "189906",
    "189908",
    "189909",
]

SPACE = {
    "batch_size": rung.lograndint(16, 512),
    "learning_rate": rung.loguniform(1e-4, 1e-1),
    "momentum": rung.uniform(0.1, 0.99),
    "weight_decay": rung.uniform(1e-5, 1e-1),
    "num_layers": rung.randint(1, 5),
    "max_units": rung.lograndint(64, 1024),
    "max_dropout": rung.uniform(0.0, 1.0),
}
_COLUMNS = (
    "batch_size",
    "learning_rate",
    "momentum",
    "weight_decay",
    "num_layers",
    "max_units",
    "max_dropout",
)


# The surrogate is asked for epochs in chunks that end where successive halving's rungs do
# (eta 3 from 2 epochs): a trial stopped at epoch 2 costs one small prediction, not 52 rows.
_CHUNK_ENDS = (2, 6, 18, EPOCHS)


@dataclass
class _Curve:
    """One configuration's predicted accuracy and per-epoch seconds, known through ``known``."""

    key: tuple[float, ...]
    known: int = 0
    elapsed: float = 0.0
    accuracy: np.ndarray = field(default_factory=lambda: np.empty(EPOCHS))
    seconds: np.ndarray = field(default_factory=lambda: np.empty(EPOCHS))


class LCBench:
    """One LCBench task as a simulated trainable (maximize ``val_accuracy``, in percent).

    Args:
        task: an OpenML task id from ``TASKS``.
        data_path: the folder holding ``lcbench/model.onnx`` and ``lcbench/encoding.json``.
    """

    metric = "val_accuracy"
    mode = "max"
    space = SPACE
    max_t = EPOCHS

    def __init__(self, task: str, data_path: str | Path = DEFAULT_PATH) -> None:
        import onnxruntime

        folder = Path(data_path) / "lcbench"
        if not (folder / "model.onnx").is_file():
            raise FileNotFoundError(f"no LCBench surrogate at {folder}/model.onnx")
        if task not in TASKS:
            raise ValueError(f"unknown LCBench task {task!r}; known: {', '.join(TASKS)}")
        codes = json.loads((folder / "encoding.json").read_text())["OpenML_task_id"]
        self.task = task
        self._code = codes[task]
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(folder / "model.onnx"), options)
        self._curves: OrderedDict[tuple[float, ...], _Curve] = OrderedDict()
        self.__name__ = f"lcbench_{task}"

    def curve(self, config: dict[str, Any], through: int) -> _Curve:
        """The curve of ``config``, predicted at least through epoch ``through``; the curves
        of the last 100,000 configurations are kept."""
        key = tuple(float(config[c]) for c in _COLUMNS)
        curve = self._curves.get(key)
        if curve is None:
            curve = self._curves[key] = _Curve(key)
            if len(self._curves) > 100_000:
                self._curves.popitem(last=False)
        if through > curve.known:
            self._predict(curve, through)
        return curve

    def _predict(self, curve: _Curve, upto: int) -> None:
        """Fill ``curve`` through the end of the chunk holding epoch ``upto``."""
        end = next(e for e in _CHUNK_ENDS if e >= upto)
        epochs = np.arange(curve.known + 1, end + 1)
        x_cont = np.empty((len(epochs), 8), dtype=np.float32)
        x_cont[:, 0] = epochs
        x_cont[:, 1:] = curve.key
        x_cat = np.full((len(epochs), 1), self._code, dtype=np.int32)
        out = self._session.run(None, {"x_cat": x_cat, "x_cont": x_cont})[0]
        cumulative = np.maximum.accumulate(np.maximum(out[:, 0], curve.elapsed))
        curve.accuracy[curve.known : end] = out[:, 1]
        curve.seconds[curve.known : end] = np.diff(cumulative, prepend=curve.elapsed)
        curve.elapsed = float(cumulative[-1])
        curve.known = end

    def __call__(self, config: dict[str, Any], iteration: int):
        if iteration > EPOCHS:
            return None
        curve = self.curve(config, iteration)
        return {"val_accuracy": curve.accuracy[iteration - 1], "epoch": iteration}, float(
            curve.seconds[iteration - 1]
        )

    def final(self, config: dict[str, Any]) -> float:
        """The accuracy after all 52 epochs."""
        return float(self.curve(config, EPOCHS).accuracy[-1])

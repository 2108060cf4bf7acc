"""LCBench through the YAHPO Gym surrogate: real MLP learning curves on 34 OpenML tasks.

The surrogate (an ONNX network, ``onnxruntime``) predicts, for a configuration and an epoch
(1..52), the validation accuracy and the cumulative training time; a simulated trial pays the
predicted time of each epoch. The data is not shipped with rung: pass its folder, by default
``../shared/data/yahpo``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

import rung

EPOCHS = 52
DEFAULT_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "yahpo"
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
        self.curve = lru_cache(maxsize=100_000)(self._curve)
        self.__name__ = f"lcbench_{task}"

    def _curve(self, key: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Validation accuracy and per-epoch seconds, for epochs 1..52."""
        x_cont = np.empty((EPOCHS, 8), dtype=np.float32)
        x_cont[:, 0] = np.arange(1, EPOCHS + 1)
        x_cont[:, 1:] = key
        x_cat = np.full((EPOCHS, 1), self._code, dtype=np.int32)
        out = self._session.run(None, {"x_cat": x_cat, "x_cont": x_cont})[0]
        cumulative = np.maximum.accumulate(np.maximum(out[:, 0], 0.0))
        return out[:, 1].astype(float), np.diff(cumulative, prepend=0.0)

    def __call__(self, config: dict[str, Any], iteration: int):
        if iteration > EPOCHS:
            return None
        accuracy, seconds = self.curve(tuple(float(config[c]) for c in _COLUMNS))
        return {"val_accuracy": accuracy[iteration - 1], "epoch": iteration}, seconds[iteration - 1]

    def final(self, config: dict[str, Any]) -> float:
        """The accuracy after all 52 epochs."""
        return float(self.curve(tuple(float(config[c]) for c in _COLUMNS))[0][-1])

"""Each trial's results as files beside its checkpoints: ``result.jsonl`` and
``progress.csv`` in ``trials/<id>/``, and ``trials.csv`` (one row per trial) at the end.

On for every experiment with a storage path. Lines are buffered and written at most once a
second and when a trial ends, so the driver's loop does not wait on the disk.
"""

from __future__ import annotations

import csv
import json
import os
import time
from typing import IO, TYPE_CHECKING, Any

from rung.callbacks.base import Callback

if TYPE_CHECKING:
    from rung.experiment import Experiment
    from rung.results import Results
    from rung.trial import Trial

_FLUSH_INTERVAL_S = 1.0


def _to_json(value: Any) -> Any:
    return value.tolist() if hasattr(value, "tolist") else repr(value)


class _TrialFiles:
    def __init__(self, folder: str) -> None:
        os.makedirs(folder, exist_ok=True)
        self.jsonl = open(os.path.join(folder, "result.jsonl"), "a")  # noqa: SIM115
        self.csv_file = open(os.path.join(folder, "progress.csv"), "a", newline="")  # noqa: SIM115
        self.csv: csv.DictWriter | None = None

    def write(self, result: dict[str, Any]) -> None:
        self.jsonl.write(json.dumps(result, default=_to_json) + "\n")
        if self.csv is None:
            self.csv = csv.DictWriter(self.csv_file, list(result), extrasaction="ignore")
            if self.csv_file.tell() == 0:
                self.csv.writeheader()
        self.csv.writerow(result)

    def files(self) -> tuple[IO, IO]:
        return self.jsonl, self.csv_file


class FileLogger(Callback):
    """Writes every result to its trial's ``result.jsonl`` (all keys) and ``progress.csv``
    (the keys of its first result), and ``trials.csv`` when the experiment ends."""

    def on_experiment_start(self, experiment: Experiment) -> None:
        self._experiment = experiment
        self._open: dict[str, _TrialFiles] = {}
        self._last_flush = time.monotonic()

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> None:
        files = self._open.get(trial.trial_id)
        if files is None:
            files = _TrialFiles(self._experiment.trial_dir(trial))
            self._open[trial.trial_id] = files
        files.write(result)

    def on_trial_end(self, trial: Trial) -> None:
        files = self._open.pop(trial.trial_id, None)
        if files is not None:
            for file in files.files():
                file.close()

    def on_turn_end(self) -> None:
        now = time.monotonic()
        if now - self._last_flush >= _FLUSH_INTERVAL_S:
            self._last_flush = now
            for files in self._open.values():
                for file in files.files():
                    file.flush()

    def on_experiment_end(self, results: Results) -> None:
        for files in self._open.values():
            for file in files.files():
                file.close()
        self._open.clear()
        results.dataframe().to_csv(os.path.join(self._experiment.path, "trials.csv"), index=False)

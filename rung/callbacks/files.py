"""Each trial's results as files beside its checkpoints: ``result.jsonl`` and
``progress.csv`` in ``trials/<id>/``, and ``trials.csv`` (one row per trial) at the end.

On for every experiment with a storage path. A writer thread does the file work, so the
driver's loop never waits on the disk (creating files is slow on some file systems); files
are flushed whenever the writer catches up.
"""

from __future__ import annotations

import csv
import json
import os
import queue
import threading
import warnings
from typing import TYPE_CHECKING, Any

from rung.callbacks.base import Callback
from rung.errors import RungWarning

if TYPE_CHECKING:
    from rung.experiment import Experiment
    from rung.results import Results
    from rung.trial import Trial


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

    def flush(self) -> None:
        self.jsonl.flush()
        self.csv_file.flush()

    def close(self) -> None:
        self.jsonl.close()
        self.csv_file.close()


class FileLogger(Callback):
    """Writes every result to its trial's ``result.jsonl`` (all keys) and ``progress.csv``
    (the keys of its first result), and ``trials.csv`` when the experiment ends."""

    def on_experiment_start(self, experiment: Experiment) -> None:
        self._experiment = experiment
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._writer = threading.Thread(target=self._write_loop, name="rung-files", daemon=True)
        self._writer.start()

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> None:
        self._queue.put((trial.trial_id, self._experiment.trial_dir(trial), result))

    def on_trial_end(self, trial: Trial) -> None:
        self._queue.put((trial.trial_id, None, None))

    def on_experiment_end(self, results: Results) -> None:
        self._queue.put(None)
        self._writer.join()
        table = os.path.join(self._experiment.path, "trials.csv")
        results.dataframe().to_csv(table, index=False)
        if self._error is not None:
            warnings.warn(
                f"some result files were not written: {self._error!r}", RungWarning, stacklevel=2
            )

    def _write_loop(self) -> None:
        files: dict[str, _TrialFiles] = {}
        while True:
            item = self._queue.get()
            if item is None:
                break
            trial_id, folder, result = item
            try:
                if result is None:
                    if trial_id in files:
                        files.pop(trial_id).close()
                    continue
                if trial_id not in files:
                    files[trial_id] = _TrialFiles(folder)
                files[trial_id].write(result)
                if self._queue.empty():
                    for open_files in files.values():
                        open_files.flush()
            except OSError as error:  # a full disk must not stop the experiment
                self._error = self._error or error
        for open_files in files.values():
            open_files.close()

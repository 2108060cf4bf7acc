"""Each trial's results as files beside its checkpoints: ``result.jsonl`` and
``progress.csv`` in ``trials/<id>/``, and ``trials.csv`` (one row per trial) at the end.

On for every experiment with a storage path. The files are a copy of the log: rows are
written only once their events are committed, and a resumed experiment rewrites every
trial's files from the log, so after any crash they hold each recorded result once and
nothing else. A writer thread does the file work, so the driver's loop never waits on the
disk (creating files is slow on some file systems); files are flushed whenever the writer
catches up.
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
from rung.events import ResultReported, TrialEnded

if TYPE_CHECKING:
    from rung.events import Event
    from rung.results import Results
    from rung.view import ExperimentView

RESULT_FILES = ("result.jsonl", "progress.csv")


def _to_json(value: Any) -> Any:
    return value.tolist() if hasattr(value, "tolist") else repr(value)


class _TrialFiles:
    """A trial's two result files, started afresh: whatever a file held before this run
    of the experiment is the log's to say, and was rewritten from it."""

    def __init__(self, folder: str) -> None:
        os.makedirs(folder, exist_ok=True)
        self.jsonl = open(os.path.join(folder, RESULT_FILES[0]), "w")  # noqa: SIM115
        self.csv_file = open(os.path.join(folder, RESULT_FILES[1]), "w", newline="")  # noqa: SIM115
        self.csv: csv.DictWriter | None = None

    def write(self, result: dict[str, Any]) -> None:
        self.jsonl.write(json.dumps(result, default=_to_json) + "\n")
        if self.csv is None:
            self.csv = csv.DictWriter(self.csv_file, list(result), extrasaction="ignore")
            self.csv.writeheader()
        self.csv.writerow(result)

    def flush(self) -> None:
        self.jsonl.flush()
        self.csv_file.flush()

    def close(self) -> None:
        self.jsonl.close()
        self.csv_file.close()


class FileLogger(Callback):
    """Writes every committed result to its trial's ``result.jsonl`` (all keys) and
    ``progress.csv`` (the keys of its first result), and ``trials.csv`` when the experiment
    ends."""

    def on_experiment_start(self, experiment: ExperimentView) -> None:
        self._experiment = experiment
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._writer = threading.Thread(target=self._write_loop, name="rung-files", daemon=True)
        self._writer.start()
        if experiment.interrupted is not None:  # resumed: the files become the log's again
            for trial_id, trial in experiment.trials.items():
                folder = experiment.trial_dir(trial_id)
                rewrite = (list(trial.results), trial.status.is_finished)
                self._queue.put(("rewrite", trial_id, folder, rewrite))

    def on_events_committed(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, ResultReported):
                folder = self._experiment.trial_dir(event.trial_id)
                self._queue.put(("write", event.trial_id, folder, event.metrics))
            elif isinstance(event, TrialEnded):
                self._queue.put(("close", event.trial_id, None, None))

    def on_experiment_end(self, results: Results) -> None:
        self._queue.put(None)
        self._writer.join()
        table = os.path.join(self._experiment.path, "trials.csv")
        try:
            results.dataframe().to_csv(table, index=False)
        except OSError as error:
            self._error = self._error or error
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
            what, trial_id, folder, payload = item
            try:
                if what == "close":
                    if trial_id in files:
                        files.pop(trial_id).close()
                elif what == "rewrite":
                    self._rewrite(files, trial_id, folder, payload)
                else:
                    if trial_id not in files:
                        files[trial_id] = _TrialFiles(folder)
                    files[trial_id].write(payload)
                if self._queue.empty():
                    for open_files in files.values():
                        open_files.flush()
            except OSError as error:  # a full disk must not stop the experiment
                self._error = self._error or error
        for open_files in files.values():
            open_files.close()

    @staticmethod
    def _rewrite(
        files: dict[str, _TrialFiles],
        trial_id: str,
        folder: str,
        rewrite: tuple[list[dict[str, Any]], bool],
    ) -> None:
        results, finished = rewrite
        if not results:
            for name in RESULT_FILES:
                path = os.path.join(folder, name)
                if os.path.exists(path):
                    os.remove(path)
            return
        trial_files = _TrialFiles(folder)
        for result in results:
            trial_files.write(result)
        if finished:
            trial_files.close()
        else:
            files[trial_id] = trial_files

"""The experiment's results as plain files: ``results/part-00000.jsonl`` (every committed
result, one JSON line each, with its ``trial_id``) and ``trials.csv`` (one row per trial)
at the end.

On for every experiment with a storage path. The files are a copy of the log: rows are
written only once their events are committed, one write per commit, and a resumed
experiment rewrites them from the log, so after any crash they hold each recorded result
once and nothing else. Results of all trials share a few large files (a new part every
``PART_BYTES``) rather than one small file per trial: 100,000 trials leave a handful of
files, and the driver creates none per trial. A writer thread does the file work, so the
driver's loop never waits on the disk; files are flushed whenever the writer catches up.
"""

from __future__ import annotations

import csv
import json
import math
import os
import queue
import threading
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from rung.callbacks.base import Callback
from rung.errors import RungWarning
from rung.events import ResultReported

if TYPE_CHECKING:
    from rung.events import Event
    from rung.results import Results
    from rung.view import ExperimentView

RESULTS_FOLDER = "results"
PART_BYTES = 64 * 2**20  # a part grows to about this size before the next one starts


def _to_json(value: Any) -> Any:
    return value.tolist() if hasattr(value, "tolist") else repr(value)


def result_line(trial_id: str, metrics: dict[str, Any]) -> str:
    """One result as a line of a results part: its trial's id, then what was reported."""
    return json.dumps({"trial_id": trial_id, **metrics}, default=_to_json) + "\n"


def result_parts(experiment_path: str | os.PathLike[str]) -> list[Path]:
    """The results parts of an experiment folder, in the order they were written."""
    return sorted(Path(experiment_path, RESULTS_FOLDER).glob("part-*.jsonl"))


def write_table(path: str, rows: Callable[[], Iterable[dict[str, Any]]]) -> None:
    """Rows as a CSV file, one column per key in the order keys first appear (as pandas'
    ``to_csv`` of their DataFrame writes them: missing values and NaN left empty). ``rows``
    is called twice, for the columns and then to write, so no row is held longer than its
    line takes."""
    columns = list(dict.fromkeys(key for row in rows() for key in row))
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(columns)
        for row in rows():
            writer.writerow([_cell(row.get(column)) for column in columns])


def _cell(value: Any) -> Any:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else value


class _Parts:
    """The results parts, appended to in order: a new part once the current one is full."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.index = 0
        self.file: IO[str] | None = None

    def start_afresh(self) -> None:
        """Remove every part: what they held is the log's to say again."""
        for path in result_parts(Path(self.folder).parent):
            path.unlink()

    def write(self, lines: list[str]) -> None:
        if self.file is None:
            os.makedirs(self.folder, exist_ok=True)
            path = os.path.join(self.folder, f"part-{self.index:05d}.jsonl")
            self.file = open(path, "w")  # noqa: SIM115 - closed when full or at the end
        self.file.write("".join(lines))
        if self.file.tell() >= PART_BYTES:
            self.close()
            self.index += 1

    def flush(self) -> None:
        if self.file is not None:
            self.file.flush()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


class FileLogger(Callback):
    """Writes every committed result to the experiment's results parts, and ``trials.csv``
    when the experiment ends."""

    def on_experiment_start(self, experiment: ExperimentView) -> None:
        self._experiment = experiment
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._parts = _Parts(os.path.join(experiment.path, RESULTS_FOLDER))
        rewrite = []
        if experiment.interrupted is not None:  # resumed: the files become the log's again
            # Each trial's results as they stand now (later ones come as commits).
            rewrite = [
                (trial_id, result)
                for trial_id, trial in experiment.trials.items()
                for result in list(trial.results)
            ]
        self._queue.put(("start", rewrite))
        self._writer = threading.Thread(target=self._write_loop, name="rung-files", daemon=True)
        self._writer.start()

    def on_events_committed(self, events: list[Event]) -> None:
        rows = [
            (event.trial_id, event.metrics) for event in events if isinstance(event, ResultReported)
        ]
        if rows:
            self._queue.put(("write", rows))

    def on_experiment_end(self, results: Results) -> None:
        self._queue.put(None)
        self._writer.join()
        try:
            write_table(os.path.join(self._experiment.path, "trials.csv"), results.table)
        except OSError as error:
            self._error = self._error or error
        if self._error is not None:
            warnings.warn(
                f"some result files were not written: {self._error!r}", RungWarning, stacklevel=2
            )

    def _write_loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                break
            what, rows = item
            try:
                if what == "start":
                    self._parts.start_afresh()
                if rows:
                    self._parts.write([result_line(trial_id, result) for trial_id, result in rows])
                if self._queue.empty():
                    self._parts.flush()
            except OSError as error:  # a full disk must not stop the experiment
                self._error = self._error or error
        self._parts.close()

"""A read-only view of one experiment: its trials as the event log makes them, and the log
position they stand at.

The driver keeps one and folds each event into it as it records it; ``rung.load``, ``rung
status`` and the dashboard open one on a folder (``open_view``) and ``refresh`` it, which
reads and folds only the records after its position, so a poll costs what changed;
callbacks and the status view are handed the driver's. All of them fold the same records
the same way (``TrialFold.apply``), and none of them can change the experiment.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rung.checkpoint import TRIALS_FOLDER
from rung.errors import ConfigError
from rung.events import Event, LogError, TrialCreated, TrialImported
from rung.objective import Objective
from rung.results import Results
from rung.store.snapshot import summary_of
from rung.store.sqlite import (
    DB_NAME,
    collection_paused,
    log_length,
    open_readonly,
    read_events,
    read_meta,
    read_snapshot,
    read_summary,
)
from rung.trial import Trial


class TrialFold:
    """Trials rebuilt from events applied in log order; ``position`` counts the records
    applied, so an error names the record (1-based) where the log went wrong."""

    def __init__(self) -> None:
        self.trials: dict[str, Trial] = {}
        self.position = 0
        # Trials brought in by a warm start: they count as trials, not as trials created.
        self.imported = 0
        # Each trial's last change: the position after the record that last changed it, so a
        # reader that keeps something per trial redoes only the trials changed since.
        self.changed_at: dict[str, int] = {}

    @property
    def created(self) -> int:
        """How many trials the experiment created itself (the imported ones left out):
        what its ``num_trials`` counts and its next trial's number."""
        return len(self.trials) - self.imported

    def start_at(self, position: int, trials: list[Trial], imported: int) -> None:
        """Begin from a snapshot: ``trials`` as the first ``position`` records fold them."""
        self.trials = {trial.trial_id: trial for trial in trials}
        self.position = position
        self.imported = imported
        self.changed_at = dict.fromkeys(self.trials, position)

    def trial_of(self, event: Event) -> Trial:
        """The trial an event is about (not a creation), or a LogError naming the record."""
        trial = self.trials.get(event.trial_id)
        if trial is None:
            raise LogError(
                f"record {self.position + 1} ({event.kind.value}) is about trial "
                f"{event.trial_id}, which the log never created: records are missing"
            )
        return trial

    def apply(self, event: Event) -> Trial:
        """Fold the next record into its trial (creating it), and return the trial."""
        if isinstance(event, TrialCreated):
            if event.trial_id in self.trials:
                raise LogError(
                    f"record {self.position + 1}: trial {event.trial_id} is created twice"
                )
            trial = self.trials[event.trial_id] = Trial.created(event)
        elif isinstance(event, TrialImported):
            if event.trial_id in self.trials:
                raise LogError(
                    f"record {self.position + 1}: trial {event.trial_id} is imported twice"
                )
            trial = self.trials[event.trial_id] = Trial.imported(event)
            self.imported += 1
        else:
            trial = self.trial_of(event)
            trial.apply(event)
        self.position += 1
        self.changed_at[event.trial_id] = self.position
        return trial


@dataclass(frozen=True)
class RunFacts:
    """The experiment's strategy and where its trials run: set by the running driver, or
    read from the settings a folder keeps (``slots`` 0 there: not known)."""

    searcher: str = ""
    searcher_description: str = ""
    scheduler: str = ""
    executor: str = ""
    slots: int = 0
    persistent: bool = False
    num_trials: int | None = None
    time_budget_s: float | None = None

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> RunFacts:
        """What a folder's saved settings say (strategies as ``{"name": ...}`` specs)."""

        def name(knob: str) -> str:
            spec = settings.get(knob)
            return str(spec.get("name", "")) if isinstance(spec, dict) else str(spec or "")

        return cls(
            searcher=name("searcher"),
            searcher_description=name("searcher"),
            scheduler=name("scheduler"),
            executor=name("executor"),
            persistent=True,
            num_trials=settings.get("num_trials"),
            time_budget_s=settings.get("time_budget_s"),
        )


class ExperimentView(TrialFold):
    """One experiment's trials, objective and stop reason, folded from its log.

    Attributes:
        objective: the metric and mode it ranks by.
        name: the experiment's name (its folder's).
        path: its folder (where it would be, for one kept in memory).
        stop_reason: why it stopped early, when it did.
        interrupted: the trials a resume found cut short (None when it was not resumed).
        run: the strategy and where trials run (``RunFacts``).
    """

    def __init__(
        self,
        objective: Objective,
        *,
        name: str = "",
        path: str = "",
        records: Callable[[int], list[Event]] | None = None,
        clock: Callable[[], float] | None = None,
        staged: Callable[[], Collection[str]] | None = None,
        run: RunFacts | None = None,
    ) -> None:
        super().__init__()
        self.objective = objective
        self.name = name
        self.path = path
        self.stop_reason: str | None = None
        self.interrupted: list[Trial] | None = None
        self.run = run or RunFacts()
        self.elapsed_before = 0.0
        self._records = records
        self._clock = clock
        self._staged = staged

    def records(self, after: int = 0) -> list[Event]:
        """The log's records after the first ``after`` (none for a view without a log)."""
        return self._records(after) if self._records is not None else []

    def refresh(self) -> list[Event]:
        """Fold the records written since the last refresh, and return them."""
        new = self.records(self.position)
        for event in new:
            self.apply(event)
        return new

    @property
    def elapsed_s(self) -> float:
        """Seconds the experiment has run, over all its runs."""
        return self._clock() if self._clock is not None else self.elapsed_before

    @property
    def staged(self) -> Collection[str]:
        """Running trials handed to a busy slot that have not begun yet."""
        return self._staged() if self._staged is not None else ()

    def trial_dir(self, trial_id: str) -> str:
        """The working directory of a trial (its checkpoints live under it)."""
        return os.path.join(self.path, TRIALS_FOLDER, trial_id)

    def results(self) -> Results:
        """The trials as they stand, as a ``Results`` value."""
        return Results(
            list(self.trials.values()), self.objective, self.stop_reason, self.path or None
        )


class FolderView(ExperimentView):
    """A view of the experiment in a folder, over a read-only connection to its log: it
    takes no lock and writes nothing, so it reads a running experiment as well as an ended
    or crashed one. Close it (or use it in a ``with``) to let the connection go; ``shared``:
    refreshed from several threads, one at a time."""

    def __init__(self, directory: str | os.PathLike, shared: bool = False) -> None:
        folder = Path(directory).expanduser()
        self._connection: sqlite3.Connection = open_readonly(folder, shared)
        self._lock = threading.Lock()
        self._log = folder / DB_NAME
        settings = read_meta(self._connection, "settings")
        try:
            check_complete(folder, settings)
        except ConfigError:
            self._connection.close()
            raise
        super().__init__(
            Objective.of(settings["metric"], settings["mode"]),
            name=folder.name,
            path=str(folder.absolute()),
            records=self._read,
            run=RunFacts.from_settings(settings),
        )
        self.settings: dict[str, Any] = settings

    def start_from_snapshot(self) -> None:
        """Start from the log's snapshot, when it has one and nothing is folded yet."""
        with self._lock:
            found = read_snapshot(self._connection, self._log) if not self.position else None
            if found is not None:
                self.start_at(*found)

    def summary(self) -> dict[str, Any]:
        """What ``rung status`` shows (``snapshot.summary_of``): read from the snapshot when
        it covers the whole log (a finished experiment's does), else from the trials
        folded to the log's end."""
        with self._lock:
            found = None if self.position else read_summary(self._connection, self._log)
            self.stop_reason = read_meta(self._connection, "stop_reason")
        if found is not None:
            return found
        self.start_from_snapshot()
        self.refresh()
        return summary_of(self.results())

    def _read(self, after: int) -> list[Event]:
        return read_events(self._connection, self._log, after)

    def refresh(self, limit: int | None = None) -> list[Event]:
        """Fold the records written since the last refresh (at most ``limit`` of them: a
        large log can be read a part at a time), and return them."""
        with self._lock:  # one reader at a time, from whichever thread
            try:
                with collection_paused():
                    new = read_events(self._connection, self._log, self.position, limit)
                    for event in new:
                        self.apply(event)
            except LogError as error:
                raise LogError(f"{self._log}: {error}") from None
            self.stop_reason = read_meta(self._connection, "stop_reason")
            self.elapsed_before = float(read_meta(self._connection, "elapsed_s", 0.0) or 0.0)
            return new

    def length(self) -> int:
        """How many records the log holds now (folded or not)."""
        with self._lock:
            return log_length(self._connection, self._log)

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> FolderView:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_view(
    directory: str | os.PathLike, shared: bool = False, limit: int | None = None
) -> FolderView:
    """A read-only view of the experiment in ``directory`` (relative, absolute or with
    ``~``), folded up to its last committed record (or its first ``limit``); ``shared``:
    refreshed from several threads (a server's)."""
    view = FolderView(directory, shared)
    try:
        view.start_from_snapshot()
        view.refresh(limit)
    except BaseException:
        view.close()
        raise
    return view


def check_complete(directory: str | os.PathLike, settings: Any) -> None:
    """Refuse a log whose settings are missing or unreadable, naming the folder."""
    if not isinstance(settings, dict) or "metric" not in settings or "mode" not in settings:
        raise ConfigError(f"{directory} has no settings; it is not a complete rung experiment")

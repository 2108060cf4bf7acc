"""The callback contract: hooks the driver calls as an experiment unfolds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rung.events import Event
    from rung.results import Results
    from rung.trial import Trial
    from rung.view import ExperimentView


class Callback:
    """Override the hooks you need; each is called in the driver's thread."""

    def on_experiment_start(self, experiment: ExperimentView) -> None:
        """Before the first trial starts, with a read-only view of the experiment: its
        trials (which grow as it runs), objective, folder and strategy (``experiment.run``)."""

    def on_trial_start(self, trial: Trial) -> None:
        """A run of a trial was launched (a first run, a retry or a resume)."""

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> None:
        """A trial reported a result."""

    def on_trial_error(self, trial: Trial, error: str, traceback: str | None) -> None:
        """A run of a trial failed (it may still be retried)."""

    def on_trial_end(self, trial: Trial) -> None:
        """A trial ended for good, or was paused."""

    def on_events_committed(self, events: list[Event]) -> None:
        """These events were just committed to the log, in order: for writers whose files
        must agree with the log after a crash (nothing uncommitted, nothing twice)."""

    def on_turn_end(self) -> None:
        """The driver finished one turn of its loop (a place to write buffered output)."""

    def on_experiment_end(self, results: Results) -> None:
        """After the last trial, with what was found."""

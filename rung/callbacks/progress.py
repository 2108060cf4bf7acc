"""Progress on the terminal: a line as trials end, each error once, a table of the best."""

from __future__ import annotations

import math
import sys
import time
from typing import TYPE_CHECKING, Any

from rung.callbacks.base import Callback
from rung.results import flatten
from rung.trial import TrialStatus

if TYPE_CHECKING:
    from rich.console import Console

    from rung.experiment import Experiment
    from rung.results import Results
    from rung.trial import Trial


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


class ProgressReporter(Callback):
    """Prints what an experiment does, quietly enough for thousands of trials.

    Args:
        verbose: 0 prints nothing; 1 a line per ended trial at most every
            ``min_interval_s`` (and always for a new best), each error once, and a final
            table; 2 a line for every ended trial.
        top: rows of the final table.
        min_interval_s: least time between two progress lines at ``verbose=1``.
    """

    def __init__(
        self,
        verbose: int = 1,
        top: int = 5,
        min_interval_s: float = 1.0,
        console: Console | None = None,
    ) -> None:
        self.verbose = verbose
        self.top = top
        self.min_interval_s = min_interval_s
        # Logs (CI, nohup, notebooks' captured output) get wide lines rather than a table
        # squeezed to 80 columns.
        width = None if sys.stdout.isatty() else 160
        if console is None:
            from rich.console import Console  # imported here: `import rung` stays light

            console = Console(highlight=False, width=width)
        self.console = console
        self._seen_errors: dict[str, str] = {}
        self._last_line = -math.inf
        self._ended = 0
        self._best: float | None = None

    def on_experiment_start(self, experiment: Experiment) -> None:
        self._experiment = experiment
        if self.verbose:
            self.console.print(
                f"[bold]rung[/bold] {experiment.name}: {experiment.mode} {experiment.metric!r} "
                f"with {experiment.searcher.describe()} + "
                f"{type(experiment.scheduler).__name__} on {len(experiment.slots)} "
                f"{'slot' if len(experiment.slots) == 1 else 'slots'} "
                f"({type(experiment.executor).__name__}), results in {experiment.path}"
            )
            if experiment.interrupted is not None:
                self._print_resume(experiment)

    def _print_resume(self, experiment: Experiment) -> None:
        done = sum(t.status.is_finished for t in experiment.trials.values())
        interrupted = experiment.interrupted or []
        from_checkpoint = [t.trial_id for t in interrupted if t.checkpoint]
        from_scratch = [t.trial_id for t in interrupted if not t.checkpoint]
        self.console.print(
            f"resumed: {len(experiment.trials)} trials so far, {done} finished; "
            f"{len(from_checkpoint)} interrupted restart from their last checkpoint "
            f"{from_checkpoint or ''}, {len(from_scratch)} from scratch (no checkpoint) "
            f"{from_scratch or ''}"
        )

    def on_trial_error(self, trial: Trial, error: str, traceback: str | None) -> None:
        if not self.verbose:
            return
        first = self._seen_errors.setdefault(error, trial.trial_id)
        if first == trial.trial_id and traceback:
            self.console.print(f"[red]trial {trial.trial_id} failed:[/red]")
            self.console.print(traceback.rstrip(), markup=False)
        else:
            note = f" (traceback shown for trial {first})" if first != trial.trial_id else ""
            self.console.print(f"[red]trial {trial.trial_id} failed:[/red] {error}{note}")

    def _is_new_best(self, trial: Trial) -> bool:
        experiment = self._experiment
        value = trial.best_value(experiment.metric, experiment.mode)
        if value is None:
            return False
        better = self._best is None or (
            value < self._best if experiment.mode == "min" else value > self._best
        )
        if better:
            self._best = value
        return better

    def on_trial_end(self, trial: Trial) -> None:
        if trial.status is TrialStatus.PAUSED:
            return
        self._ended += 1
        new_best = self._is_new_best(trial)
        now = time.monotonic()
        due = now - self._last_line >= self.min_interval_s
        if self.verbose >= 2 or (self.verbose == 1 and (due or new_best)):
            self._last_line = now
            metric = self._experiment.metric
            last = (trial.last_result or {}).get(metric)
            config = ", ".join(f"{k}={_short(v)}" for k, v in flatten(trial.config).items())
            mark = " [green]new best[/green]" if new_best else ""
            self.console.print(
                f"[{self._ended} ended] trial {trial.trial_id} {trial.status.value.lower()} "
                f"after {trial.iterations} it: {metric}={_short(last)}{mark}  {config}"
            )

    def on_experiment_end(self, results: Results) -> None:
        if not self.verbose:
            return
        counts: dict[str, int] = {}
        for trial in results.trials:
            counts[trial.status.value] = counts.get(trial.status.value, 0) + 1
        summary = ", ".join(f"{n} {status.lower()}" for status, n in counts.items())
        self.console.print(
            f"[bold]done[/bold]: {len(results.trials)} trials ({summary}); "
            f"stopped because {results.stop_reason}"
        )
        frame = results.dataframe()
        if frame.empty or frame[results.metric].isna().all():
            return
        frame = frame.sort_values(results.metric, ascending=results.mode == "min")
        frame = frame.dropna(subset=[results.metric]).head(self.top)
        from rich.table import Table

        columns = ["trial_id", results.metric, "iterations", "status"]
        columns += [c for c in frame.columns if c.startswith("config/")]
        table = Table(title=f"best {len(frame)} trials by {results.metric}")
        for column in columns:
            table.add_column(column.removeprefix("config/"))
        for _, row in frame.iterrows():
            table.add_row(*(_short(row[c]) for c in columns))
        self.console.print(table)

"""Progress on the terminal: a live status view (or status lines in a log), a line as
trials end, each error once, a table of the best."""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rung.callbacks.base import Callback
from rung.callbacks.status_view import config_text, short, status_line, status_view
from rung.configs import flatten
from rung.results import trial_score
from rung.trial import TrialStatus

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live
    from rich.table import Table

    from rung.results import Results
    from rung.trial import Trial
    from rung.view import ExperimentView


class ProgressReporter(Callback):
    """Prints what an experiment does, quietly enough for thousands of trials.

    Args:
        verbose: 0 prints nothing; 1 a line per ended trial at most every
            ``min_interval_s`` (and always for a new best), each error once, and a final
            table; 2 a line for every ended trial.
        top: rows of the final table.
        min_interval_s: least time between two progress lines at ``verbose=1``.
        live: draw the status view in place (None: on a terminal, not under CI).
        status_interval_s: where the view is not live, time between two status lines.
        live_interval_s: least time between two redraws of the live view.
    """

    def __init__(
        self,
        verbose: int = 1,
        top: int = 5,
        min_interval_s: float = 1.0,
        console: Console | None = None,
        live: bool | None = None,
        status_interval_s: float = 10.0,
        live_interval_s: float = 0.25,
    ) -> None:
        self.verbose = verbose
        self.top = top
        self.min_interval_s = min_interval_s
        self.status_interval_s = status_interval_s
        self.live_interval_s = live_interval_s
        # Logs (CI, nohup, notebooks' captured output) get wide lines rather than a table
        # squeezed to 80 columns.
        width = None if sys.stdout.isatty() else 160
        if console is None:
            from rich.console import Console  # imported here: `import rung` stays light

            console = Console(highlight=False, width=width)
        self.console = console
        if live is None:
            live = console.is_terminal and not console.is_jupyter and not os.environ.get("CI")
        self.live = live
        self._live: Live | None = None
        self._next_view = -math.inf
        self._seen_errors: dict[str, str] = {}
        self._last_line = -math.inf
        self._ended = 0
        self._best: float | None = None

    def on_experiment_start(self, experiment: ExperimentView) -> None:
        self._experiment = experiment
        run = experiment.run
        where = f"results in {experiment.path}" if run.persistent else "results in memory"
        if self.verbose:
            slots = run.slots
            # A loop the user drives (rung.Tuner) has no slots: it runs what it asks for.
            runs_on = f"{slots} {'slot' if slots == 1 else 'slots'} " if slots else ""
            self.console.print(
                f"[bold]rung[/bold] {experiment.name}: {experiment.objective.describe()} "
                f"with {run.searcher_description} + {run.scheduler} on {runs_on}"
                f"({run.executor}), {where}"
            )
            if experiment.interrupted is not None:
                self._print_resume(experiment)
            if self.live:
                from rich.live import Live

                self._live = Live(
                    status_view(experiment),
                    console=self.console,
                    auto_refresh=False,
                    transient=True,
                )
                self._live.start()
            interval = self.live_interval_s if self.live else self.status_interval_s
            self._next_view = time.monotonic() + interval

    def _show_status(self) -> None:
        """Redraw the live view (at most four times a second), or print a status line
        every ``status_interval_s``."""
        if not self.verbose:
            return
        now = time.monotonic()
        if now < self._next_view:
            return
        if self._live is not None:
            self._live.update(status_view(self._experiment), refresh=True)
            self._next_view = now + self.live_interval_s
        else:
            self.console.print(status_line(self._experiment), markup=False, highlight=False)
            self._next_view = now + self.status_interval_s

    def on_turn_end(self) -> None:
        self._show_status()

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> None:
        self._show_status()  # an inline trial holds the loop: its reports redraw too

    def _print_resume(self, experiment: ExperimentView) -> None:
        done = sum(t.status.is_finished for t in experiment.trials.values())
        interrupted = experiment.interrupted or []
        from_checkpoint = [t.trial_id for t in interrupted if t.checkpoint]
        from_scratch = [t.trial_id for t in interrupted if not t.checkpoint]
        restarts = [
            f"{len(ids)} {how} {ids}"
            for ids, how in (
                (from_checkpoint, "from their last checkpoint"),
                (from_scratch, "from scratch (no checkpoint)"),
            )
            if ids
        ]
        self.console.print(
            f"resumed: {len(experiment.trials)} trials so far, {done} finished; "
            + (
                f"interrupted, restarting: {', '.join(restarts)}"
                if restarts
                else "none interrupted"
            )
        )

    def on_trial_error(self, trial: Trial, error: str, traceback: str | None) -> None:
        if not self.verbose:
            return
        first = self._seen_errors.setdefault(error, trial.trial_id)
        if first == trial.trial_id:
            self.console.print(f"[red]trial {trial.trial_id} failed:[/red]")
            self._print_output(trial, "stderr.log")
            self.console.print((traceback or error).rstrip(), markup=False)
        else:
            note = f" (traceback shown for trial {first})" if first != trial.trial_id else ""
            self.console.print(f"[red]trial {trial.trial_id} failed:[/red] {error}{note}")

    def _print_output(self, trial: Trial, name: str, lines: int = 20) -> None:
        """The last lines a trial wrote to its ``stdout.log`` or ``stderr.log``."""
        path = Path(self._experiment.trial_dir(trial.trial_id)) / name
        try:
            text = path.read_text(errors="replace").rstrip()
        except OSError:
            return
        if text:
            tail = "\n".join(text.splitlines()[-lines:])
            self.console.print(f"[dim]{path} (last {lines} lines at most):[/dim]")
            self.console.print(tail, markup=False, highlight=False)

    def _is_new_best(self, trial: Trial) -> bool:
        """Whether the trial now ranks best, by the rule ``results.best_trial`` uses (never,
        with several objectives: the final table gives their front)."""
        if self._experiment.objective.several:
            return False
        score = trial_score(trial, self._experiment.objective)
        if score == math.inf or (self._best is not None and score >= self._best):
            return False
        self._best = score
        return True

    def on_trial_end(self, trial: Trial) -> None:
        if self._live is not None:
            self._next_view = -math.inf  # the view shows it gone at the next turn
        if trial.status is TrialStatus.PAUSED:
            return
        self._ended += 1
        new_best = self._is_new_best(trial)
        now = time.monotonic()
        due = now - self._last_line >= self.min_interval_s
        if self.verbose >= 2:
            for name in ("stdout.log", "stderr.log"):
                self._print_output(trial, name)
        if self.verbose >= 2 or (self.verbose == 1 and (due or new_best)):
            self._last_line = now
            last = trial.last_result or {}
            values = ", ".join(
                f"{metric}={short(last.get(metric))}"
                for metric in self._experiment.objective.metrics
            )
            config = config_text(trial)
            mark = " [green]new best[/green]" if new_best else ""
            self.console.print(
                f"[{self._ended} ended] trial {trial.trial_id} {trial.status.value.lower()} "
                f"after {trial.iterations} it: {values}{mark}  {config}"
            )

    def on_experiment_end(self, results: Results) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
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
        if results.objective.several or results.ranked():
            self.console.print(best_table(results, self.top))


def best_table(results: Results, top: int, title: str | None = None) -> Table:
    """The ``top`` trials, best first by the rule of ``results.best_trial`` (with several
    objectives: the Pareto front, by the first), with their metrics, iterations, status and
    configuration; numbers to four significant digits."""
    from rich.table import Table

    metrics = results.objective.metrics
    if results.objective.several:  # no one best: the trials no other beats on all of them
        ranked = sorted(results.front(), key=lambda t: results.objective.score(t.last_result))
        default = f"Pareto front: {len(ranked)} trials ({results.objective.describe()})"
    else:
        ranked = results.ranked()[:top]
        default = f"best {len(ranked)} trials by {results.metric}"
    keys = list(dict.fromkeys(k for t in ranked for k in flatten(t.config)))
    table = Table(title=title or default)
    for column in ["trial_id", *metrics, "iterations", "status", *keys]:
        table.add_column(column)
    for trial in ranked:
        config = flatten(trial.config)
        last = trial.last_result or {}
        table.add_row(
            trial.trial_id,
            *(short(last.get(metric)) for metric in metrics),
            str(trial.iterations),
            trial.status.value,
            *(short(config.get(key, "")) for key in keys),
        )
    return table

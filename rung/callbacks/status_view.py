"""What an experiment is doing right now, in a few lines: elapsed time and budget, trials
by state and per second, the best so far, and the running trials with their latest metric.

Drawn in place (rich's ``Live``) on a terminal; written as one plain line now and then
where the output is a log (not a terminal, or under CI).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rung.configs import flatten
from rung.objective import Objective
from rung.results import Results
from rung.trial import TrialStatus

if TYPE_CHECKING:
    from rich.console import RenderableType

    from rung.trial import Trial
    from rung.view import ExperimentView

# The order states are counted in, and the word for each; "next" counts the running
# trials an executor handed to a busy slot that have not begun (``ExperimentView.staged``).
STATES = (
    (TrialStatus.RUNNING, "running"),
    (TrialStatus.RUNNING, "next"),
    (TrialStatus.PENDING, "pending"),
    (TrialStatus.PAUSED, "paused"),
    (TrialStatus.TERMINATED, "completed"),
    (TrialStatus.STOPPED, "stopped"),
    (TrialStatus.ERROR, "failed"),
)


def clock(seconds: float) -> str:
    """``1:02:03`` or ``2:03``."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def short(value: Any) -> str:
    """A value in a few characters: floats to four significant digits."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def config_text(trial: Trial, width: int | None = None) -> str:
    """``lr=0.01, width=64``: the trial's config in one line, cut at ``width`` characters."""
    text = ", ".join(f"{k}={short(v)}" for k, v in flatten(trial.config).items())
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


def _counts(experiment: ExperimentView) -> dict[str, int]:
    counts = {word: 0 for _, word in STATES}
    words = {status: word for status, word in reversed(STATES)}
    staged = experiment.staged
    for trial in experiment.trials.values():
        if trial.imported_from is None:  # a warm start's are said apart
            counts["next" if trial.trial_id in staged else words[trial.status]] += 1
    return counts


def summary(experiment: ExperimentView) -> tuple[str, str, str]:
    """Three lines: time and pace, trials by state, the best so far."""
    elapsed = experiment.elapsed_s
    stop = experiment.run
    timing = f"{clock(elapsed)} elapsed"
    if stop.time_budget_s is not None:
        left = max(0.0, stop.time_budget_s - elapsed)
        timing += f" of {clock(stop.time_budget_s)} ({clock(left)} left)"
    counts = _counts(experiment)
    ended = counts["completed"] + counts["stopped"] + counts["failed"]
    rate = ended / elapsed if elapsed > 0 else 0.0
    timing += f", {rate:.2f} trials/s" if rate < 10 else f", {rate:.0f} trials/s"
    total = f"{experiment.created} of {stop.num_trials}" if stop.num_trials else ""
    states = ", ".join(f"{n} {word}" for word, n in counts.items() if n)
    if experiment.imported:
        states = f"{states}; " if states else ""
        states += f"{experiment.imported} imported by a warm start"
    states = f"trials {total}: {states}" if total else f"trials: {states or 'none yet'}"
    results = Results(list(experiment.trials.values()), experiment.objective)
    if experiment.objective.several:
        front = [trial.trial_id for trial in results.front()]
        return timing, states, front_line(front, results.objective)
    best = results.best_trial
    metric = experiment.objective.metric
    if best is None:
        best_line = f"best {metric}: none yet"
    else:
        value = (best.last_result or {}).get(metric)
        best_line = (
            f"best {metric}={short(value)} (trial {best.trial_id}, iteration "
            f"{best.iterations}): {config_text(best, 100)}"
        )
    return timing, states, best_line


def front_line(front: list[str], objective: Objective) -> str:
    """With several objectives, what stands for the best: the Pareto front's size and the
    ids of its first trials."""
    shown = ", ".join(front[:8]) + (", ..." if len(front) > 8 else "")
    described = objective.describe()
    return f"Pareto front ({described}): {len(front)} trials" + (f": {shown}" if front else "")


def status_line(experiment: ExperimentView) -> str:
    """The summary as one plain line, for logs."""
    return "[status] " + " | ".join(summary(experiment))


def status_view(experiment: ExperimentView, rows: int = 8) -> RenderableType:
    """The summary, and a table of the running trials (the first ``rows``)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    timing, states, best_line = summary(experiment)
    metric = experiment.objective.metric
    staged = experiment.staged
    running = sorted(
        (
            t
            for t in experiment.trials.values()
            if t.status is TrialStatus.RUNNING and t.trial_id not in staged
        ),
        key=lambda t: t.trial_id,
    )
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("trial", "iter", f"{metric} (latest)", "best", "trial time", "config"):
        table.add_column(column, no_wrap=True)
    for trial in running[:rows]:
        last = trial.last_result or {}
        best = trial.best_value(experiment.objective)
        table.add_row(
            trial.trial_id,
            str(trial.iterations),
            short(last.get(metric, "")),
            short(best) if best is not None else "",
            clock(float(last.get("time_total_s", 0.0))),
            config_text(trial, 60),
        )
    parts: list[Any] = [
        Text.from_markup(f"[bold]rung[/bold] {experiment.name}: {timing}"),
        Text(states),
        Text(best_line),
    ]
    if running:
        parts.append(table)
    if len(running) > rows:
        parts.append(Text(f"… and {len(running) - rows} more running"))
    return Group(*parts)

"""The trials table as the dashboard serves it: filtered, sorted and cut into pages on the
server, so a page of 50 rows costs the same whether the experiment has 50 trials or 50,000."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rung.configs import flatten
from rung.errors import ConfigError
from rung.objective import Objective, as_number
from rung.trial import Trial, TrialStatus
from rung.view import TrialFold

# A trial's state as the table names it (the words of ``rung status`` and the status view).
STATES = {
    TrialStatus.PENDING: "pending",
    TrialStatus.RUNNING: "running",
    TrialStatus.PAUSED: "paused",
    TrialStatus.TERMINATED: "completed",
    TrialStatus.STOPPED: "stopped",
    TrialStatus.ERROR: "failed",
}
FIXED_COLUMNS = ("trial_id", "state", "iterations", "value", "best")


@dataclass(frozen=True)
class TableQuery:
    """What a reader asks of the table.

    Attributes:
        states: keep trials in these states (all when empty).
        ranges: ``{column: (low, high)}``: keep trials whose value lies within (either end
            None for open); a trial without a number there is left out.
        sort: the column to sort by (``value``: the metric's latest report).
        descending: largest first.
        offset, limit: the page.
    """

    states: frozenset[str] = frozenset()
    ranges: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    sort: str = "trial_id"
    descending: bool = False
    offset: int = 0
    limit: int = 50


def row(trial: Trial, objective: Objective) -> dict[str, Any]:
    """One trial as a table row: its state, iterations, latest and best metric values
    (``value`` is what ``best_trial`` ranks by) and its flattened configuration."""
    return {
        "trial_id": trial.trial_id,
        "state": STATES[trial.status],
        "iterations": trial.iterations,
        "value": trial.value(objective),
        "best": trial.best_value(objective),
        **{f"config/{key}": value for key, value in flatten(trial.config).items()},
    }


def columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The fixed columns, then every configuration column any row has, in order seen."""
    seen = dict.fromkeys(FIXED_COLUMNS)
    for one in rows:
        seen.update(dict.fromkeys(one))
    return list(seen)


def trials_page(trials: Sequence[Trial], objective: Objective, query: TableQuery) -> dict[str, Any]:
    """``{"total", "columns", "rows"}``: the trials ``query`` keeps (``total`` of them),
    sorted, and the page it asks for. Numbers sort by value, then other values by their
    text; rows without a value there (or NaN) go last whichever the direction."""
    return page_of([row(trial, objective) for trial in trials], query)


def page_of(rows: Sequence[Mapping[str, Any]], query: TableQuery) -> dict[str, Any]:
    """``trials_page`` over rows already built (a server keeps them per log position)."""
    known = columns(rows)
    for name in [query.sort, *query.ranges]:
        if rows and name not in known:  # an experiment with no trials yet has every column
            raise ConfigError(f"no column {name!r} in this experiment's trials; it has {known}")
    unknown_states = query.states - set(STATES.values())
    if unknown_states:
        raise ConfigError(
            f"no state {sorted(unknown_states)}; the states are {sorted(STATES.values())}"
        )
    kept = [r for r in rows if _kept(r, query)]
    numbers, texts, absent = [], [], []
    for one in kept:
        value = one.get(query.sort)
        number = as_number(value)
        if number is not None and not math.isnan(number):
            numbers.append((number, one))
        elif value is None or isinstance(value, float):  # missing, or NaN
            absent.append(one)
        else:
            texts.append((str(value), one))
    # Stable sorts: rows that tie keep the trials' order.
    numbers.sort(key=lambda pair: pair[0], reverse=query.descending)
    texts.sort(key=lambda pair: pair[0], reverse=query.descending)
    ordered = [r for _, r in numbers] + [r for _, r in texts] + absent
    page = ordered[query.offset : query.offset + max(0, query.limit)]
    return {"total": len(kept), "columns": known, "rows": page}


def _kept(one: Mapping[str, Any], query: TableQuery) -> bool:
    if query.states and one["state"] not in query.states:
        return False
    for name, (low, high) in query.ranges.items():
        number = as_number(one.get(name))
        if number is None or math.isnan(number):
            return False
        if (low is not None and number < low) or (high is not None and number > high):
            return False
    return True


class TrialRows:
    """The table's rows of one experiment, kept up with its view: only the trials changed
    since the last catch-up are made again (a poll of a running experiment of 10,000 trials
    redoes the few that reported, not all of them)."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.position = 0

    def catch_up(self, view: TrialFold, objective: Objective) -> None:
        """Make again the rows of the trials ``view`` changed since the last catch-up."""
        if view.position == self.position:
            return
        for trial_id, at in view.changed_at.items():
            if at > self.position:
                self.rows[trial_id] = row(view.trials[trial_id], objective)
        self.position = view.position

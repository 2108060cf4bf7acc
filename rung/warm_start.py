"""Warm start: finished trials from elsewhere (another experiment's folder, its ``Results``,
a DataFrame, ``(config, metrics)`` pairs) brought into a new experiment, which learns from
them and ranks them as its own without running them again.

``gather`` reads what the user gave into ``Imported`` trials; ``admit`` keeps those that fit
the new space and report the objective, and says in one line what it left out and why.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rung.configs import unflatten
from rung.errors import ConfigError, ConfigMisfit, RungError
from rung.objective import Objective
from rung.space import Space

# Columns of ``Results.dataframe()`` that describe a trial rather than report a metric.
_BOOKKEEPING = {"trial_id", "status", "iterations", "time_total_s", "error"}


@dataclass(frozen=True)
class Imported:
    """One finished trial to import: its configuration and its reports (the last one is
    what it reached)."""

    config: dict[str, Any]
    results: list[dict[str, Any]]


@dataclass
class Admitted:
    """The trials a warm start brings in, where from, and what it left out (reason: count)."""

    trials: list[Imported]
    source: str
    dropped: dict[str, int] = field(default_factory=dict)
    trimmed: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        """One line: how many were imported from where, and what was left out and why."""
        line = f"warm start: {len(self.trials)} finished trials imported from {self.source}"
        if self.dropped:
            reasons = "; ".join(f"{count} {why}" for why, count in self.dropped.items())
            line += f"; {sum(self.dropped.values())} left out ({reasons})"
        if self.trimmed:
            keys = ", ".join(f"{key!r}" for key in self.trimmed)
            line += f"; {keys} no longer in the space, left out of their configurations"
        return line


def gather(source: Any) -> tuple[list[Imported], str]:
    """The finished trials ``source`` holds, and a name for where they came from."""
    from rung.results import Results

    if isinstance(source, str | os.PathLike):
        from rung.storage import load

        try:
            results = load(source)
        except RungError as error:  # not an experiment, a damaged log: named as the knob
            raise ConfigError(f"warm_start={os.fspath(source)!r}: {error}") from None
        return _from_results(results), f"the experiment {os.fspath(source)!r}"
    if isinstance(source, Results):
        return _from_results(source), "the results given"
    if type(source).__name__ == "DataFrame" and hasattr(source, "to_dict"):
        return _from_dataframe(source), "the DataFrame given"
    if isinstance(source, Sequence) and not isinstance(source, bytes):
        return [_pair(item, i) for i, item in enumerate(source)], "the (config, metrics) pairs"
    raise ConfigError(
        f"warm_start={source!r:.80}: give an experiment folder, its rung.Results, a DataFrame "
        "(as Results.dataframe() writes one) or a list of (config, metrics) pairs"
    )


def _from_results(results: Any) -> list[Imported]:
    from rung.events import TrialStatus

    return [
        Imported(dict(t.config), [dict(r) for r in t.results])
        for t in results.trials
        if t.status is TrialStatus.TERMINATED and t.results
    ]


def _from_dataframe(frame: Any) -> list[Imported]:
    columns = list(frame.columns)
    prefixed = [c for c in columns if str(c).startswith("config/")]
    trials = []
    for row in frame.to_dict("records"):
        if str(row.get("status", "TERMINATED")) != "TERMINATED":
            continue
        if prefixed:
            config = unflatten({str(c).removeprefix("config/"): row[c] for c in prefixed})
            metrics = {
                str(c): row[c] for c in columns if c not in prefixed and c not in _BOOKKEEPING
            }
        else:  # parameters and metrics side by side: told apart once the space is known
            config, metrics = {}, {str(c): row[c] for c in columns if c not in _BOOKKEEPING}
        metrics = {k: v for k, v in metrics.items() if not _missing(v)}
        trials.append(Imported(config, [metrics]))
    return trials


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _pair(item: Any, index: int) -> Imported:
    if not (isinstance(item, Sequence) and len(item) == 2 and isinstance(item[0], Mapping)):
        raise ConfigError(
            f"warm_start[{index}] is {item!r:.80}: give (config, metrics) pairs, metrics a dict "
            "of what the trial reported (or a list of such dicts, its reports in order)"
        )
    config, metrics = item
    reports = [metrics] if isinstance(metrics, Mapping) else metrics
    if (
        not isinstance(reports, Sequence)
        or not reports
        or not all(isinstance(r, Mapping) for r in reports)
    ):
        raise ConfigError(
            f"warm_start[{index}]: its metrics are {metrics!r:.80}, not a dict or a list of dicts"
        )
    return Imported(dict(config), [dict(r) for r in reports])


def admit(trials: list[Imported], source: str, space: Space, objective: Objective) -> Admitted:
    """The trials that fit ``space`` (keys it no longer has left out of their
    configurations, constants it gained filled in) and whose last report ranks by
    ``objective``, with the count of each reason the others were left out."""
    admitted = Admitted([], source)
    names = set(space.definition)
    constants = {
        key: value for key, value in space.definition.items() if Space({key: value}).dim == 0
    }
    for trial in trials:
        config, results = trial.config, trial.results
        if not config:  # a DataFrame without "config/" columns: the space says which
            config = {k: v for k, v in results[-1].items() if k in names}
            results = [{k: v for k, v in r.items() if k not in names} for r in results]
        for key in config.keys() - names:
            admitted.trimmed[key] = admitted.trimmed.get(key, 0) + 1
        config = {**constants, **{k: v for k, v in config.items() if k in names}}
        why = _misfit(config, results, space, objective)
        if why is None:
            admitted.trials.append(Imported(config, results))
        else:
            admitted.dropped[why] = admitted.dropped.get(why, 0) + 1
    return admitted


def _misfit(
    config: dict[str, Any], results: list[dict[str, Any]], space: Space, objective: Objective
) -> str | None:
    """Why a trial cannot be imported (None: it can)."""
    try:
        space.encode(config)
    except ConfigMisfit as misfit:
        if misfit.missing:
            return f"lack {misfit.parameter!r}"
        return f"have {misfit.parameter} outside the space"
    if math.inf in objective.scores(results[-1]):
        return f"report no rankable {' or '.join(repr(m) for m in objective.metrics)}"
    return None

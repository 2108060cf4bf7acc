"""What the dashboard says of each experiment at a glance, and charts as JSON: computed from
a read-only view, with the functions ``rung.plot`` draws from, so the page and the plots
never disagree."""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path
from typing import Any

from rung.dashboard.tables import STATES
from rung.plot._charts import Chart
from rung.view import ExperimentView


def overview(view: ExperimentView, length: int | None = None) -> dict[str, Any]:
    """Counts by state, the best trial (by ``best_trial``'s rule), the budget used, why it
    stopped, its strategy and the log position this was read at; ``length``: the log's
    records when it is still being read (``reading`` then says how far)."""
    counts = dict.fromkeys(STATES.values(), 0)
    for trial in view.trials.values():
        counts[STATES[trial.status]] += 1
    results = view.results()
    several = view.objective.several
    best = None if several else results.best_trial
    run = view.run
    return {
        "name": view.name,
        "path": view.path,
        "metric": view.objective.metric,
        "mode": view.objective.mode,
        "objectives": view.objective.describe(),
        "front": len(results.front()) if several else None,
        "position": view.position,
        "reading": None if length is None else {"records": view.position, "of": length},
        "trials": len(view.trials),
        "counts": counts,
        "best": None
        if best is None
        else {
            "trial_id": best.trial_id,
            "value": best.value(view.objective),
            "iterations": best.iterations,
            "config": best.config,
        },
        "elapsed_s": view.elapsed_s,
        "time_budget_s": run.time_budget_s,
        "num_trials": run.num_trials,
        "stop_reason": view.stop_reason,
        "searcher": run.searcher,
        "scheduler": run.scheduler,
        "executor": run.executor,
    }


def chart_json(chart: Chart) -> dict[str, Any]:
    """A chart as JSON-ready data: its panels and traces, non-finite numbers as None."""
    return _finite(dataclasses.asdict(chart))


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def trial_detail(view: ExperimentView, trial_id: str) -> dict[str, Any] | None:
    """One trial as the log has it: state, configuration (and the one it started with, if
    PBT changed it), every result, its lineage (what it copied, when), its checkpoints, its
    error and the end of what it printed; None when the experiment has no such trial."""
    trial = view.trials.get(trial_id)
    if trial is None:
        return None
    return _finite(
        {
            "trial_id": trial.trial_id,
            "state": STATES[trial.status],
            "iterations": trial.iterations,
            "value": trial.value(view.objective),
            "best": trial.best_value(view.objective),
            "config": trial.config,
            "initial_config": trial.initial_config,
            "results": trial.results,
            "lineage": trial.lineage,
            "checkpoints": trial.checkpoints,
            "error": trial.error,
            "traceback": trial.traceback,
            **{
                stream: log_tail(Path(view.trial_dir(trial.trial_id)) / f"{stream}.log")
                for stream in ("stdout", "stderr")
            },
        }
    )


def log_tail(path: Path, size: int = 4096) -> str:
    """The last ``size`` bytes of a trial's output log, as text ("" when it wrote none)."""
    try:
        with open(path, "rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - size))
            return log.read().decode("utf-8", errors="replace")
    except OSError:
        return ""

"""The charts rung draws, built from an experiment's results (no plotting library here)."""

from __future__ import annotations

import heapq
import math
import operator
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Union

import numpy as np

from rung.configs import flatten
from rung.errors import ConfigError
from rung.events import TrialStatus
from rung.objective import Objective, as_number, is_number
from rung.pbt_schedule import lineage_schedule
from rung.plot._charts import (
    FATE_COLORS,
    SERIES_COLORS,
    STOP_COLORS,
    Axis,
    Chart,
    Panel,
    Style,
    Trace,
    as_array,
)
from rung.results import Results
from rung.trial import Trial

Source = Union[Results, str, "os.PathLike[str]"]
# Markers drawn at most on a best-so-far chart: beyond it, an even sample (500,000 reports
# would make a page of tens of megabytes, and a cloud no eye can read).
MAX_MARKERS = 5000
# The incumbent's heap is made afresh once it holds this many entries more than twice the
# trials it ranks: half a million stale entries took 80 ms to free, holding the interpreter.
HEAP_SLACK = 1000


def load_results(source: Source) -> Results:
    """``source`` as results: a ``Results``, or the folder of an experiment."""
    if isinstance(source, Results):
        return source
    from rung.storage import load

    return load(source)


def one_objective(results: Results, chart: str) -> Results:
    """``results``, or a ConfigError when its experiment has several objectives: the charts
    that rank by one metric (a best so far, an importance) have nothing to say of them."""
    if results.objective.several:
        raise ConfigError(
            f"{chart} ranks by one metric and this experiment has several "
            f"({results.objective.describe()}): see the pareto_front and hypervolume charts"
        )
    return results


def _running_best(values: Sequence[float], objective: Objective) -> list[float]:
    """The best value so far after each of ``values``."""
    running: list[float] = []
    for value in values:
        running.append(value if not running else objective.best((running[-1], value)))
    return running


def _timed_values(trial: Trial, objective: Objective) -> list[tuple[float, float]]:
    """``(experiment time, metric)`` of each of the trial's rankable results."""
    timed = []
    for result in trial.results:
        value = objective.value(result)
        if value is not None and is_number(result.get("experiment_time_s")):
            timed.append((float(result["experiment_time_s"]), value))
    return timed


def best_so_far(source: Source, x: str = "time") -> Chart:
    """The best trial's value as ``Results.best_trial`` would have given it, against
    experiment time (``x="time"``: after each report, the best of every trial's latest
    value) or against the number of trials (``x="trials"``, in the order they were
    created: the best of their last values). The markers are the reports (an even sample of
    ``MAX_MARKERS`` when there are more); the curve keeps the points where it changes."""
    results = one_objective(load_results(source), "best_so_far")
    objective = results.objective
    if x == "time":
        reports = _ReportsInTime(results.trials, objective)
        marked_x, marked_y = reports.rankable_points()
        xs, best = _incumbent(reports, objective)
        xlabel = "experiment time (s)"
    elif x == "trials":
        ordered = sorted(results.trials, key=lambda t: t.trial_id)
        values = [(float(i + 1), t.value(objective)) for i, t in enumerate(ordered)]
        points = [(i, v) for i, v in values if v is not None]
        xs = [p[0] for p in points]
        best = _running_best([p[1] for p in points], objective)
        marked_x = np.array(xs, dtype=float)
        marked_y = np.array([p[1] for p in points], dtype=float)
        xlabel = "trials"
    else:
        raise ConfigError(f"x={x!r}: use 'time' or 'trials'")
    panel = Panel(f"best {objective.metric} so far", xlabel, objective.metric)
    marks = "a report" if x == "time" else "a trial's last report"
    every = max(1, math.ceil(len(marked_x) / MAX_MARKERS))
    if every > 1:  # a sample, evenly spaced in time, says the same and stays light to draw
        marks += f" (1 in {every} shown)"
    sampled_x, sampled_y = marked_x[::every].tolist(), marked_y[::every].tolist()
    panel.traces.append(Trace(sampled_x, sampled_y, "markers", marks, "#aec7e8", opacity=0.6))
    xs, best = _changes(xs, best)
    panel.traces.append(Trace(xs, best, "step", "best trial so far", "#1f77b4"))
    return Chart("best_so_far" if x == "time" else "best_so_far_trials", panel.title, [panel], 1)


def _changes(xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
    """A step curve by its changes only (and its last point): drawn as a step, the same
    curve, with a point per change instead of one per report."""
    kept = [i for i in range(len(ys)) if i == 0 or ys[i] != ys[i - 1] or i == len(ys) - 1]
    return [xs[i] for i in kept], [ys[i] for i in kept]


class _ReportsInTime:
    """Every report of ``trials`` with an experiment time, ordered by (time, trial, report):
    numpy does the sorting (hundreds of thousands of reports of a large experiment), which
    frees the interpreter meanwhile for the dashboard's other requests."""

    def __init__(self, trials: Sequence[Trial], objective: Objective) -> None:
        by_id = sorted(trials, key=operator.attrgetter("trial_id"))
        self.trial_ids = [t.trial_id for t in by_id]
        times, owners, values = [], [], []
        for index, trial in enumerate(by_id):
            for result in trial.results:
                at = result.get("experiment_time_s")
                if is_number(at):
                    value = objective.value(result)
                    times.append(float(at))
                    owners.append(index)
                    values.append(math.nan if value is None else value)
        self.times = as_array(times)
        self.owners = as_array(owners, np.int64)
        self.values = as_array(values)
        self.order = np.lexsort((self.owners, self.times))  # stable: report order kept

    def rankable_points(self) -> tuple[np.ndarray, np.ndarray]:
        """The times and values of the rankable reports, in time order."""
        order = self.order[~np.isnan(self.values[self.order])]
        return self.times[order], self.values[order]


def _incumbent(reports: _ReportsInTime, objective: Objective) -> tuple[list[float], list[float]]:
    """After each report (by experiment time), the best of every trial's latest value: what
    ``best_trial`` would have said then. A report that cannot be ranked takes its trial out
    until it reports again. A heap of (score, trial) keeps it O(reports log reports): an
    entry whose trial has since reported another value is dropped when it reaches the top,
    and the heap is made afresh from the latest values once it is mostly such entries."""
    sign = objective.sign
    order = reports.order
    times = reports.times[order].tolist()
    owners = reports.owners[order].tolist()
    values = reports.values[order].tolist()
    latest: dict[int, float] = {}
    heap: list[tuple[float, int]] = []
    xs, ys = [], []
    for at, owner, value in zip(times, owners, values, strict=True):
        if math.isnan(value):
            latest.pop(owner, None)
        else:
            latest[owner] = value
            heapq.heappush(heap, (sign * value, owner))
        while heap and latest.get(heap[0][1]) != sign * heap[0][0]:
            heapq.heappop(heap)
        if len(heap) > 2 * len(latest) + HEAP_SLACK:  # mostly stale: made afresh, small
            heap = [(sign * value, owner) for owner, value in latest.items()]
            heapq.heapify(heap)
        if heap:
            xs.append(at)
            ys.append(sign * heap[0][0])
    return xs, ys


def fate(trial: Trial) -> str:
    """How a trial ended, for colouring: completed, stopped at iteration N, paused,
    failed, running or pending."""
    status = trial.status
    if status is TrialStatus.TERMINATED:
        return "completed"
    if status is TrialStatus.STOPPED:
        return f"stopped at {trial.iteration}"
    return {
        TrialStatus.PAUSED: "paused",
        TrialStatus.ERROR: "failed",
        TrialStatus.RUNNING: "running",
        TrialStatus.PENDING: "pending",
    }[status]


def fate_colors(trials: Iterable[Trial]) -> dict[str, str]:
    """A colour per fate; each iteration trials were stopped at gets one of its own."""
    fates = {fate(t) for t in trials}
    stops = sorted((f for f in fates if f.startswith("stopped at ")), key=lambda f: int(f[11:]))
    colors = {f: FATE_COLORS[f] for f in fates if f in FATE_COLORS}
    for i, stop in enumerate(stops):
        colors[stop] = STOP_COLORS[min(i, len(STOP_COLORS) - 1)]
    return colors


def learning_curves(source: Source, x: str = "training_iteration", log: bool = False) -> Chart:
    """Each trial's metric against ``x`` (a reported key: ``training_iteration``,
    ``time_total_s``, ``experiment_time_s``), coloured by its fate; a trial with one report
    (stopped at its first) is a marker. ``log``: the metric on a log scale."""
    results = load_results(source)
    objective = results.objective
    colors = fate_colors(results.trials)
    panel = Panel(f"learning curves ({len(results.trials)} trials)", x, objective.metric)
    panel.ylog = log
    counts: dict[str, int] = {}
    for trial in results.trials:
        counts[fate(trial)] = counts.get(fate(trial), 0) + 1
    for trial in results.trials:
        points = [
            (float(r[x]), value)
            for r in trial.results
            if is_number(r.get(x)) and (value := objective.value(r)) is not None
        ]
        if not points:
            continue
        label = f"{fate(trial)} ({counts[fate(trial)]})"
        panel.traces.append(
            Trace(
                [p[0] for p in points],
                [p[1] for p in points],
                "line" if len(points) > 1 else "markers",
                label,
                colors[fate(trial)],
                width=1.0,
                opacity=0.8,
                hover=[f"trial {trial.trial_id}"] * len(points),
            )
        )
    return Chart("learning_curves", panel.title, [panel], 1)


def _numeric_axis(values: list[Any]) -> tuple[list[float], bool, list[tuple[float, str]] | None]:
    """Values placed on an axis: numbers as they are (log-scaled when they are positive
    reals spread over two decades or more, as a learning rate; integers stay linear, as a
    seed), anything else as the index of its category."""
    if values and all(is_number(v) for v in values):
        numbers = [float(v) for v in values]
        reals = any(not float(v).is_integer() for v in numbers)
        log = reals and min(numbers) > 0 and max(numbers) / min(numbers) >= 100
        return numbers, log, None
    categories = sorted({repr(v) for v in values})
    index = {c: i for i, c in enumerate(categories)}
    return [float(index[repr(v)]) for v in values], False, list(enumerate(categories))


def _scored_trials(results: Results) -> tuple[list[Trial], list[float]]:
    """The trials whose value (their last report's) can be ranked, and those values."""
    trials, values = [], []
    for trial in results.trials:
        value = trial.value(results.objective)
        if value is not None:
            trials.append(trial)
            values.append(value)
    return trials, values


def _parameters(trials: Sequence[Trial]) -> list[str]:
    """The config keys (``/``-joined) that vary across the trials."""
    configs = [flatten(t.initial_config or t.config) for t in trials]
    keys = sorted({k for c in configs for k in c})
    return [k for k in keys if len({repr(c.get(k)) for c in configs}) > 1]


def parallel_coordinates(source: Source, params: Sequence[str] | None = None) -> Chart:
    """One line per trial across an axis per parameter and one for the metric (each
    scaled to [0, 1]; log for parameters spread over decades), coloured by the metric."""
    results = load_results(source)
    trials, values = _scored_trials(results)
    names = list(params or _parameters(trials))
    configs = [flatten(t.initial_config or t.config) for t in trials]
    columns, ticks, axes = [], [], []
    for i, name in enumerate([*names, results.metric]):
        raw = [c.get(name) for c in configs] if i < len(names) else values
        placed, log, categories = _numeric_axis(raw)
        column = np.log10(placed) if log else np.asarray(placed, dtype=float)
        label = f"{name} (log10)" if log else name
        axes.append(Axis(label, column.tolist(), log, [(float(p), c) for p, c in categories or []]))
        low, high = (float(column.min()), float(column.max())) if len(column) else (0.0, 1.0)
        scaled = (column - low) / (high - low) if high > low else np.full(len(column), 0.5)
        columns.append(scaled)
        if categories:
            span = ", ".join(c for _, c in categories)
            ticks.append((float(i), f"{name}\n{{{span}}}"))
        else:
            shown = [10**low, 10**high] if log else [low, high]
            scale = " log" if log else ""
            ticks.append((float(i), f"{name}\n[{shown[0]:.3g}, {shown[1]:.3g}]{scale}"))
    panel = Panel(
        f"parallel coordinates ({len(trials)} trials)",
        "",
        "scaled value",
        xticks=ticks,
        color_scale=results.metric,
        axes=axes,
        axis_colors=list(values),
    )
    positions = [float(i) for i in range(len(columns))]
    for row, (trial, value) in enumerate(zip(trials, values, strict=True)):
        panel.traces.append(
            Trace(
                positions,
                [float(column[row]) for column in columns],
                "line",
                value=value,
                width=1.0,
                opacity=0.7,
                hover=[f"trial {trial.trial_id}: {results.metric}={value:.4g}"] * len(columns),
            )
        )
    return Chart("parallel_coordinates", panel.title, [panel], 1)


# The most trials the importance forest is fitted on (an even random sample of them): on
# 10,000 trials the fit and its permutations took 21 s, on this many about 1 s.
IMPORTANCE_SAMPLE = 1_000


def importance_table(
    source: Source, params: Sequence[str] | None = None, seed: int = 0
) -> list[tuple[str, float, float]]:
    """``[(parameter, importance, spread), ...]``, most important first: how much a random
    forest's fit of the trials' metric degrades when the parameter's values are shuffled
    (scikit-learn's permutation importance, as a share of the total). The metric is taken
    at one budget (``budget_for_importance``), so that under early stopping a trial stopped
    early is not compared, at its budget, with one that ran to the end."""
    results = load_results(source)
    return _forest_importance(*budget_for_importance(results)[1:], params, seed)


def _forest_importance(
    trials: list[Trial], values: list[float], params: Sequence[str] | None, seed: int
) -> list[tuple[str, float, float]]:
    try:
        from sklearn.ensemble import RandomForestRegressor
        from sklearn.inspection import permutation_importance
    except ImportError:
        raise ConfigError(
            "parameter importance needs scikit-learn: pip install 'rung[plot]'"
        ) from None

    if len(trials) > IMPORTANCE_SAMPLE:  # a forest on more says the same, far more slowly
        chosen = np.sort(np.random.default_rng(seed).permutation(len(trials))[:IMPORTANCE_SAMPLE])
        trials, values = [trials[i] for i in chosen], [values[i] for i in chosen]
    names = list(params or _parameters(trials))
    if len(trials) < 4 or not names:
        raise ConfigError(
            f"parameter importance needs at least 4 trials with results and a parameter "
            f"that varies ({len(trials)} trials, parameters {names})"
        )
    configs = [flatten(t.initial_config or t.config) for t in trials]
    features = np.column_stack([_numeric_axis([c.get(n) for c in configs])[0] for n in names])
    forest = RandomForestRegressor(n_estimators=200, random_state=seed, min_samples_leaf=2)
    forest.fit(features, values)
    permuted = permutation_importance(forest, features, values, n_repeats=20, random_state=seed)
    means = np.clip(permuted.importances_mean, 0.0, None)
    total = means.sum() or 1.0
    table = [
        (name, float(mean / total), float(std / total))
        for name, mean, std in zip(names, means, permuted.importances_std, strict=True)
    ]
    return sorted(table, key=lambda row: -row[1])


def budget_for_importance(results: Results) -> tuple[int | None, list[Trial], list[float]]:
    """The training iteration importance is measured at, and each trial's metric there:
    the largest iteration that half of the trials (and at least 4) reported a rankable
    value at, or each trial's last value (None) where no iteration is shared that widely.
    Half, because the trials that go further under early stopping were chosen for their
    configuration: among them alone, what chose them looks less important than it is."""
    objective = results.objective
    reached: dict[int, int] = {}  # iteration -> trials with a rankable value there
    for trial in results.trials:
        iterations = {
            int(result["training_iteration"])
            for result in trial.results
            if is_number(result.get("training_iteration")) and objective.value(result) is not None
        }
        for iteration in iterations:
            reached[iteration] = reached.get(iteration, 0) + 1
    enough = max(4, math.ceil(len(results.trials) / 2))
    shared = [i for i, count in reached.items() if count >= enough]
    if not shared:
        trials, values = _scored_trials(results)
        return None, trials, values
    budget = max(shared)
    chosen, values = [], []
    for trial in results.trials:
        there = [
            value
            for result in trial.results
            if is_number(result.get("training_iteration"))
            and int(result["training_iteration"]) == budget
            and (value := objective.value(result)) is not None
        ]
        if there:  # a trial's last report there
            chosen.append(trial)
            values.append(there[-1])
    return budget, chosen, values


def importance(source: Source, params: Sequence[str] | None = None, seed: int = 0) -> Chart:
    """Parameter importance as bars (see ``importance_table``), titled with the budget and
    the trials it used."""
    results = one_objective(load_results(source), "importance")
    budget, trials, values = budget_for_importance(results)
    table = _forest_importance(trials, values, params, seed)
    where = "last reports" if budget is None else f"training_iteration {budget}"
    used = f"{len(trials)} of {len(results.trials)} trials"
    if len(trials) > IMPORTANCE_SAMPLE:
        used = f"a sample of {IMPORTANCE_SAMPLE:,} of the {len(trials):,} trials there"
    positions = [float(i) for i in range(len(table))]
    panel = Panel(
        f"parameter importance at {where}, {used} (random forest, permutation)",
        "",
        "share of importance",
        traces=[
            Trace(
                positions,
                [row[1] for row in table],
                "bar",
                color="#1f77b4",
                error=[row[2] for row in table],
            )
        ],
        xticks=[(p, row[0]) for p, row in zip(positions, table, strict=True)],
    )
    return Chart("importance", panel.title, [panel], 1)


def slices(source: Source, params: Sequence[str] | None = None) -> Chart:
    """Per parameter, each trial's best metric against the parameter's value, coloured by
    the order the trials were created in."""
    results = load_results(source)
    trials, values = _scored_trials(results)
    names = list(params or _parameters(trials))
    configs = [flatten(t.initial_config or t.config) for t in trials]
    order = [
        float(int(t.trial_id)) if t.trial_id.isdigit() else float(i) for i, t in enumerate(trials)
    ]
    panels = []
    for name in names:
        placed, log, categories = _numeric_axis([c.get(name) for c in configs])
        panel = Panel(name, name, results.metric, xlog=log, xticks=categories, color_scale="trial")
        for x, y, trial_order, trial in zip(placed, values, order, trials, strict=True):
            panel.traces.append(
                Trace([x], [y], "markers", value=trial_order, hover=[f"trial {trial.trial_id}"])
            )
        panels.append(panel)
    return Chart("slices", f"{results.metric} against each parameter", panels)


def pbt_schedules(source: Source, params: Sequence[str] | None = None) -> Chart:
    """Per mutated parameter, the values each trial's state was trained with over the
    iterations (following the checkpoints it copied), the best trial's in bold."""
    results = load_results(source)
    by_id = {t.trial_id: t for t in results.trials}
    exploited = [t for t in results.trials if t.lineage]
    if not exploited:
        raise ConfigError("no trial copied another's state: this is not a PBT experiment")
    names = list(params or _mutated(exploited))
    best = results.best_trial
    panels = []
    for name in names:
        panel = Panel(name, "training_iteration", name)
        for trial in results.trials:
            schedule = _steps(lineage_schedule(by_id, trial.trial_id, name), trial.iteration)
            if schedule and all(is_number(v) for v in schedule[1]):
                panel.traces.append(
                    Trace(*schedule, "step", "a trial", "#9ecae1", width=1.0, opacity=0.7)
                )
        if best is not None:
            schedule = _steps(lineage_schedule(by_id, best.trial_id, name), best.iteration)
            if all(is_number(v) for v in schedule[1]):
                label = f"best trial {best.trial_id}"
                panel.traces.append(Trace(*schedule, "step", label, "#d62728", width=2.5))
        values = [v for t in panel.traces for v in t.y]
        panel.ylog = bool(values) and min(values) > 0 and max(values) / min(values) >= 100
        panels.append(panel)
    panels.append(_lineage_panel(results.trials))
    return Chart("pbt", "population-based training: schedules and lineage", panels, 2)


def _mutated(trials: Sequence[Trial]) -> list[str]:
    """Config keys that an exploit changed."""
    changed = set()
    for trial in trials:
        for event in trial.lineage:
            before = flatten(trial.initial_config or {})
            after = flatten(event["config"])
            changed |= {k for k in after if repr(after[k]) != repr(before.get(k))}
    return sorted(changed)


def _steps(schedule: list[tuple[float, Any]], until: int) -> tuple[list[float], list[Any]]:
    """A step schedule's points, held to iteration ``until``."""
    if not schedule:
        return [], []
    xs = [float(i) for i, _ in schedule]
    ys = [v for _, v in schedule]
    if until > xs[-1]:
        xs.append(float(until))
        ys.append(ys[-1])
    return xs, ys


def _lineage_panel(trials: Sequence[Trial]) -> Panel:
    """Each trial a horizontal line over the iterations it trained; each copy a vertical
    line from the donor to the trial that took its state."""
    row = {t.trial_id: float(i) for i, t in enumerate(trials)}
    panel = Panel(
        "lineage: who copied whom",
        "training_iteration",
        "trial",
        yticks=[(r, trial_id) for trial_id, r in row.items()],
    )
    for trial in trials:
        panel.traces.append(
            Trace(
                [0.0, float(trial.iteration)],
                [row[trial.trial_id]] * 2,
                "line",
                "a trial",
                "#c7c7c7",
                width=1.0,
            )
        )
        for event in trial.lineage:
            if event["donor"] in row:
                at = float(event["iteration"])
                panel.traces.append(
                    Trace(
                        [at, at],
                        [row[event["donor"]], row[trial.trial_id]],
                        "line",
                        "a copy (donor to trial)",
                        "#ff7f0e",
                        width=1.2,
                    )
                )
    return panel


def top_k_curve(results: Results, times: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """At each of ``times``, the mean and standard deviation of the values (each trial's
    latest report then, as ``best_trial`` ranks them) of the ``k`` best trials (NaN until k
    trials, or all of them if fewer, have results)."""
    objective = results.objective
    sign = objective.sign
    # One row per trial: its latest score at each time (inf before its first result).
    rows = []
    for trial in results.trials:
        timed = sorted(_timed_values(trial, objective))
        if not timed:
            continue
        at = np.array([t for t, _ in timed])
        running = sign * np.array([v for _, v in timed])
        index = np.searchsorted(at, times, side="right") - 1
        rows.append(np.where(index >= 0, running[np.maximum(index, 0)], np.inf))
    if not rows:
        return np.full(len(times), np.nan), np.full(len(times), np.nan)
    # Drawn once k trials (or all there will be, if fewer) have results: before that, a
    # mean over fewer trials would rise as worse ones arrive.
    top = np.sort(np.array(rows), axis=0)[: min(k, len(rows))]
    complete = np.isfinite(top).all(axis=0)
    mean = np.full(len(times), np.nan)
    spread = np.full(len(times), np.nan)
    mean[complete] = top[:, complete].mean(axis=0)
    spread[complete] = top[:, complete].std(axis=0)
    return sign * mean, spread


def time_to_solution(
    experiments: Mapping[str, Source | Sequence[Source]], top_k: int = 6, points: int = 200
) -> Chart:
    """Strategies compared over wall time: for each, the mean of its ``top_k`` trials'
    best-so-far values, with their spread; a strategy given several runs (seeds) shows the
    mean over runs, with the spread over runs."""
    if not experiments:
        raise ConfigError("time_to_solution needs at least one experiment")
    loaded = {
        name: [one_objective(load_results(s), "time_to_solution") for s in _runs(runs)]
        for name, runs in experiments.items()
    }
    objectives = {(r.metric, r.mode) for runs in loaded.values() for r in runs}
    if len(objectives) > 1:
        raise ConfigError(f"the experiments optimize different things: {sorted(objectives)}")
    metric, _ = objectives.pop()
    end = max(
        (
            at
            for runs in loaded.values()
            for r in runs
            for t in r.trials
            for at, _ in _timed_values(t, r.objective)
        ),
        default=1.0,
    )
    times = np.linspace(0.0, end, points)
    title = f"mean {metric} of the best {top_k} trials so far (latest reports)"
    panel = Panel(title, "wall time (s)", metric)
    for i, (name, runs) in enumerate(loaded.items()):
        color = SERIES_COLORS[i % len(SERIES_COLORS)]
        curves = [top_k_curve(r, times, top_k) for r in runs]
        if len(runs) == 1:
            mean, spread = curves[0]
        else:  # drawn where every run has its curve
            stacked = np.array([c[0] for c in curves])
            mean, spread = stacked.mean(axis=0), stacked.std(axis=0)
        seen = np.isfinite(mean)
        xs = times[seen].tolist()
        label = f"{name} ({len(runs)} runs)" if len(runs) > 1 else name
        panel.traces.append(
            Trace(
                xs,
                (mean - spread)[seen].tolist(),
                "band",
                label,
                color,
                upper=(mean + spread)[seen].tolist(),
                opacity=0.2,
            )
        )
        panel.traces.append(Trace(xs, mean[seen].tolist(), "line", label, color, width=2.0))
    return Chart("time_to_solution", panel.title, [panel], 1)


def _runs(runs: Source | Sequence[Source]) -> list[Source]:
    """One experiment, or the runs (seeds) of one strategy, as a list."""
    if isinstance(runs, Sequence) and not isinstance(runs, str):
        return list(runs)
    return [runs]


def _front_points(results: Results) -> tuple[list[Trial], list[Trial], list[Trial]]:
    """The trials the front chart draws: on the front, the other feasible ones that rank,
    and those whose last report breaks a constraint."""
    front = results.front()
    on_front = {t.trial_id for t in front}
    ranked, infeasible = [], []
    for trial in results.trials:
        values = [as_number((trial.last_result or {}).get(m)) for m in results.objective.metrics]
        if trial.status is TrialStatus.ERROR or any(v is None for v in values):
            continue
        if not trial.feasible:
            infeasible.append(trial)
        elif trial.trial_id not in on_front:
            ranked.append(trial)
    return front, ranked, infeasible


def _last_values(trials: list[Trial], key: str) -> list[float]:
    """Each trial's last report of ``key``, as floats."""
    return [float((t.last_result or {})[key]) for t in trials]


def pareto_front(source: Source) -> Chart:
    """With several objectives: each trial's last report, objective against objective (every
    pair of them), the Pareto front marked and joined, trials that break a constraint apart."""
    results = load_results(source)
    objective = results.objective
    if not objective.several:
        raise ConfigError(
            f"one objective ({objective.describe()}): there is no front; see best_so_far"
        )
    front, ranked, infeasible = _front_points(results)
    metrics = objective.metrics
    panels = []
    for i, first in enumerate(metrics):
        for second in metrics[i + 1 :]:
            panel = Panel(f"{second} against {first}", first, second)
            for trials, label, color in (
                (ranked, f"a feasible trial ({len(ranked)})", "#9ecae1"),
                (infeasible, f"breaks a constraint ({len(infeasible)})", "#bbbbbb"),
            ):
                if trials:
                    hover = [f"trial {t.trial_id}" for t in trials]
                    panel.traces.append(
                        Trace(
                            _last_values(trials, first),
                            _last_values(trials, second),
                            "markers",
                            label,
                            color,
                            hover=hover,
                        )
                    )
            if front:
                ordered = sorted(front, key=lambda t: float((t.last_result or {})[first]))
                style: Style = "line" if len(metrics) == 2 else "markers"
                panel.traces.append(
                    Trace(
                        _last_values(ordered, first),
                        _last_values(ordered, second),
                        style,
                        f"the Pareto front ({len(front)})",
                        "#d62728",
                        width=2.0,
                        hover=[f"trial {t.trial_id}" for t in ordered],
                    )
                )
                if style == "line":  # its points too, not only the line through them
                    panel.traces.append(
                        Trace(
                            _last_values(ordered, first),
                            _last_values(ordered, second),
                            "markers",
                            f"the Pareto front ({len(front)})",
                            "#d62728",
                        )
                    )
            panels.append(panel)
    title = f"Pareto front of {objective.describe()}: {len(front)} of {len(results.trials)} trials"
    return Chart("pareto_front", title, panels, min(3, len(panels)))


def hypervolume_over_time(source: Source, points: int = 100) -> Chart:
    """With several objectives: the hypervolume of the front of every trial's latest
    report (feasible) at ``points`` moments of the experiment, against one reference (the
    worst value each objective took over the final front's candidates)."""
    results = load_results(source)
    if not results.objective.several:
        raise ConfigError("one objective: there is no hypervolume; see best_so_far")
    reports = sorted(
        (float(r["experiment_time_s"]), t.trial_id, i)
        for t in results.trials
        if t.status is not TrialStatus.ERROR
        for i, r in enumerate(t.results)
        if is_number(r.get("experiment_time_s"))
    )
    if not reports:
        raise ConfigError("no results yet: no hypervolume to draw")
    reference = results.reference_point()
    by_id = {t.trial_id: t for t in results.trials}
    times = np.linspace(reports[0][0], reports[-1][0], points)
    latest: dict[str, int] = {}
    xs, ys, next_report = [], [], 0
    for at in times:
        while next_report < len(reports) and reports[next_report][0] <= at:
            _, trial_id, index = reports[next_report]
            latest[trial_id] = index
            next_report += 1
        xs.append(float(at))
        ys.append(
            results.hypervolume_of(
                [(by_id[t].results[i], by_id[t].violations[i]) for t, i in latest.items()],
                reference,
            )
        )
    panel = Panel("hypervolume of the front so far", "experiment time (s)", "hypervolume")
    panel.traces.append(Trace(xs, ys, "step", "hypervolume", "#1f77b4"))
    return Chart("hypervolume", panel.title, [panel], 1)


__all__ = [
    "best_so_far",
    "fate",
    "hypervolume_over_time",
    "importance",
    "importance_table",
    "learning_curves",
    "load_results",
    "one_objective",
    "parallel_coordinates",
    "pareto_front",
    "pbt_schedules",
    "slices",
    "time_to_solution",
    "top_k_curve",
]

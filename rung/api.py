"""``rung.run``: the one call that tunes a trainable over a space."""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rung.callbacks.base import Callback
from rung.callbacks.files import FileLogger
from rung.callbacks.progress import ProgressReporter
from rung.checkpoint import CheckpointKeep
from rung.errors import ConfigError
from rung.executors import make_executor
from rung.experiment import INTERRUPTED, Experiment, FailurePolicy, StopConditions
from rung.interrupts import InterruptGuard, critical
from rung.results import Results
from rung.schedulers import Scheduler, make_scheduler
from rung.searchers import GridSearch, Searcher, default_searcher, make_searcher
from rung.space import Space
from rung.storage import settings_meta
from rung.store import MemoryStore, SQLiteStore, Store


def _check_positive(name: str, value: Any, kind: type = int) -> None:
    if value is None:
        return
    number = isinstance(value, kind | int) and not isinstance(value, bool)
    if not number or not math.isfinite(float(value)) or not float(value) > 0:
        raise ConfigError(f"{name}={value!r}: must be a positive {kind.__name__} or None")


def _check_name(name: Any) -> None:
    """Refuse a name that is not one folder inside ``storage_path``."""
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"name={name!r}: give the experiment a non-empty name")
    if name in (".", "..") or "/" in name or os.sep in name or "\0" in name:
        raise ConfigError(
            f"name={name!r}: the name is one folder inside storage_path, without '/' or '..'; "
            "put the rest of the path in storage_path"
        )


def _fresh_name(trainable: Any, root: Path | None) -> str:
    """``<trainable>_<date-time>``, with a counter when that folder under ``root`` is taken."""
    base = f"{getattr(trainable, '__name__', 'trainable')}_{time.strftime('%Y%m%d-%H%M%S')}"
    name, count = base, 1
    while root is not None and (root / name).exists():
        count += 1
        name = f"{base}_{count}"
    return name


def run(
    trainable: Any,
    space: Space | Mapping[str, Any],
    *,
    metric: str,
    mode: str,
    searcher: str | Searcher | None = None,
    scheduler: str | Scheduler | None = "fifo",
    num_trials: int | None = None,
    max_concurrent: int | None = None,
    resources_per_trial: Mapping[str, float] | None = None,
    time_budget_s: float | None = None,
    stop: Mapping[str, float] | None = None,
    max_iterations: int | None = None,
    max_failures: int = 0,
    fail_fast: bool = False,
    trial_timeout_s: float | None = None,
    executor: str | Any = "process",
    seed: int | None = None,
    name: str | None = None,
    storage_path: str | os.PathLike | None = None,
    callbacks: Sequence[Callback] = (),
    verbose: int = 1,
    resume: bool = False,
    checkpoint_keep: int | Mapping[str, int] | None = None,
    result_files: bool = True,
) -> Results:
    """Tune ``trainable`` over ``space`` and return the results.

    Args:
        trainable: ``def train(config)`` calling ``rung.report(...)`` (or returning a dict),
            or a ``rung.Trainable`` subclass.
        space: a dict of domains (``rung.uniform``, ...) or a ``rung.Space``.
        metric: the reported key to optimize.
        mode: ``"min"`` or ``"max"``.
        searcher: which configurations to try: a name (``"random"``, ``"tpe"``, ``"gp"``,
            ...) or an instance. None: random search, or grid search when the space has
            ``grid`` parameters (repeated to fill ``num_trials``, once without it).
        scheduler: how long each trial runs: a name (``"fifo"``) or an instance.
        num_trials: trials to run in all; required unless the search is a grid (then its
            size), or a time budget or a target in ``stop`` ends the run.
        max_concurrent: trials at once; defaults to what ``resources_per_trial`` fits.
        resources_per_trial: ``{"cpu": 1, "gpu": 0}`` by default; ``gpu: 0.25`` packs four
            trials onto each GPU.
        time_budget_s: end the experiment after this many seconds.
        stop: ``{key: target}`` ends the experiment when any result reaches a target.
        max_iterations: reports per trial after which it ends as finished.
        max_failures: retries of a failed trial, from its last checkpoint.
        fail_fast: raise ``TrialError`` at the first failed trial instead of going on.
        trial_timeout_s: kill a trial that runs longer (process executor).
        executor: ``"process"`` (worker processes), ``"inline"`` (this thread, for a
            debugger) or an executor instance.
        seed: seeds the searcher and the scheduler, for reproducible runs.
        name: the experiment's name (its folder under ``storage_path``).
        storage_path: where experiment folders go. With one, the experiment's event log is
            an SQLite database there, which ``rung.load`` reads and ``resume`` continues;
            without, it is kept in memory and trial folders go to a temporary directory.
        checkpoint_keep: which checkpoints of each trial stay on disk: None (all), N (the
            last N), or ``{"last": N, "best": M}`` (and the best M by the metric).
        result_files: with a storage path, write each trial's results to ``result.jsonl`` and
            ``progress.csv`` in its folder (the event log has them either way).
        resume: continue the experiment ``storage_path/name`` where it stopped: finished
            trials are kept, running ones restart from their last checkpoint, and the run
            ends at the totals it was first given.
        callbacks: extra ``rung.Callback`` objects.
        verbose: 0 silent, 1 progress and a final table, 2 a line per trial.
    """
    executor = make_executor(executor)
    executor.check_trainable(trainable)
    space = Space.of(space)
    if not isinstance(metric, str) or not metric:
        raise ConfigError(f"metric={metric!r}: name the reported key to optimize")
    if mode not in ("min", "max"):
        raise ConfigError(f"mode={mode!r}: use 'min' or 'max'")
    for knob, value, kind in [
        ("num_trials", num_trials, int),
        ("max_concurrent", max_concurrent, int),
        ("max_iterations", max_iterations, int),
        ("time_budget_s", time_budget_s, float),
        ("trial_timeout_s", trial_timeout_s, float),
    ]:
        _check_positive(knob, value, kind)
    if not isinstance(max_failures, int) or max_failures < 0:
        raise ConfigError(f"max_failures={max_failures!r}: must be an int >= 0")
    keep = CheckpointKeep.of(checkpoint_keep)
    targets = dict(stop or {})
    for key, target in targets.items():
        if not isinstance(target, int | float) or isinstance(target, bool):
            raise ConfigError(f"stop={{{key!r}: {target!r}}}: targets must be numbers")
    searcher = default_searcher(space, num_trials) if searcher is None else make_searcher(searcher)
    scheduler = make_scheduler(scheduler)
    if num_trials is None and not (
        isinstance(searcher, GridSearch) or time_budget_s is not None or targets
    ):
        raise ConfigError(
            "say when to stop: pass num_trials=N (or time_budget_s, or stop={metric: target})"
        )
    if trial_timeout_s is not None and not executor.supports_timeout:
        raise ConfigError(
            f"trial_timeout_s needs an executor that can kill a trial; "
            f"{type(executor).__name__} cannot: use executor='process'"
        )
    slots = executor.plan_slots(resources_per_trial or {"cpu": 1, "gpu": 0}, max_concurrent)

    root = None if storage_path is None else Path(storage_path).expanduser().absolute()
    if name is None:
        if resume:
            raise ConfigError("resume=True needs the name of the experiment to continue")
        name = _fresh_name(trainable, root)
    _check_name(name)
    if root is None and resume:
        raise ConfigError("resume=True needs the storage_path and name of the experiment")
    file_loggers = [FileLogger()] if root is not None and result_files else []
    settings: dict[str, Any] = {
        "metric": metric,
        "mode": mode,
        "num_trials": num_trials,
        "max_concurrent": max_concurrent,
        "resources_per_trial": resources_per_trial,
        "time_budget_s": time_budget_s,
        "stop": targets,
        "max_iterations": max_iterations,
        "max_failures": max_failures,
        "fail_fast": fail_fast,
        "trial_timeout_s": trial_timeout_s,
        "seed": seed,
        "name": name,
    }
    objects = {
        "trainable": trainable,
        "space": space,
        "searcher": searcher,
        "scheduler": scheduler,
        "executor": executor,
    }
    meta = {} if resume else settings_meta(settings, objects)
    searcher_seed, scheduler_seed = np.random.SeedSequence(seed).spawn(2)
    searcher.setup(
        space,
        metric=metric,
        mode=mode,
        rng=np.random.default_rng(searcher_seed),
        num_trials=num_trials,
    )
    scheduler.setup(metric, mode, rng=np.random.default_rng(scheduler_seed), num_trials=num_trials)
    with InterruptGuard() as guard:
        try:
            guard.arm()
            path, store = _open_store(root, name, trainable, resume, meta)
            guard.quiet()  # until the experiment's own loop arms it again
        except KeyboardInterrupt:
            return Results([], metric, mode, INTERRUPTED, None)
        experiment = Experiment(
            trainable,
            space,
            metric=metric,
            mode=mode,
            searcher=searcher,
            scheduler=scheduler,
            executor=executor,
            slots=slots,
            store=store,
            path=str(path),
            name=name,
            stop=StopConditions(num_trials, time_budget_s, targets, max_iterations),
            failures=FailurePolicy(max_failures, fail_fast),
            trial_timeout_s=trial_timeout_s,
            checkpoint_keep=keep,
            callbacks=[ProgressReporter(verbose), *file_loggers, *callbacks],
            guard=guard,
        )
        return experiment.run(resume=resume)


def _open_store(
    root: Path | None, name: str, trainable: Any, resume: bool, meta: dict[str, Any]
) -> tuple[Path, Store]:
    """The experiment's folder and log: a new one is created whole (with its settings,
    committed) or not at all, whenever a Ctrl-C comes."""
    store: Store | None = None
    try:
        with critical():
            if root is None:
                # Trial folders, only if a trial asks for one (a checkpoint, get_trial_dir()).
                path = Path(tempfile.gettempdir()) / f"rung-{name}-{os.getpid()}-{id(trainable):x}"
                store = MemoryStore()
            else:
                path = root / name
                store = SQLiteStore(path, create=not resume)
            for key, value in meta.items():
                store.set_meta(key, value)
            store.flush(force=True)
    except KeyboardInterrupt:
        if store is not None:
            store.close()
        raise
    return path, store

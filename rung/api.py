"""``rung.run``: the one call that tunes a trainable over a space."""

from __future__ import annotations

import dataclasses
import inspect
import os
import shutil
import signal
import tempfile
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from rung.callbacks.base import Callback
from rung.callbacks.files import FileLogger
from rung.callbacks.progress import ProgressReporter
from rung.checkpoint import CheckpointKeep
from rung.constraints import Constraints
from rung.define_by_run import objective_trainable
from rung.errors import ConfigError, RungWarning, SpaceError
from rung.executors import make_executor
from rung.executors.base import Executor
from rung.experiment import INTERRUPTED, Experiment, FailurePolicy, StopConditions
from rung.interrupts import InterruptGuard, critical
from rung.objective import Objective
from rung.results import Results
from rung.schedulers import Scheduler, make_scheduler
from rung.searchers import Searcher, default_searcher, make_searcher
from rung.searchers.define_by_run import DefineByRunSearch
from rung.searchers.starting_points import StartingPoints
from rung.settings import Settings, unknown_knobs
from rung.space import Space
from rung.storage import check_resume, settings_meta
from rung.store import MemoryStore, SQLiteStore, Store
from rung.store.sqlite import holds_log
from rung.trainable import Trainable
from rung.warm_start import admit, gather

# The longest file name most file systems take, in bytes.
_LONGEST_NAME = 255


def _check_name(name: Any) -> None:
    """Refuse a name that is not one folder inside ``storage_path``."""
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"name={name!r}: give the experiment a non-empty name")
    if name in (".", "..") or "/" in name or os.sep in name or "\0" in name:
        raise ConfigError(
            f"name={name!r}: the name is one folder inside storage_path, without '/' or '..'; "
            "put the rest of the path in storage_path"
        )
    if len(os.fsencode(name)) > _LONGEST_NAME:
        raise ConfigError(
            f"name={name[:40]!r}... is {len(os.fsencode(name))} bytes long; a folder's name "
            f"holds at most {_LONGEST_NAME}"
        )


def _fresh_name(trainable: Any, root: Path | None) -> str:
    """``<trainable>_<date-time>``, with a counter when that folder under ``root`` is taken."""
    default = "tuner" if trainable is None else "trainable"
    base = f"{getattr(trainable, '__name__', default)}_{time.strftime('%Y%m%d-%H%M%S')}"
    name, count = base, 1
    while root is not None and (root / name).exists():
        count += 1
        name = f"{base}_{count}"
    return name


def run(
    trainable: Any,
    space: Space | Mapping[str, Any] | None = None,
    *,
    metric: str | Sequence[str],
    mode: str | Sequence[str] | None = None,
    constraints: Any = None,
    searcher: str | Searcher | None = None,
    scheduler: str | Scheduler | None = "fifo",
    points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
    warm_start: Any = None,
    num_trials: int | None = None,
    max_concurrent: int | None = None,
    resources_per_trial: Mapping[str, float] | None = None,
    time_budget_s: float | None = None,
    stop: Mapping[str, float] | None = None,
    max_iterations: int | None = None,
    max_failures: int = 0,
    fail_fast: bool = False,
    trial_timeout_s: float | None = None,
    executor: str | Any = "auto",
    seed: int | None = None,
    name: str | None = None,
    storage_path: str | os.PathLike | None = None,
    callbacks: Sequence[Callback] = (),
    verbose: int = 1,
    resume: bool | Literal["auto"] = False,
    checkpoint_keep: int | Mapping[str, int] | None = None,
    result_files: bool = True,
    **unknown: Any,
) -> Results:
    """Tune ``trainable`` over ``space`` and return the results.

    Args:
        trainable: ``def train(config)`` calling ``rung.report(...)`` (or returning a dict),
            or a ``rung.Trainable`` subclass; without a space, a define-by-run
            ``objective(trial)`` that asks for its parameters as it runs
            (``trial.suggest_float(...)``, as in Optuna; see ``rung.define_by_run``).
        space: a dict of domains (``rung.uniform``, ...) or a ``rung.Space``; None for a
            define-by-run objective.
        metric: the reported key to optimize, or a list of keys to optimize together (the
            results are then a Pareto front: ``results.pareto_front()``).
        mode: ``"min"`` or ``"max"`` (required; it has no default so that a missing one is
            named, as Optuna's ``direction`` is), or a list, one per metric.
        constraints: ``"key <= number"`` / ``"key >= number"`` texts over reported keys, or
            functions of the result returning a number (or numbers), <= 0 when feasible; one
            or a list. A result that breaks one never makes its trial best or part of the
            front (its trial still runs).
        searcher: which configurations to try: a name (``"random"``, ``"tpe"``, ``"gp"``,
            ...), a name with settings (``{"name": "tpe", "n_startup": 20}``) or an
            instance. None: random search, or grid search when the space has
            ``grid`` parameters (repeated to fill ``num_trials``, once without it).
        scheduler: how long each trial runs: a name (``"asha"``), a name with settings
            (``{"name": "asha", "max_t": 27}``) or an instance.
        points_to_evaluate: configurations to try first (known good ones, a default, last
            run's best); a partial one is completed by the searcher, which learns from
            their results as from its own proposals.
        warm_start: finished trials to learn from without running them again: an
            experiment's folder, its ``rung.Results``, a DataFrame (``Results.dataframe()``
            or parameters and metrics as columns) or ``(config, metrics)`` pairs (for
            Optuna, ``rung.integrations.optuna.import_study(study)``). They enter the log
            as imported trials, count as best where they are, and are not counted by
            ``num_trials``; those that no longer fit the space are left out, said in one
            line. A resume keeps the ones imported at the start.
        num_trials: trials to run in all; required unless the search is a grid (then its
            size), or a time budget or a target in ``stop`` ends the run.
        max_concurrent: trials at once; defaults to what ``resources_per_trial`` fits.
        resources_per_trial: ``{"cpu": 1, "gpu": 0}`` by default; ``gpu: 0.25`` packs four
            trials onto each GPU.
        time_budget_s: end the experiment after this many seconds.
        stop: ``{key: target}`` ends the experiment when any result reaches a target.
        max_iterations: training iterations per trial, after which it ends as finished (a
            result with ``done: True`` also ends its trial as finished).
        max_failures: retries of a failed trial, from its last checkpoint.
        fail_fast: raise ``TrialError`` at the first failed trial instead of going on.
        trial_timeout_s: kill a trial that runs longer (process executor).
        executor: ``"auto"`` (the Ray cluster ``RAY_ADDRESS`` names where it is set, as in
            a ``rung slurm`` job; else ``"process"``), ``"process"`` (worker processes),
            ``"inline"`` (this thread, for a debugger), ``"ray"`` or an executor instance.
        seed: seeds the searcher and the scheduler, for reproducible runs.
        name: the experiment's name (its folder under ``storage_path``).
        storage_path: where experiment folders go. With one, the experiment's event log is
            an SQLite database there, which ``rung.load`` reads and ``resume`` continues;
            without, it is kept in memory and trial folders go to a temporary directory.
        checkpoint_keep: which checkpoints of each trial stay on disk: None (all), N (the
            last N), or ``{"last": N, "best": M}`` (and the best M by the metric).
        result_files: with a storage path, write every result to ``results/part-*.jsonl``
            (a JSON line each, with its trial's id) and a row per trial to ``trials.csv``
            (the event log has them either way).
        resume: continue the experiment ``storage_path/name`` where it stopped: finished
            trials are kept, running ones restart from their last checkpoint, and the run
            ends at the totals it was first given. A different metric, mode, space,
            trainable or strategy is refused; a new ``num_trials`` or ``time_budget_s`` is
            taken, and recorded. ``"auto"``: continue it if it exists, else start it (what
            a batch job that may be requeued wants).
        callbacks: extra ``rung.Callback`` objects.
        verbose: 0 silent, 1 progress and a final table, 2 a line per trial.
    """
    if unknown:
        raise ConfigError(f"rung.run: {unknown_knobs(sorted(unknown), Settings.knobs())}")
    arguments = locals()
    settings = Settings(**{knob: arguments[knob] for knob in Settings.knobs()})
    return run_settings(trainable, space, settings)


def run_settings(
    trainable: Any, space: Space | Mapping[str, Any] | None, settings: Settings
) -> Results:
    """``rung.run`` with its knobs as one ``Settings`` value (what ``rung run FILE`` and
    ``rung resume DIR`` call)."""
    with InterruptGuard() as guard:
        try:
            experiment, resume = prepare(trainable, space, settings, guard=guard)
        except KeyboardInterrupt:  # while the experiment's folder was being created
            results = Results([], settings.objective, INTERRUPTED, None)
        else:
            try:
                results = experiment.run(resume=resume)
            finally:
                if settings.storage_path is None:
                    _remove_if_empty(Path(experiment.path))
    if guard.terminated:  # the log is complete; now end as SIGTERM asked
        raise SystemExit(128 + signal.SIGTERM)
    return results


def prepare(
    trainable: Any,
    space: Space | Mapping[str, Any] | None,
    settings: Settings,
    *,
    guard: InterruptGuard,
    executor: Executor | None = None,
) -> tuple[Experiment, bool]:
    """The experiment ``settings`` describe, its folder and log opened (or continued), and
    whether it resumes. ``trainable`` is None for a loop the user drives (``rung.Tuner``,
    with its own ``executor``); such an experiment needs no stopping rule."""
    settings = _per_trial_iterations(settings)
    if executor is None:
        executor = make_executor(settings.executor)
    given_space = space  # None: a define-by-run objective asks for its parameters
    runnable = trainable
    if space is None:
        runnable, searcher = _define_by_run(trainable, settings, executor)
    if runnable is not None:
        executor.check_trainable(runnable)
    if space is None:
        space = Space({})
    else:
        space = Space.of(space)
        if not space.definition:
            raise SpaceError(
                "the space is empty: give at least one parameter, e.g. {'lr': "
                "rung.loguniform(1e-4, 1e-1)}, or constants to run one fixed configuration"
            )
        searcher = (
            default_searcher(space, settings.num_trials)
            if settings.searcher is None
            else make_searcher(settings.searcher)
        )
    scheduler = make_scheduler(settings.scheduler)
    searcher.scheduler_budget = scheduler.max_t
    _check_objectives(settings.objective, searcher, scheduler)
    _check_grid_walk(space, settings, searcher)
    if trainable is not None:
        _check_can_stop(settings, searcher, space)
        _check_can_end_trials(trainable, scheduler, settings)
    if settings.trial_timeout_s is not None and not executor.supports_timeout:
        raise ConfigError(
            f"trial_timeout_s needs an executor that can kill a trial; "
            f"{type(executor).__name__} cannot: use executor='process'"
        )
    slots = executor.plan_slots(
        settings.resources_per_trial or {"cpu": 1, "gpu": 0}, settings.max_concurrent
    )
    _warn_about_peer_habits(settings, searcher, scheduler)
    storage = settings.storage_path
    root = None if storage is None else Path(storage).expanduser().absolute()
    name = settings.name
    if name is None:
        if settings.resume:
            raise ConfigError(
                f"resume={settings.resume!r} needs the name of the experiment to continue"
            )
        name = _fresh_name(trainable, root)
    _check_name(name)
    if root is None and settings.resume:
        raise ConfigError(
            f"resume={settings.resume!r} needs the storage_path and name of the experiment"
        )
    resume = settings.resume
    if resume == "auto":  # a batch job's habit: continue if there is something to continue
        resume = root is not None and holds_log(root / name)
    settings = dataclasses.replace(
        settings, name=name, storage_path=None if root is None else str(root), resume=resume
    )
    objects = {
        "trainable": trainable,
        "space": given_space if given_space is None else space,
        "searcher": searcher,
        "scheduler": scheduler,
        "executor": executor,
        "constraints": settings.constraints,
    }
    meta = settings_meta(settings, objects)
    objective = settings.objective
    warm_start = None
    if settings.warm_start is not None and not resume:
        warm_start = admit(*gather(settings.warm_start), space, objective)
        if warm_start.dropped or warm_start.trimmed:
            warnings.warn(warm_start.describe(), RungWarning, stacklevel=4)
    if settings.points_to_evaluate and given_space is not None:  # else the searcher has them
        searcher = StartingPoints(searcher, settings.points_to_evaluate)
    searcher_seed, scheduler_seed = np.random.SeedSequence(settings.seed).spawn(2)
    searcher.setup(space, objective, np.random.default_rng(searcher_seed), settings.num_trials)
    scheduler.setup(objective, np.random.default_rng(scheduler_seed), settings.num_trials)
    file_loggers = [FileLogger()] if root is not None and settings.result_files else []
    guard.arm()
    path, store = _open_store(root, name, trainable, resume, meta)
    guard.quiet()  # until the experiment's own loop arms it again
    experiment = Experiment(
        runnable,
        space,
        objective=objective,
        searcher=searcher,
        scheduler=scheduler,
        executor=executor,
        slots=slots,
        store=store,
        path=str(path),
        name=name,
        stop=StopConditions(
            settings.num_trials,
            settings.time_budget_s,
            dict(settings.stop or {}),
            settings.max_iterations,
        ),
        failures=FailurePolicy(settings.max_failures, settings.fail_fast),
        trial_timeout_s=settings.trial_timeout_s,
        constraints=Constraints(settings.constraints),
        checkpoint_keep=CheckpointKeep.of(settings.checkpoint_keep),
        callbacks=[ProgressReporter(settings.verbose), *file_loggers, *settings.callbacks],
        guard=guard,
        capture_output=root is not None and trainable is not None,
        warm_start=warm_start,
    )
    return experiment, bool(resume)


def _define_by_run(objective: Any, settings: Settings, executor: Executor) -> tuple[Any, Searcher]:
    """The trainable and searcher of a run without a space, whose ``objective(trial)``
    asks for its parameters as it runs; what it cannot do yet is refused by name."""
    if objective is None:
        raise ConfigError("rung.Tuner needs a space: define-by-run objectives run in rung.run")
    if not executor.answers_asks:
        raise ConfigError(
            f"a define-by-run objective asks the driver for each parameter, which "
            f"{type(executor).__name__} cannot answer: use executor='process' or 'inline'"
        )
    if settings.warm_start is not None:
        raise ConfigError(
            "warm_start needs a space to read configurations by; a define-by-run objective "
            "has none (give the space as a dict to use it)"
        )
    spec = settings.searcher
    if isinstance(spec, Searcher):
        raise ConfigError(
            f"searcher={spec!r}: a define-by-run objective takes a searcher by name "
            "('tpe', 'random', ...), made for each parameter it asks for"
        )
    points = [dict(p) for p in settings.points_to_evaluate or []]
    searcher = DefineByRunSearch("tpe" if spec in (None, "auto") else spec, points)
    return objective_trainable(objective, settings.objective.metrics), searcher


def _remove_if_empty(folder: Path) -> None:
    """Remove the temporary folder of an in-memory run unless a trial left a file in it (a
    checkpoint the results point to, say)."""
    if folder.is_dir() and not any(p.is_file() for p in folder.rglob("*")):
        shutil.rmtree(folder, ignore_errors=True)


def _check_objectives(objective: Objective, searcher: Searcher, scheduler: Scheduler) -> None:
    """Refuse, before any trial, a searcher or scheduler that ranks by one metric in an
    experiment with several objectives (it would quietly optimize the first)."""
    if not objective.several:
        return
    if not searcher.several_objectives:
        raise ConfigError(
            f"{type(searcher).__name__} ranks trials by one metric, and this experiment has "
            f"several objectives ({objective.describe()}): use searcher='auto', 'gp', 'tpe', "
            "'nsga2', 'random', 'quasirandom' or 'grid'"
        )
    if scheduler.acts_on_results and not scheduler.several_objectives:
        raise ConfigError(
            f"{type(scheduler).__name__} compares trials by one metric, and this experiment "
            f"has several objectives ({objective.describe()}): use scheduler='asha' or "
            "'async_hyperband' (multi-objective ASHA), or 'fifo' (each trial runs to its end)"
        )


def _check_can_stop(settings: Settings, searcher: Searcher, space: Space) -> None:
    ends = (
        settings.num_trials is not None
        or searcher.walk_length(space) is not None
        or settings.time_budget_s is not None
        or settings.stop
    )
    if not ends:
        raise ConfigError(
            "say when to stop: pass num_trials=N (or time_budget_s, or stop={metric: target})"
        )


def _check_grid_walk(space: Space, settings: Settings, searcher: Searcher) -> None:
    """Refuse a ``num_trials`` that would not walk a grid even once (more trials walk it
    again, drawing the other parameters anew)."""
    trials, size = settings.num_trials, searcher.walk_length(space)
    if size is None or trials is None or trials >= size:
        return
    raise ConfigError(
        f"num_trials={trials} would try {trials} of the grid's {size} configurations and leave "
        f"{size - trials} out: pass num_trials={size} (or more, to walk it again), or leave "
        "num_trials out"
    )


def _check_can_end_trials(trainable: Any, scheduler: Scheduler, settings: Settings) -> None:
    """Refuse a class trainable that nothing would ever end: it steps forever."""
    if not (inspect.isclass(trainable) and issubclass(trainable, Trainable)):
        return
    if settings.max_iterations is not None or scheduler.max_t is not None:
        return
    try:
        source = inspect.getsource(trainable.step)
    except (OSError, TypeError):
        source = None  # from python -c or standard input: nothing says it ends, so refuse
    if source is not None and "done" in source:
        return
    never = "never returns" if source is not None else "cannot be read to see whether it returns"
    raise ConfigError(
        f"{trainable.__name__} is a Trainable class and nothing would end its trials: its "
        f"step() {never} {{'done': True}} and {type(scheduler).__name__} has no max_t; "
        "pass max_iterations=N, a scheduler with max_t (e.g. scheduler={'name': 'asha', "
        "'max_t': 50}), or return {..., 'done': True} from step() when a trial is complete"
    )


def _per_trial_iterations(settings: Settings) -> Settings:
    """``stop={"training_iteration": N}`` as Ray Tune means it: each trial ends after N
    iterations (``max_iterations=N``), not the whole experiment once one trial gets there."""
    stop = dict(settings.stop or {})
    if "training_iteration" not in stop:
        return settings
    cap = int(stop.pop("training_iteration"))
    if settings.max_iterations is not None:
        cap = min(cap, settings.max_iterations)
    warnings.warn(
        f"stop={{'training_iteration': ...}} is taken as Ray Tune means it: each trial ends "
        f"after {cap} iterations (rung's max_iterations={cap}); stop targets end the whole "
        "experiment",
        RungWarning,
        stacklevel=4,
    )
    return dataclasses.replace(settings, stop=stop or None, max_iterations=cap)


def _warn_about_peer_habits(settings: Settings, searcher: Searcher, scheduler: Scheduler) -> None:
    """Settings that mean something else in rung than in Ray Tune, said before any trial."""
    if searcher.models_budgets and scheduler.max_t is None:
        warnings.warn(
            f"{type(searcher).__name__} models results at several budgets, but "
            f"{type(scheduler).__name__} runs every trial to the end: pair it with "
            "scheduler='hyperband' or 'asha'",
            RungWarning,
            stacklevel=3,
        )


def _open_store(
    root: Path | None, name: str, trainable: Any, resume: bool, meta: dict[str, Any]
) -> tuple[Path, Store]:
    """The experiment's folder and log: a new log is created whole, with its settings, or
    not at all, whenever a Ctrl-C or a kill comes (``SQLiteStore`` renames it into place)."""
    store: Store | None = None
    try:
        with critical():
            if root is None:
                # Trial folders, only if a trial asks for one (a checkpoint, get_trial_dir()).
                path = Path(tempfile.gettempdir()) / f"rung-{name}-{os.getpid()}-{id(trainable):x}"
                store = MemoryStore(meta)
            else:
                path = root / name
                store = SQLiteStore(path, create=not resume, meta=None if resume else meta)
            if resume:
                check_resume(store, meta, path)
                store.flush(force=True)
    except BaseException:
        if store is not None:
            store.close()
        raise
    return path, store

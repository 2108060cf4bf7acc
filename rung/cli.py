"""The ``rung`` command: run an experiment from a YAML file, resume one, look at one.

rung run experiment.yaml       # trainable, space and settings in a file
rung resume DIR                # continue a stopped or crashed experiment
rung status DIR                # how far it got
rung show DIR [--top N]        # its best trials
"""

from __future__ import annotations

import argparse
import importlib
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from rung.errors import RungError

_RUN_KEYS = (
    "metric", "mode", "searcher", "scheduler", "num_trials", "max_concurrent",
    "resources_per_trial", "time_budget_s", "stop", "max_iterations", "max_failures",
    "fail_fast", "trial_timeout_s", "executor", "seed", "name", "storage_path",
    "checkpoint_keep", "verbose",
)  # fmt: skip


def import_object(reference: str) -> Any:
    """``"package.module:attribute"`` imported, with the current directory importable."""
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise RungError(f"{reference!r}: write the trainable as 'module:function'")
    sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise RungError(f"cannot import {module_name!r} for {reference!r}: {error}") from None
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise RungError(f"{module_name!r} has no {attribute!r}") from None


def command_run(path: Path) -> None:
    """Run the experiment a YAML file describes."""
    from rung.api import run
    from rung.space import from_text

    with open(path) as file:
        spec = yaml.safe_load(file) or {}
    missing = {"trainable", "space", "metric", "mode"} - set(spec)
    if missing:
        raise RungError(f"{path} lacks {sorted(missing)}; see `rung run --help`")
    unknown = set(spec) - {"trainable", "space", *_RUN_KEYS}
    if unknown:
        raise RungError(f"{path} has unknown keys {sorted(unknown)}; known: {_RUN_KEYS}")
    trainable = import_object(spec.pop("trainable"))
    space = from_text(spec.pop("space"))
    spec.setdefault("storage_path", "rung_results")
    run(trainable, space, **spec)


def command_resume(directory: Path) -> None:
    """Continue the experiment in ``directory`` with the settings it was started with."""
    from rung.api import run
    from rung.storage import load_payload

    settings, objects = load_payload(directory)
    kwargs = {key: settings[key] for key in _RUN_KEYS if key in settings}
    kwargs["stop"] = settings.get("stop") or None
    directory = directory.resolve()
    kwargs.update(storage_path=directory.parent, name=directory.name, resume=True)
    run(
        objects["trainable"],
        objects["space"],
        searcher=objects["searcher"],
        scheduler=objects["scheduler"],
        executor=objects["executor"],
        **kwargs,
    )


def command_status(directory: Path) -> None:
    """Counts by status, the best result so far, and why the experiment stopped."""
    from rung.storage import load

    results = load(directory)
    counts: dict[str, int] = {}
    for trial in results.trials:
        counts[trial.status.value] = counts.get(trial.status.value, 0) + 1
    print(f"{directory}: {len(results.trials)} trials", counts)
    best = results.best_trial
    if best is not None:
        value = (best.last_result or {}).get(results.metric)
        print(f"best {results.metric} ({results.mode}) = {value} in trial {best.trial_id}")
        print(f"  config: {best.config}")
    print(f"stopped because {results.stop_reason}" if results.stop_reason else "not ended")


def command_show(directory: Path, top: int) -> None:
    """The best trials as a table."""
    from rich.console import Console
    from rich.table import Table

    from rung.storage import load

    results = load(directory)
    frame = results.dataframe().dropna(subset=[results.metric])
    frame = frame.sort_values(results.metric, ascending=results.mode == "min").head(top)
    table = Table(title=f"{directory}: best {len(frame)} of {len(results.trials)} trials")
    for column in frame.columns:
        if column != "error":
            table.add_column(column.removeprefix("config/"))
    for _, row in frame.iterrows():
        table.add_row(*(str(row[c]) for c in frame.columns if c != "error"))
    Console(width=200).print(table)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rung", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="run the experiment a YAML file describes")
    run_parser.add_argument("file", type=Path)
    run_parser.set_defaults(handler=lambda args: command_run(args.file))
    resume = commands.add_parser("resume", help="continue a stopped or crashed experiment")
    resume.add_argument("directory", type=Path)
    resume.set_defaults(handler=lambda args: command_resume(args.directory))
    status = commands.add_parser("status", help="how far an experiment got")
    status.add_argument("directory", type=Path)
    status.set_defaults(handler=lambda args: command_status(args.directory))
    show = commands.add_parser("show", help="the best trials of an experiment")
    show.add_argument("directory", type=Path)
    show.add_argument("--top", type=int, default=10)
    show.set_defaults(handler=lambda args: command_show(args.directory, args.top))
    args = parser.parse_args(argv)
    try:
        args.handler(args)
    except RungError as error:
        print(f"rung {args.command}: {error}", file=sys.stderr)
        return 2
    except sqlite3.Error as error:
        print(f"rung {args.command}: {args.directory}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"rung {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The ``rung`` command: run an experiment from a YAML file, resume one, look at one."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sqlite3
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from rung.errors import RungError, SpaceError
from rung.executors.sources import BY_VALUE_MODULES
from rung.settings import Settings, unknown_knobs
from rung.yaml_text import load_yaml

EXAMPLE = """\
an experiment file (YAML); every keyword of rung.run may be given:

  trainable: my_model:train          # module:function, or path/to/file.py:function
  space:
    lr: loguniform(1e-5, 1e-1)
    batch_size: lograndint(16, 512)
    optimizer:
      choice:
        - {name: sgd, momentum: "uniform(0, 0.99)"}
        - {name: adam}
  metric: val_loss
  mode: min
  num_trials: 50
  searcher: tpe                      # or {name: tpe, n_startup: 20}
  points_to_evaluate: [{lr: 0.01}]   # tried first; the searcher fills in the rest
  scheduler: {name: asha, max_t: 20, grace_period: 1}
  storage_path: rung_results         # the default
  name: mlp

then: rung status rung_results/mlp, rung show rung_results/mlp --top 5,
      rung resume rung_results/mlp [--num-trials 100]
"""


def import_object(reference: str, base: Path | None = None) -> Any:
    """``"package.module:attribute"`` or ``"path/to/file.py:attribute"``, imported with the
    current directory (and ``base``, the experiment file's folder) importable. A file's
    module travels to workers by value, so they need not find it."""
    module_name, _, attribute = reference.rpartition(":")
    if not module_name or not attribute:
        raise RungError(f"{reference!r}: write the trainable as 'module:function'")
    folders = [Path.cwd(), *([base] if base else [])]
    for folder in reversed(folders):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    if module_name.endswith(".py"):
        module = _import_file(module_name, folders, reference)
    else:
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise RungError(f"cannot import {module_name!r} for {reference!r}: {error}") from None
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise RungError(f"{module_name!r} has no {attribute!r}") from None


def _import_file(path_text: str, folders: list[Path], reference: str) -> Any:
    import cloudpickle

    candidates = [Path(path_text).expanduser()]
    candidates += [folder / path_text for folder in folders]
    path = next((p.resolve() for p in candidates if p.is_file()), None)
    if path is None:
        raise RungError(f"{reference!r}: no file {path_text} (looked in {folders[0]})")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    sys.path.insert(0, str(path.parent))
    spec.loader.exec_module(module)
    cloudpickle.register_pickle_by_value(module)
    BY_VALUE_MODULES.add(module.__name__)
    return module


def read_experiment_file(path: Path) -> dict[str, Any]:
    """The mapping an experiment file holds; a RungError naming the file (and the line) for
    a missing file, a YAML mistake or a tag."""
    try:
        text = path.read_text()
    except OSError as error:
        raise RungError(f"{path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise RungError(f"{path} is not a text file; an experiment file is YAML") from None
    try:
        spec = load_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise RungError(f"{where}: {problem}") from None
    if not isinstance(spec, Mapping):
        raise RungError(f"{path}: an experiment file is a mapping of settings; see rung run -h")
    return dict(spec)


def command_run(path: Path) -> int:
    """Run the experiment a YAML file describes; 1 if every trial failed."""
    from rung.api import run_settings
    from rung.space import from_text

    spec = read_experiment_file(path)
    missing = {"trainable", "space", "metric", "mode"} - set(spec)
    if missing:
        raise RungError(f"{path} lacks {sorted(missing)}; see rung run -h")
    known = ["trainable", "space", *Settings.knobs(in_file=True)]
    unknown = sorted(set(spec) - set(known))
    if unknown:
        raise RungError(f"{path}: {unknown_knobs(unknown, known)}")
    trainable = import_object(spec.pop("trainable"), path.parent.resolve())
    try:
        space = from_text(spec.pop("space"))
        for knob in ("searcher", "scheduler"):
            if isinstance(spec.get(knob), Mapping):
                spec[knob] = from_text(spec[knob])  # e.g. PBT's mutations, as domains
    except SpaceError as error:
        raise RungError(f"{path}: {error}") from None
    spec.setdefault("storage_path", "rung_results")
    results = run_settings(trainable, space, Settings.from_mapping(spec, str(path)))
    if results.trials and not results.ranked() and all(t.error for t in results.trials):
        first = results.trials[0]
        print(
            f"rung run: every trial failed ({len(results.trials)}); trial {first.trial_id}: "
            f"{first.error}",
            file=sys.stderr,
        )
        return 1
    return 0


def command_resume(
    directory: Path, num_trials: int | None = None, time_budget_s: float | None = None
) -> int:
    """Continue the experiment in ``directory`` with the settings it was started with (and
    a new budget when asked for)."""
    from rung.api import run_settings
    from rung.storage import load_payload

    directory = directory.expanduser().absolute()
    stored, objects = load_payload(directory)
    if objects["trainable"] is None:
        raise RungError(
            f"{directory} is driven by rung.Tuner (ask and tell from your own loop): resume "
            "it from that loop, with rung.Tuner(..., storage_path=..., name=..., resume=True)"
        )
    values = {k: stored[k] for k in Settings.knobs(saved=True) if k in stored}
    values.update(
        searcher=objects["searcher"],
        scheduler=objects["scheduler"],
        executor=objects["executor"],
        constraints=objects.get("constraints"),
        storage_path=str(directory.parent),
        name=directory.name,
        resume=True,
    )
    if num_trials is not None:
        values["num_trials"] = num_trials
    if time_budget_s is not None:
        values["time_budget_s"] = time_budget_s
    run_settings(objects["trainable"], objects["space"], Settings.from_mapping(values))
    return 0


def command_status(directory: Path) -> int:
    """Counts by status, the best result so far (the Pareto front, with several objectives),
    and why the experiment stopped."""
    from rung.callbacks.status_view import front_line
    from rung.view import FolderView

    with FolderView(directory) as view:
        summary = view.summary()
        objective, stop_reason = view.objective, view.stop_reason
    counts, imported = summary["counts"], summary["imported"]
    said = f" ({imported} imported by a warm start)" if imported else ""
    print(f"{directory}: {sum(counts.values())} trials{said}", counts)
    if summary["front"] is not None:
        print(front_line(summary["front"], objective))
    best = summary["best"]
    if best is not None:
        value = (best.last_result or {}).get(objective.metric)
        print(f"best {objective.metric} ({objective.mode}) = {value:.6g} in trial {best.trial_id}")
        print(f"  config: {best.config}")
    print(f"stopped because {stop_reason}" if stop_reason else "not ended")
    return 0


def command_show(directory: Path, top: int) -> int:
    """The best trials as a table."""
    from rich.console import Console

    from rung.callbacks.progress import best_table
    from rung.storage import load

    results = load(directory)
    title = f"{directory}: best {min(top, len(results.ranked()))} of {len(results)} trials"
    Console(width=200).print(best_table(results, top, title))
    return 0


def command_plot(args: argparse.Namespace) -> int:
    """Write the plots of one experiment, or a comparison of several."""
    from rung.plot import save_all, save_comparison

    directories: list[Path] = args.directories
    if len(directories) == 1:
        out = args.out or directories[0] / "plots"
        written, skipped = save_all(directories[0], out, args.kind or None, args.html)
        for kind, reason in skipped.items():
            print(f"left out {kind}: {reason}", file=sys.stderr if args.kind else sys.stdout)
        if args.kind and not written:  # what was asked for cannot be drawn
            return 2
    else:
        names = [d.resolve().name for d in directories]
        if len(set(names)) < len(names):
            names = [str(d) for d in directories]
        experiments = dict(zip(names, directories, strict=True))
        written = save_comparison(experiments, args.out or Path("plots"), args.top_k, args.html)
    for path in written:
        print(f"wrote {path}")
    return 0


def command_dashboard(args: argparse.Namespace) -> int:
    """Serve the dashboard of the experiments in ``args.directories`` until Ctrl-C."""
    from rung.dashboard.serve import serve

    return serve(args.directories, args.host, args.port)


def command_slurm(args: argparse.Namespace) -> int:
    """Write the sbatch script for ``rung slurm``."""
    from rung.slurm import sbatch_script

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    script = sbatch_script(
        command,
        nodes=args.nodes,
        cpus_per_node=args.cpus_per_node,
        gpus_per_node=args.gpus_per_node,
        time_limit=args.time,
        partition=args.partition,
        account=args.account,
        job_name=args.job_name,
        output=args.output,
        extra=args.sbatch,
    )
    args.out.write_text(script)
    print(f"wrote {args.out}; submit it with: sbatch {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from rung.plot import KINDS

    parser = argparse.ArgumentParser(
        prog="rung", description="rung: tune hyperparameters; run, resume and look at experiments"
    )
    commands = parser.add_subparsers(dest="subcommand", required=True)
    run_parser = commands.add_parser(
        "run",
        help="run the experiment a YAML file describes",
        description="Run the experiment a YAML file describes.",
        epilog=EXAMPLE + "\nevery key:\n" + Settings.describe_keys(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run_parser.add_argument("file", type=Path)
    run_parser.set_defaults(handler=lambda args: command_run(args.file))
    resume = commands.add_parser("resume", help="continue a stopped or crashed experiment")
    resume.add_argument("directory", type=Path)
    resume.add_argument("--num-trials", type=int, help="a new total number of trials")
    resume.add_argument("--time-budget-s", type=float, help="a new total time budget")
    resume.set_defaults(
        handler=lambda args: command_resume(args.directory, args.num_trials, args.time_budget_s)
    )
    status = commands.add_parser("status", help="how far an experiment got")
    status.add_argument("directory", type=Path)
    status.set_defaults(handler=lambda args: command_status(args.directory))
    show = commands.add_parser("show", help="the best trials of an experiment")
    show.add_argument("directory", type=Path)
    show.add_argument("--top", type=int, default=10)
    show.set_defaults(handler=lambda args: command_show(args.directory, args.top))
    plot = commands.add_parser(
        "plot",
        help="write an experiment's plots (PNG; HTML with --html), or compare several",
        description=(
            "With one DIR: its best-so-far, learning curves, parallel coordinates, parameter "
            "importance, slices and (PBT) schedules and lineage, in DIR/plots. With several: "
            "a time-to-solution comparison (the mean of each one's top-k trials over time)."
        ),
    )
    plot.add_argument("directories", type=Path, nargs="+", metavar="DIR")
    plot.add_argument("--out", type=Path, help="where to write (DIR/plots, or ./plots)")
    plot.add_argument(
        "--kind", action="append", help="one plot (repeat for more): " + ", ".join(KINDS)
    )
    plot.add_argument("--top-k", type=int, default=6, help="trials averaged when comparing")
    plot.add_argument("--html", action="store_true", help="interactive HTML too (plotly)")
    plot.set_defaults(handler=command_plot)
    dashboard = commands.add_parser(
        "dashboard",
        help="watch experiments live in a browser (read-only; rung[dashboard])",
        description="Serve a live dashboard of the experiments in DIR... on localhost. It "
        "reads their logs only: it never writes to an experiment or runs its code.",
    )
    dashboard.add_argument("directories", type=Path, nargs="+", metavar="DIR")
    dashboard.add_argument("--port", type=int, default=8080)
    dashboard.add_argument(
        "--host", default="127.0.0.1", help="the address to listen on (default: this machine only)"
    )
    dashboard.set_defaults(handler=command_dashboard)
    slurm = commands.add_parser(
        "slurm",
        help="write an sbatch script that runs a command on a Ray cluster over the allocation",
        description=(
            "Write an sbatch script: a Ray head on the first node, Ray workers on the others, "
            "then COMMAND with RAY_ADDRESS set (use executor='ray'). Give the experiment a "
            "name and resume='auto' (or 'resume: auto' in YAML) so that a cancelled or "
            "timed-out job continues in the next one."
        ),
        epilog="example: rung slurm --nodes 4 --cpus-per-node 32 --gpus-per-node 4 "
        "--time 08:00:00 --out tune.sbatch -- python tune.py",
    )
    slurm.add_argument("--nodes", type=int, default=1)
    slurm.add_argument("--cpus-per-node", type=int, default=1)
    slurm.add_argument("--gpus-per-node", type=int, default=0)
    slurm.add_argument("--time", help="the job's time limit, e.g. 08:00:00")
    slurm.add_argument("--partition")
    slurm.add_argument("--account")
    slurm.add_argument("--job-name", default="rung")
    slurm.add_argument("--output", default="rung-%j.out", help="the job's log file")
    slurm.add_argument("--sbatch", action="append", default=[], help="another #SBATCH option")
    slurm.add_argument("--out", type=Path, default=Path("rung.sbatch"))
    slurm.add_argument("command", nargs=argparse.REMAINDER, help="-- the command to run")
    slurm.set_defaults(handler=command_slurm)
    args = parser.parse_args(argv)
    return _handled(args)


def _handled(args: argparse.Namespace) -> int:
    """Run a command; what goes wrong is one line naming what and where, not a traceback."""
    name = f"rung {args.subcommand}"
    try:
        status = int(args.handler(args))
        sys.stdout.flush()  # within reach of the handlers below, not at the exit
        return status
    except RungError as error:
        print(f"{name}: {error}", file=sys.stderr)
    except sqlite3.Error as error:
        print(f"{name}: {args.directory}: {error}", file=sys.stderr)
    except BrokenPipeError:  # the reader went away (| head): nothing more to say
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except OSError as error:
        where = error.filename if error.filename is not None else "a file"
        print(f"{name}: {where}: {error.strerror or error}", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())

"""Early-stopping schedulers on the simulated clock: how much sooner they find good models.

Random search (or the searcher ``--searcher`` names) under FIFO, median stopping, ASHA,
Hyperband, asynchronous Hyperband and PBT, on LCBench tasks (YAHPO surrogate) and on recorded
digits-MLP curves, at several worker counts and seeds. For each: the validation accuracy of
the best trial by a fixed simulated budget (its latest report, as ``Results.best_trial``
ranks trials), and the simulated time to reach random search's (FIFO's) final quality; a plot
of best-so-far against simulated time; the cost of one scheduler decision at 10,000 trials.

    python benchmarks/schedulers.py --out benchmarks/results
"""

from __future__ import annotations

import argparse
import bisect
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import rung  # noqa: E402
from benchmarks.optuna_pruner import OptunaPruning  # noqa: E402
from benchmarks.parallel import run_jobs  # noqa: E402
from benchmarks.problems.curves import SPACE as CURVE_SPACE  # noqa: E402
from benchmarks.problems.curves import make_curve  # noqa: E402
from benchmarks.problems.digits_table import DigitsTable  # noqa: E402
from benchmarks.problems.lcbench import DEFAULT_PATH, TASKS, LCBench  # noqa: E402
from rung.executors import SimulatedExecutor  # noqa: E402
from rung.plot import charts  # noqa: E402
from rung.schedulers import MedianStoppingRule, PopulationBasedTraining  # noqa: E402

SCHEDULERS = [
    "fifo",
    "median",
    "asha",
    "hyperband",
    "async_hyperband",
    "adaptive_hyperband",
    "pbt",
    "optuna_hyperband",
    "optuna_sha",
]
LCBENCH_TASKS = ["7593", "167168", "189873"]
PBT_MUTATIONS = {
    "lcbench": {
        "learning_rate": rung.loguniform(1e-4, 1e-1),
        "momentum": rung.uniform(0.1, 0.99),
        "weight_decay": rung.uniform(1e-5, 1e-1),
    },
}


def load_problem(name: str, data: Path):
    if name == "digits":
        return DigitsTable()
    return LCBench(name.removeprefix("lcbench-"), data)


def scheduler_entry(text: str) -> str:
    """A --schedulers entry: a scheduler's name, or NAME@SEARCHER, where SEARCHER is a
    searcher's name, with settings that differ from its defaults after a colon
    (``asha@bohb:random_fraction=0.33``)."""
    name, _, searcher = text.partition("@")
    if name not in SCHEDULERS:
        raise argparse.ArgumentTypeError(f"{name!r} is not one of {', '.join(SCHEDULERS)}")
    if searcher:
        try:
            searcher_spec(searcher)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    return text


def searcher_spec(text: str) -> str | dict:
    """``bohb`` as it is; ``bohb:random_fraction=0.33,top_fraction=0.2`` as the dict
    ``rung.run`` takes, with each value a number."""
    name, _, settings = text.partition(":")
    if name not in rung.searchers.SEARCHERS:
        raise ValueError(f"{name!r} is not a searcher's name")
    if not settings:
        return name
    spec: dict = {"name": name}
    for item in settings.split(","):
        key, equals, value = item.partition("=")
        if not equals:
            raise ValueError(f"{item!r} in {text!r}: write KEY=NUMBER")
        spec[key] = float(value)
    return spec


def make_scheduler(name: str, problem, eta: float = 3):
    """The scheduler as a user names it: ``{"name": "asha", "max_t": max_t}`` and nothing
    else, so that its figures are those of the defaults users get (a first rung of about
    max_t / 27: 2 epochs of LCBench's 52, 1 of 30); ``--eta`` other than 3 is named."""
    max_t = problem.max_t
    if name in ("asha", "hyperband", "async_hyperband", "adaptive_hyperband"):
        spec = {"name": name, "max_t": max_t}
        if eta != 3:
            spec["reduction_factor"] = eta
        return spec
    if name == "median":
        return MedianStoppingRule(grace_period=3)  # named in docs/benchmarks.md
    grace = rung.schedulers.ASHAScheduler(max_t=max_t, reduction_factor=eta).first_rung
    if name in ("optuna_hyperband", "optuna_sha"):
        pruner = "hyperband" if name == "optuna_hyperband" else "successive_halving"
        return OptunaPruning(pruner, min_resource=grace, max_resource=max_t, eta=eta)
    if name == "pbt":
        mutations = (
            {"row": problem.space["row"]}
            if isinstance(problem, DigitsTable)
            else PBT_MUTATIONS["lcbench"]
        )
        return PopulationBasedTraining(
            perturbation_interval=4, hyperparam_mutations=mutations, quantile_fraction=0.25
        )
    return "fifo"


def full_trial_seconds(problem, samples: int = 200) -> float:
    """Mean simulated time of a trial run to ``max_t``, over random configurations."""
    space = rung.Space(problem.space)
    rng = np.random.default_rng(12345)
    totals = []
    for _ in range(samples):
        config = space.sample(rng)
        totals.append(sum(problem(config, i)[1] for i in range(1, problem.max_t + 1)))
    return float(np.mean(totals))


def one_run(job: tuple) -> dict:
    """Run one (problem, scheduler, workers, seed) and return its best-so-far trajectory."""
    warnings.simplefilter("ignore", rung.RungWarning)
    problem_name, entry, workers, seed, budget, data, eta, searcher = job
    scheduler_name, _, own_searcher = entry.partition("@")
    searcher = own_searcher or searcher
    problem = load_problem(problem_name, data)
    scheduler = make_scheduler(scheduler_name, problem, eta)
    num_trials = max(16, workers) if scheduler_name == "pbt" else None
    started = time.perf_counter()
    results = rung.run(
        problem,
        problem.space,
        metric=problem.metric,
        mode=problem.mode,
        scheduler=scheduler,
        searcher=searcher_spec(searcher),
        num_trials=num_trials,
        time_budget_s=budget,
        executor=SimulatedExecutor(workers),
        seed=seed,
        verbose=0,
    )
    wall = time.perf_counter() - started
    # Quality is what `results.best_trial` would have said at each moment (the best of every
    # trial's latest report), computed by the function rung's best_so_far plot draws.
    incumbent = charts.best_so_far(results).panels[0].traces[-1]
    times, best = incumbent.x, incumbent.y
    run = {
        "problem": problem_name,
        "scheduler": entry,
        "searcher": searcher,
        "workers": workers,
        "seed": seed,
        "times": list(times),
        "best": list(best),
        "trials": len(results.trials),
        "epochs": sum(len(t.results) for t in results.trials),
        "wall_s": wall,
    }
    return thin(run)


def thin(run: dict) -> dict:
    """A run with its best-so-far trajectory cut to the moments it changed: the same
    curve, small enough to keep in the JSON and to redraw without rerunning."""
    best = np.asarray(run["best"])
    keep = np.nonzero(np.diff(best, prepend=np.nan) != 0)[0]
    return {**run, "times": [run["times"][i] for i in keep], "best": best[keep].tolist()}


def best_at(run: dict, t: float) -> float:
    index = bisect.bisect_right(run["times"], t) - 1
    return run["best"][index] if index >= 0 else float("nan")


def time_to(run: dict, target: float) -> float:
    reached = np.nonzero(np.asarray(run["best"]) >= target)[0]
    return run["times"][reached[0]] if len(reached) else float("inf")


def median_curve(runs: list[dict], grid: np.ndarray) -> np.ndarray:
    """The median over runs of best-so-far at each time of ``grid``."""
    curves = np.array([[best_at(r, t) for t in grid] for r in runs])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # times before any result
        return np.nanmedian(curves, axis=0)


def first_reaching(grid: np.ndarray, curve: np.ndarray, target: float) -> float:
    reached = np.nonzero(curve >= target)[0]
    return float(grid[reached[0]]) if len(reached) else float("inf")


def summarize(runs: list[dict], budgets: dict, schedulers: list[str]) -> list[dict]:
    """Per problem and worker count: each scheduler's final quality (median and quartiles
    over seeds) and the time its median best-so-far curve takes to reach the final value of
    random search's (FIFO's) median curve."""
    rows = []
    keys = sorted({(r["problem"], r["workers"]) for r in runs})
    for problem, workers in keys:
        budget = budgets[(problem, workers)]
        group = [r for r in runs if r["problem"] == problem and r["workers"] == workers]
        grid = np.geomspace(budget / 1e4, budget, 2000)
        fifo_curve = median_curve([r for r in group if r["scheduler"] == "fifo"], grid)
        target = float(fifo_curve[-1])
        fifo_time = first_reaching(grid, fifo_curve, target)
        for name in schedulers:
            chosen = [r for r in group if r["scheduler"] == name]
            finals = [best_at(r, budget) for r in chosen]
            reach = [time_to(r, target) for r in chosen]
            median_time = first_reaching(grid, median_curve(chosen, grid), target)
            rows.append(
                {
                    "problem": problem,
                    "workers": workers,
                    "scheduler": name,
                    "budget_s": budget,
                    "final_median": float(statistics.median(finals)),
                    "final_q25": float(np.percentile(finals, 25)),
                    "final_q75": float(np.percentile(finals, 75)),
                    "target": float(target),
                    "time_to_target_median": float(median_time),
                    "speedup_vs_fifo": float(fifo_time / median_time) if median_time > 0 else None,
                    "reached": int(np.isfinite(reach).sum()),
                    "runs": len(chosen),
                    "trials_median": float(statistics.median(r["trials"] for r in chosen)),
                }
            )
    return rows


def decision_cost(trials: int = 10_000) -> dict:
    """Median and 99th percentile of one on_trial_result call, in ms, at ``trials`` trials."""
    costs = {}
    curve = make_curve(27)
    for name in ["median", "asha", "hyperband", "async_hyperband"]:
        scheduler = make_scheduler(name, type("P", (), {"max_t": 27})())
        timings: list[float] = []
        original = scheduler.on_trial_result

        def timed(trial, result, original=original, timings=timings):
            start = time.perf_counter()
            decision = original(trial, result)
            timings.append(time.perf_counter() - start)
            return decision

        scheduler.on_trial_result = timed
        rung.run(
            curve,
            CURVE_SPACE,
            metric="loss",
            mode="min",
            scheduler=scheduler,
            num_trials=trials,
            executor=SimulatedExecutor(256),
            seed=0,
            verbose=0,
        )
        tail = timings[len(timings) // 2 :]
        costs[name] = {
            "decisions": len(timings),
            "median_ms": 1e3 * statistics.median(tail),
            "p99_ms": 1e3 * float(np.percentile(tail, 99)),
        }
    return costs


def plot(runs: list[dict], budgets: dict, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    present = [name for name in SCHEDULERS if any(r["scheduler"] == name for r in runs)]
    for problem in sorted({r["problem"] for r in runs}):
        workers_list = sorted({r["workers"] for r in runs if r["problem"] == problem})
        fig, axes = plt.subplots(1, len(workers_list), figsize=(5 * len(workers_list), 4))
        for ax, workers in zip(np.atleast_1d(axes), workers_list, strict=True):
            budget = budgets[(problem, workers)]
            grid = np.linspace(0, budget, 200)
            for name in present:
                chosen = [
                    r
                    for r in runs
                    if r["problem"] == problem
                    and r["workers"] == workers
                    and r["scheduler"] == name
                ]
                curves = np.array([[best_at(r, t) for t in grid] for r in chosen])
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # before any result
                    ax.plot(grid, np.nanmedian(curves, axis=0), label=name)
            ax.set_title(f"{problem}, {workers} workers")
            ax.set_xlabel("simulated seconds")
            ax.set_ylabel("best trial's validation accuracy so far (median)")
            ax.set_xscale("log")
        np.atleast_1d(axes)[0].legend()
        fig.tight_layout()
        path = out / f"schedulers_{problem}.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        files.append(str(path))
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_PATH)
    parser.add_argument(
        "--problems",
        nargs="*",
        default=[f"lcbench-{t}" for t in LCBENCH_TASKS] + ["digits"],
        help="lcbench-<task>, digits, or lcbench-all for every LCBench task",
    )
    parser.add_argument("--workers", nargs="*", type=int, default=[4, 32, 256])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument(
        "--budget-lengths",
        nargs="*",
        type=float,
        default=[25, 25, 10],
        help="the budget for each worker count, in full-length trials' time",
    )
    parser.add_argument(
        "--schedulers",
        nargs="*",
        default=SCHEDULERS,
        type=scheduler_entry,
        help=f"of {', '.join(SCHEDULERS)}; NAME@SEARCHER runs that one with its own searcher "
        "(e.g. asha@bohb, asha@bohb:random_fraction=0.33), against FIFO with --searcher",
    )
    parser.add_argument(
        "--reduction-factor",
        type=float,
        default=3,
        help="eta of successive halving, ASHA and Hyperband (the smallest budget stays max_t/27)",
    )
    parser.add_argument(
        "--searcher", default="random", help="the searcher under every scheduler (a name)"
    )
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument(
        "--extras",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also plot, time scheduler decisions and keep every run's best-so-far curve in "
        "the JSON (--no-extras for a sweep of many tasks: the summary rows only)",
    )
    parser.add_argument("--name", default="schedulers", help="the JSON file's name, no suffix")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument(
        "--summarize",
        nargs="+",
        type=Path,
        metavar="JSON",
        help="print the across-problems table of saved sweeps, and run nothing",
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="with --summarize: one table over all the files (the parts of one sweep)",
    )
    args = parser.parse_args()
    if args.merge and not args.summarize:
        parser.error("--merge merges the saved files given to --summarize; give them there")
    if args.summarize:
        summarize_saved(args.summarize, args.merge)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    if "lcbench-all" in args.problems:
        args.problems.remove("lcbench-all")
        every = [f"lcbench-{task}" for task in TASKS]
        args.problems += [name for name in every if name not in args.problems]

    if len(args.budget_lengths) != len(args.workers):
        parser.error("give one --budget-lengths value per --workers value")
    budgets = {}
    for problem in args.problems:
        seconds = full_trial_seconds(load_problem(problem, args.data))
        for workers, lengths in zip(args.workers, args.budget_lengths, strict=True):
            # A deadline of `lengths` full trials, whatever the cluster: random search then
            # runs lengths x workers trials, and no scheduler can be more than about
            # `lengths` times sooner, since its best trial still trains to max_t.
            budgets[(problem, workers)] = seconds * lengths
    jobs = [
        (
            problem,
            name,
            workers,
            seed,
            budgets[(problem, workers)],
            args.data,
            args.reduction_factor,
            args.searcher,
        )
        for problem in args.problems
        for workers in args.workers
        for name in args.schedulers
        for seed in range(args.seeds)
    ]
    started = time.perf_counter()
    runs = run_jobs(one_run, jobs, args.processes, every=20)
    elapsed = time.perf_counter() - started
    rows = summarize(runs, budgets, args.schedulers)
    costs = decision_cost() if args.extras else {}
    figures = plot(runs, budgets, args.out) if args.extras else []
    print_tables(rows, costs, elapsed, len(jobs))
    summary = {
        "rows": rows,
        "decision_cost": costs,
        "runs": len(jobs),
        "wall_s": elapsed,
        "plots": figures,
        "reduction_factor": args.reduction_factor,
        "searcher": args.searcher,
        "budgets": {f"{p}@{w}": b for (p, w), b in budgets.items()},
    }
    if args.extras:
        summary["trajectories"] = runs
    path = args.out / f"{args.name}.json"
    path.write_text(json.dumps(summary, indent=1))
    print(f"wrote {path} {' '.join(figures)}")


def across_problems(rows: list[dict], title: str = "across problems"):
    """Per worker count and scheduler: the median speedup over FIFO across problems, on how
    many problems it is at least 5x, and on how many its final quality is at least FIFO's."""
    from rich.table import Table

    table = Table(title=f"{title}: speedup over FIFO")
    for column in (
        "workers",
        "scheduler",
        "median speedup",
        "problems >= 5x",
        "final >= FIFO's",
        "problems",
    ):
        table.add_column(column)
    fifo_final = {
        (row["problem"], row["workers"]): row["final_median"]
        for row in rows
        if row["scheduler"] == "fifo"
    }
    for workers in sorted({row["workers"] for row in rows}):
        for name in dict.fromkeys(row["scheduler"] for row in rows):
            chosen = [row for row in rows if row["workers"] == workers and row["scheduler"] == name]
            if not chosen:  # run with other worker counts only
                continue
            speedups = [row["speedup_vs_fifo"] or 0.0 for row in chosen]
            as_good = [
                row["final_median"] >= fifo_final[(row["problem"], workers)] for row in chosen
            ]
            table.add_row(
                str(workers),
                name,
                f"{statistics.median(speedups):.1f}x",
                str(sum(s >= 5 for s in speedups)),
                str(sum(as_good)),
                str(len(speedups)),
            )
    return table


def summarize_saved(paths: list[Path], merge: bool = False) -> None:
    """Print the across-problems table of sweeps this script saved earlier: one per file, or
    with ``merge`` one over all of them (a sweep run in parts, each with its own problems)."""
    from rich.console import Console

    console = Console(width=160)
    summaries = [(path.name, json.loads(path.read_text())["rows"]) for path in paths]
    if merge:
        summaries = [(f"{len(paths)} files merged", merged_rows(summaries))]
    for title, rows in summaries:
        console.print(across_problems(rows, title=title))


def merged_rows(summaries: list[tuple[str, list[dict]]]) -> list[dict]:
    """The rows of several saved sweeps as one; a (problem, workers, scheduler) in two files is
    an error, since the parts of one sweep do not overlap."""
    seen: dict[tuple, str] = {}
    rows = []
    for name, part in summaries:
        for row in part:
            key = (row["problem"], row["workers"], row["scheduler"])
            if key in seen:
                raise SystemExit(f"{key} is in both {seen[key]} and {name}")
            seen[key] = name
            rows.append(row)
    return rows


def print_tables(rows: list[dict], costs: dict, elapsed: float, jobs: int) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160)
    table = Table(title=f"schedulers on the simulated clock ({jobs} runs, {elapsed:.0f} s)")
    for column in (
        "problem",
        "workers",
        "scheduler",
        "final (median [q25, q75])",
        "time to FIFO's final",
        "speedup vs FIFO",
        "reached",
        "trials",
    ):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["problem"],
            str(row["workers"]),
            row["scheduler"],
            f"{row['final_median']:.4g} [{row['final_q25']:.4g}, {row['final_q75']:.4g}]",
            f"{row['time_to_target_median']:.4g} s",
            f"{row['speedup_vs_fifo']:.1f}x",
            f"{row['reached']}/{row['runs']}",
            f"{row['trials_median']:.0f}",
        )
    console.print(table)
    if len({row["problem"] for row in rows}) > 1:
        console.print(across_problems(rows))
    for name, cost in costs.items():
        console.print(
            f"decision cost at 10,000 trials, {name}: median {cost['median_ms']:.4f} ms, "
            f"p99 {cost['p99_ms']:.4f} ms over {cost['decisions']} decisions"
        )


if __name__ == "__main__":
    main()

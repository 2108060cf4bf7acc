"""Define-by-run: one objective, ``objective(trial)`` with ``trial.suggest_*``, run as it is
by rung and by Optuna.

Each synthetic problem of the quality suite is written as a define-by-run objective (its
parameters asked one by one, in Optuna's signature), plus a conditional one whose first
answers decide what it asks next (an optimizer and its own parameters, a layer count and
one width per layer). rung runs it as a user writes it, ``rung.run(objective,
metric="value", mode="min", num_trials=n)`` (its default without a space: a multivariate
TPE per group of parameters asked together; trials in the driver's thread,
``executor="inline"``, as Optuna's ``optimize`` runs them), Optuna as
``create_study(sampler=TPESampler(seed=s)).optimize(objective, n_trials=n)`` (its default
TPE: multivariate over the parameters every trial asked, the others one by one). For each
budget, prints each problem's median final regret over the seeds, the chance that a rung
seed ends below an Optuna seed (ties half; 0.5 is level; with 30 seeds a side its standard
error is about 0.075) and the wall time per trial (the objectives take microseconds: it is
the framework's and the search's); then the cost of one suggestion's round trip to the
driver from a worker process (``executor="process"``) against a report's. Writes JSON.

    python benchmarks/define_by_run.py
    python benchmarks/define_by_run.py --seeds 3 --trials 100 --problems branin conditional
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import rung  # noqa: E402
from benchmarks.parallel import run_jobs  # noqa: E402
from benchmarks.problems.synthetic import PROBLEMS  # noqa: E402
from rung.space import Categorical, Float, Int  # noqa: E402


def asked(problem: Any) -> Callable[[Any], float]:
    """The problem as ``objective(trial)``: each parameter asked by its domain."""

    def objective(trial: Any) -> float:
        config = {}
        for name, domain in problem.space.items():
            if isinstance(domain, Float):
                config[name] = trial.suggest_float(name, domain.low, domain.high, log=domain.log)
            elif isinstance(domain, Int):
                config[name] = trial.suggest_int(name, domain.low, domain.high, log=domain.log)
            elif isinstance(domain, Categorical):
                config[name] = trial.suggest_categorical(name, list(domain.options))
        return problem.loss(config) - problem.optimum

    return objective


def conditional(trial: Any) -> float:
    """A network's optimizer decides which rates it asks for, its depth how many widths:
    the best is Adam at lr 3e-3 and beta1 0.9 with two layers of 64 (loss 0)."""
    optimizer = trial.suggest_categorical("optimizer", ["sgd", "adam"])
    if optimizer == "sgd":
        lr = trial.suggest_float("sgd_lr", 1e-4, 1.0, log=True)
        momentum = trial.suggest_float("momentum", 0.0, 0.99)
        loss = 0.5 + (math.log10(lr) + 1) ** 2 + (momentum - 0.9) ** 2
    else:
        lr = trial.suggest_float("adam_lr", 1e-5, 1e-1, log=True)
        beta1 = trial.suggest_float("beta1", 0.5, 0.999)
        loss = (math.log10(lr) - math.log10(3e-3)) ** 2 + 4 * (beta1 - 0.9) ** 2
    layers = trial.suggest_int("layers", 1, 4)
    for i in range(layers):
        width = trial.suggest_int(f"width_{i}", 8, 512, log=True)
        loss += (math.log2(width) - 6) ** 2 / 4
    return loss + 0.5 * abs(layers - 2)


def objective_of(name: str) -> Callable[[Any], float]:
    return conditional if name == "conditional" else asked(PROBLEMS[name])


def one_run(job: tuple) -> dict:
    name, who, trials, seed = job
    objective = objective_of(name)
    started = time.perf_counter()
    if who == "rung":
        results = rung.run(
            objective,
            metric="value",
            mode="min",
            num_trials=trials,
            executor="inline",
            seed=seed,
            verbose=0,
        )
        values = [t.last_result["value"] for t in sorted(results.trials, key=lambda t: t.trial_id)]
    else:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
        study.optimize(objective, n_trials=trials)
        values = [t.value for t in study.trials]
    wall = time.perf_counter() - started
    return {
        "problem": name,
        "who": who,
        "seed": seed,
        "trials": trials,
        "best": min(values),
        # The objectives take microseconds: a trial's time is the framework's and the search's.
        "ms_per_trial": 1000 * wall / trials,
    }


def round_trip(trials: int = 40, parameters: int = 50) -> dict:
    """Milliseconds per suggestion and per report of a trial in a worker process."""

    def asking(trial: Any) -> float:
        return sum(trial.suggest_float(f"x{i}", 0, 1) for i in range(parameters))

    def reporting(config: dict) -> None:
        for i in range(parameters):
            rung.report(loss=float(i))

    costs = {}
    for label, objective, space in (
        ("suggestion", asking, None),
        ("report", reporting, {"x": rung.uniform(0, 1)}),
    ):
        rung.run(
            objective,
            space,
            metric="value" if space is None else "loss",
            mode="min",
            num_trials=2,
            executor="process",
            max_concurrent=1,
            verbose=0,
            searcher="random",
        )
        started = time.perf_counter()
        rung.run(
            objective,
            space,
            metric="value" if space is None else "loss",
            mode="min",
            num_trials=trials,
            executor="process",
            max_concurrent=1,
            verbose=0,
            searcher="random",
        )
        costs[label] = 1000 * (time.perf_counter() - started) / (trials * parameters)
    return costs


def chance_ahead(mine: list[float], theirs: list[float]) -> float:
    """The chance that a run of ``mine`` ends below one of ``theirs`` (ties count half)."""
    wins = sum((a < b) + 0.5 * (a == b) for a in mine for b in theirs)
    return wins / (len(mine) * len(theirs))


def summarize(runs: list[dict], problems: list[str], trials: int) -> dict:
    """Per problem: each side's median final regret and search time, and rung's chance ahead."""
    table = {}
    for name in problems:
        best = {}
        cell: dict[str, Any] = {}
        for who in ("rung", "optuna"):
            mine = [r for r in runs if (r["problem"], r["who"], r["trials"]) == (name, who, trials)]
            best[who] = [r["best"] for r in mine]
            cell[who] = {
                "median_best": statistics.median(best[who]),
                "ms_per_trial": statistics.median(r["ms_per_trial"] for r in mine),
            }
        cell["rung_chance_ahead"] = chance_ahead(best["rung"], best["optuna"])
        table[name] = cell
    return table


def show(table: dict, seeds: int, trials: int) -> None:
    print(f"\n{trials} trials, {seeds} seeds: median final regret; chance a rung seed ends lower")
    print(
        f"{'problem':<20} {'rung':>11} {'optuna TPE':>11} {'P(ahead)':>9} "
        f"{'rung ms':>8} {'optuna ms':>9}"
    )
    for name, cell in table.items():
        r, o = cell["rung"], cell["optuna"]
        print(
            f"{name:<20} {r['median_best']:>11.4g} {o['median_best']:>11.4g} "
            f"{cell['rung_chance_ahead']:>9.2f} "
            f"{r['ms_per_trial']:>8.2f} {o['ms_per_trial']:>9.2f}"
        )
    chances = [cell["rung_chance_ahead"] for cell in table.values()]
    ahead = sum(chance >= 0.5 for chance in chances)
    print(
        f"rung ahead (chance >= 0.5) on {ahead} of {len(chances)}; "
        f"mean chance {statistics.mean(chances):.3f}, lowest {min(chances):.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="*", default=[*PROBLEMS, "conditional"])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--trials", type=int, nargs="*", default=[100, 200])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/define_by_run.json")
    args = parser.parse_args()
    jobs = [
        (p, who, trials, seed)
        for trials in args.trials
        for p in args.problems
        for who in ("rung", "optuna")
        for seed in range(args.seeds)
    ]
    runs = run_jobs(one_run, jobs, args.processes, every=max(1, len(jobs) // 10))
    tables = {}
    for trials in args.trials:
        tables[trials] = summarize(runs, args.problems, trials)
        show(tables[trials], args.seeds, trials)
    costs = round_trip()
    print(
        f"in a worker process: {costs['suggestion']:.3f} ms per suggestion, "
        f"{costs['report']:.3f} ms per report (whole trials, divided)"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {"seeds": args.seeds, "tables": tables, "round_trip_ms": costs, "runs": runs},
            indent=1,
        )
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

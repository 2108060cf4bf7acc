"""Searcher quality: rung's model-based searchers against Optuna and HyperOpt, same run.

Eleven test functions with known optima (simple regret) and six cross-validated
scikit-learn problems (their loss: 1 - R^2 or log-loss); 100 evaluations per run, several
seeds; median and quartiles, wall time per run (and the part of it spent outside the
objective), a table, a plot of median best-so-far; each searcher's mean rank and the number
of problems where it is best or within the seed noise of the best; and the time one
suggestion takes after 100, 500 and 1,000 observations.

    python benchmarks/quality.py --out benchmarks/results
"""

from __future__ import annotations

import os

# One thread per process: the runs go in parallel processes, one per core, and BLAS or torch
# threads on top would fight over the cores (and make every library's times noise).
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import rung  # noqa: E402
from benchmarks.parallel import run_jobs  # noqa: E402
from benchmarks.problems.sklearn_cv import PROBLEMS as SKLEARN  # noqa: E402
from benchmarks.problems.synthetic import PROBLEMS as SYNTHETIC  # noqa: E402
from benchmarks.problems.synthetic import Problem  # noqa: E402
from rung.objective import Objective  # noqa: E402
from rung.searchers import make_searcher  # noqa: E402
from rung.searchers.auto import choose  # noqa: E402
from rung.space._domains import Categorical, Float, Int  # noqa: E402

PROBLEMS = {**SYNTHETIC, **SKLEARN}
RUNG = [
    "rung-tpe",
    "rung-gp",
    "rung-cmaes",
    "rung-evolution",
    "rung-anneal",
    "rung-auto",
    "random",
]
# Variants that are not the defaults, run only when asked for by name.
VARIANTS = {
    "rung-gp-all": {"name": "gp", "max_data": None},
    "rung-portfolio": {"name": "portfolio"},
}
PEERS = [
    "optuna-tpe",
    "optuna-tpe-univariate",
    "optuna-gp",
    "optuna-cmaes",
    "hyperopt-tpe",
    "hyperopt-anneal",
]
SEARCHERS = RUNG + PEERS
CHOICES = SEARCHERS + list(VARIANTS)


# one run per library ----------------------------------------------------------------------


def run_rung(name: str, problem, evals: int, seed: int) -> list[float]:
    searcher = make_searcher(VARIANTS.get(name, name.removeprefix("rung-")))
    searcher.setup(problem.space, Objective("loss"), np.random.default_rng(seed), num_trials=evals)
    losses = []
    for i in range(evals):
        config = searcher.suggest(str(i))
        loss = problem.loss(config)
        searcher.on_trial_complete(str(i), {"loss": loss, "training_iteration": 1})
        losses.append(loss)
    return losses


def optuna_params(trial, space: dict) -> dict:
    params = {}
    for key, domain in space.items():
        if isinstance(domain, Float):
            params[key] = trial.suggest_float(
                key, domain.low, domain.high, log=domain.log, step=domain.step
            )
        elif isinstance(domain, Int):
            params[key] = trial.suggest_int(
                key, domain.low, domain.high, step=domain.step, log=domain.log
            )
        elif isinstance(domain, Categorical):
            params[key] = trial.suggest_categorical(key, list(domain.options))
    return params


def run_optuna(name: str, problem, evals: int, seed: int) -> list[float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    samplers = {
        "optuna-tpe": lambda: optuna.samplers.TPESampler(seed=seed),
        "optuna-tpe-univariate": lambda: optuna.samplers.TPESampler(seed=seed, multivariate=False),
        "optuna-gp": lambda: optuna.samplers.GPSampler(seed=seed),
        "optuna-cmaes": lambda: optuna.samplers.CmaEsSampler(seed=seed),
    }
    study = optuna.create_study(sampler=samplers[name]())
    losses = []

    def objective(trial):
        loss = problem.loss(optuna_params(trial, problem.space))
        losses.append(loss)
        return loss

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(objective, n_trials=evals)
    return losses


def hyperopt_space(space: dict) -> dict:
    from hyperopt import hp

    out = {}
    for key, domain in space.items():
        if isinstance(domain, Float) and domain.log:
            out[key] = hp.loguniform(key, math.log(domain.low), math.log(domain.high))
        elif isinstance(domain, Float):
            out[key] = hp.uniform(key, domain.low, domain.high)
        elif isinstance(domain, Int) and domain.log:
            out[key] = hp.qloguniform(key, math.log(domain.low), math.log(domain.high), 1)
        elif isinstance(domain, Int):
            out[key] = hp.uniformint(key, domain.low, domain.high)
        elif isinstance(domain, Categorical):
            out[key] = hp.choice(key, list(domain.options))
    return out


def run_hyperopt(name: str, problem, evals: int, seed: int) -> list[float]:
    from hyperopt import Trials, anneal, fmin, tpe

    ints = {k for k, d in problem.space.items() if isinstance(d, Int)}
    losses = []

    def objective(params):
        config = {k: round(v) if k in ints else v for k, v in params.items()}
        loss = problem.loss(config)
        losses.append(loss)
        return loss

    fmin(
        objective,
        hyperopt_space(problem.space),
        algo=anneal.suggest if name == "hyperopt-anneal" else tpe.suggest,
        max_evals=evals,
        trials=Trials(),
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )
    return losses


def timed(problem: Problem) -> tuple[Problem, list[float]]:
    """The problem with a loss that adds its own seconds to the returned one-item list, so
    that a run's wall time splits into the objective's and the searcher's."""
    seconds = [0.0]

    def loss(config: dict) -> float:
        start = time.perf_counter()
        try:
            return problem.loss(config)
        finally:
            seconds[0] += time.perf_counter() - start

    return dataclasses.replace(problem, loss=loss), seconds


def one_run(job: tuple) -> dict:
    problem_name, name, evals, seed = job
    problem, objective_s = timed(PROBLEMS[problem_name])
    started = time.perf_counter()
    if name.startswith("optuna"):
        losses = run_optuna(name, problem, evals, seed)
    elif name.startswith("hyperopt"):
        losses = run_hyperopt(name, problem, evals, seed)
    else:
        losses = run_rung(name, problem, evals, seed)
    wall = time.perf_counter() - started
    best = np.minimum.accumulate(np.nan_to_num(np.array(losses, dtype=float), nan=np.inf))
    return {
        "problem": problem_name,
        "searcher": name,
        "seed": seed,
        "best": (best - problem.optimum).tolist(),
        "wall_s": wall,
        "searcher_s": wall - objective_s[0],
    }


# suggestion cost ---------------------------------------------------------------------------


def suggest_cost(sizes=(100, 500, 1000), repeats: int = 20) -> dict:
    """Milliseconds for one suggestion after ``n`` random observations of Hartmann-6 (the
    median of several; for rung's GP also the first, which fits the model from scratch)."""
    import optuna
    from hyperopt import Trials, fmin, tpe

    problem = SYNTHETIC["hartmann6"]
    space = rung.Space(problem.space)
    out: dict[str, dict[int, float]] = {}
    for n in sizes:
        rng = np.random.default_rng(0)
        configs = [space.sample(rng) for _ in range(n)]
        losses = [problem.loss(c) for c in configs]
        for name, spec in [("tpe", "tpe"), ("gp", "gp"), ("gp-all", VARIANTS["rung-gp-all"])]:
            searcher = make_searcher(spec).setup(space, Objective("loss"), np.random.default_rng(0))
            for i, (config, loss) in enumerate(zip(configs, losses, strict=True)):
                searcher.pending[str(i)] = config
                searcher.on_trial_complete(str(i), {"loss": loss, "training_iteration": 1})
            searcher._suggested = searcher.n_startup
            times = []
            for i in range(repeats if name == "tpe" else 4):
                start = time.perf_counter()
                searcher.suggest(f"new{i}")
                times.append(time.perf_counter() - start)
                searcher.pending.clear()
            out.setdefault(f"rung-{name}", {})[n] = 1e3 * statistics.median(times)
            if name.startswith("gp"):
                out.setdefault(f"rung-{name}-first", {})[n] = 1e3 * times[0]
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        dists = {k: optuna.distributions.FloatDistribution(0, 1) for k in problem.space}
        trials = [
            optuna.trial.create_trial(params=c, distributions=dists, value=v)
            for c, v in zip(configs, losses, strict=True)
        ]
        study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
        study.add_trials(trials)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            study.ask(dists)
            times.append(time.perf_counter() - start)
        out.setdefault("optuna-tpe", {})[n] = 1e3 * statistics.median(times)
        # Optuna's GPSampler refits its GP at every ask: a few asks are enough.
        study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=0))
        study.add_trials(trials)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            study.ask(dists)
            times.append(time.perf_counter() - start)
        out.setdefault("optuna-gp", {})[n] = 1e3 * statistics.median(times)
        # HyperOpt: time the (n+1)-th evaluation's suggestion after n evaluations.
        hp_trials = Trials()
        fmin(
            problem.loss,
            hyperopt_space(problem.space),
            algo=tpe.suggest,
            max_evals=n,
            trials=hp_trials,
            rstate=np.random.default_rng(0),
            show_progressbar=False,
        )
        times = []
        for k in range(5):
            start = time.perf_counter()
            fmin(
                problem.loss,
                hyperopt_space(problem.space),
                algo=tpe.suggest,
                max_evals=n + k + 1,
                trials=hp_trials,
                rstate=np.random.default_rng(k),
                show_progressbar=False,
            )
            times.append(time.perf_counter() - start)
        out.setdefault("hyperopt-tpe", {})[n] = 1e3 * statistics.median(times)
    return out


# summary -----------------------------------------------------------------------------------


def summarize(runs: list[dict]) -> list[dict]:
    rows = []
    for problem in PROBLEMS:
        for name in CHOICES:
            chosen = [r for r in runs if r["problem"] == problem and r["searcher"] == name]
            if not chosen:
                continue
            finals = [r["best"][-1] for r in chosen]
            rows.append(
                {
                    "problem": problem,
                    "searcher": name,
                    "median": float(np.median(finals)),
                    "q25": float(np.percentile(finals, 25)),
                    "q75": float(np.percentile(finals, 75)),
                    "wall_s": float(np.median([r["wall_s"] for r in chosen])),
                    "searcher_s": float(
                        np.median([r.get("searcher_s", r["wall_s"]) for r in chosen])
                    ),
                    "seeds": len(chosen),
                }
            )
    return rows


def standings(runs: list[dict], searchers: list[str] = SEARCHERS) -> dict[str, dict]:
    """Per searcher over the problems all of ``searchers`` ran: its mean rank (by median final
    loss, ties shared) and on how many problems it is best or within the noise of the best
    (a two-sided Mann-Whitney U test of the final losses over seeds, p > 0.05)."""
    from scipy.stats import mannwhitneyu, rankdata

    finals: dict[str, dict[str, list[float]]] = {}
    for r in runs:
        if r["searcher"] in searchers:
            finals.setdefault(r["problem"], {}).setdefault(r["searcher"], []).append(r["best"][-1])
    complete = {p: by for p, by in finals.items() if set(by) == set(searchers)}
    ranks: dict[str, list[float]] = {name: [] for name in searchers}
    near_best: dict[str, list[str]] = {name: [] for name in searchers}
    for problem, by in complete.items():
        medians = {name: float(np.median(values)) for name, values in by.items()}
        for name, rank in zip(medians, rankdata(list(medians.values())), strict=True):
            ranks[name].append(float(rank))
        best = min(medians, key=medians.__getitem__)
        for name, values in by.items():
            if name == best or mannwhitneyu(values, by[best]).pvalue > 0.05:
                near_best[name].append(problem)
    return {
        name: {
            "mean_rank": float(np.mean(ranks[name])) if complete else float("nan"),
            "best_or_within_noise": len(near_best[name]),
            "problems": len(complete),
            "near_best_on": near_best[name],
        }
        for name in searchers
    }


def plot(runs: list[dict], out: Path, stem: str = "quality") -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    problems = [p for p in PROBLEMS if any(r["problem"] == p for r in runs)]
    columns = math.ceil(len(problems) / 2)
    fig, axes = plt.subplots(2, columns, figsize=(5 * columns, 8), squeeze=False)
    for ax in axes.flat[len(problems) :]:
        ax.set_visible(False)
    for ax, problem in zip(axes.flat, problems, strict=False):
        for name in CHOICES:
            curves = [r["best"] for r in runs if r["problem"] == problem and r["searcher"] == name]
            if curves:
                ax.plot(np.median(np.array(curves), axis=0), label=name)
        ax.set_yscale("log")
        ax.set_title(problem)
        ax.set_xlabel("evaluations")
    axes.flat[0].set_ylabel("median regret (loss for scikit-learn)")
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    path = out / f"{stem}.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return str(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="*", default=list(PROBLEMS))
    parser.add_argument("--searchers", nargs="*", default=SEARCHERS, choices=CHOICES)
    parser.add_argument("--evals", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument(
        "--slow-seeds", type=int, default=10, help="seeds for Optuna's GPSampler (slow)"
    )
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument(
        "--keep",
        type=Path,
        help="an earlier quality.json whose runs (problem and searcher) not run now are kept",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument(
        "--name", default="quality", help="the JSON and plot's file name, without suffix"
    )
    parser.add_argument(
        "--no-suggest-cost",
        action="store_true",
        help="skip timing one suggestion at 100-1,000 observations (keep --keep's figures)",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    # "auto" picks one searcher per problem and hands it the same generator, so its runs are
    # that searcher's runs; they are rerun only when it picks something not in the run.
    picks = {p: choose(rung.Space(PROBLEMS[p].space), args.evals) for p in args.problems}
    jobs = []
    for problem in args.problems:
        for name in args.searchers:
            if name == "rung-auto" and f"rung-{picks[problem][0]}" in args.searchers:
                continue
            seeds = args.slow_seeds if name == "optuna-gp" else args.seeds
            jobs += [(problem, name, args.evals, seed) for seed in range(seeds)]
    slow = {"optuna-gp": 0, "rung-gp": 1, "rung-auto": 1}
    jobs.sort(key=lambda job: slow.get(job[1], 2))
    started = time.perf_counter()
    runs = run_jobs(one_run, jobs, args.processes, every=50)
    for problem, (pick, _) in picks.items():
        if "rung-auto" in args.searchers and f"rung-{pick}" in args.searchers:
            runs += [
                {**r, "searcher": "rung-auto"}
                for r in list(runs)
                if r["problem"] == problem and r["searcher"] == f"rung-{pick}"
            ]
    earlier_costs: dict = {}
    if args.keep:
        kept = json.loads(args.keep.read_text())
        earlier, earlier_costs = kept["runs"], kept.get("suggest_ms", {})
        ran = {(r["problem"], r["searcher"]) for r in runs}
        runs += [
            r
            for r in earlier
            if r["problem"] in PROBLEMS and (r["problem"], r["searcher"]) not in ran
        ]
    rows = summarize(runs)
    costs = earlier_costs if args.no_suggest_cost else suggest_cost()
    figure = plot(runs, args.out, args.name)
    print_table(rows, costs, picks)
    standing = standings(runs, [n for n in SEARCHERS if any(r["searcher"] == n for r in runs)])
    print_standings(standing)
    summary = {
        "rows": rows,
        "standings": standing,
        "suggest_ms": costs,
        "auto_picks": {p: {"searcher": s, "why": why} for p, (s, why) in picks.items()},
        "evals": args.evals,
        "wall_s": time.perf_counter() - started,
        "plot": figure,
        "runs": runs,
    }
    (args.out / f"{args.name}.json").write_text(json.dumps(summary, indent=1))
    print(f"wrote {args.out / args.name}.json and {figure}")


def print_table(rows: list[dict], costs: dict, picks: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=200)
    names = [n for n in CHOICES if any(r["searcher"] == n for r in rows)]
    table = Table(
        title="median regret (loss on scikit-learn problems) [q25, q75]; s/run (searcher's s)"
    )
    table.add_column("problem")
    for name in names:
        table.add_column(name)
    for problem in PROBLEMS:
        cells = []
        for name in names:
            row = next((r for r in rows if r["problem"] == problem and r["searcher"] == name), None)
            cells.append(
                f"{row['median']:.3g} [{row['q25']:.2g}, {row['q75']:.2g}] "
                f"{row['wall_s']:.1f}s ({row['searcher_s']:.1f}s)"
                if row
                else ""
            )
        if any(cells):
            table.add_row(problem, *cells)
    console.print(table)
    for problem, (pick, why) in picks.items():
        console.print(f"auto on {problem}: {pick} ({why})")
    for name, by_size in costs.items():
        sizes = ", ".join(f"{ms:.2f} ms at {n}" for n, ms in by_size.items())
        console.print(f"suggest time, {name}: {sizes}")


def print_standings(standing: dict[str, dict]) -> None:
    print("\nmean rank over the problems every searcher ran; best or within the noise of the best")
    for name, row in sorted(standing.items(), key=lambda item: item[1]["mean_rank"]):
        print(
            f"{name:<24} {row['mean_rank']:5.2f}   "
            f"{row['best_or_within_noise']:>2} of {row['problems']}"
        )


if __name__ == "__main__":
    main()

"""Several objectives: rung against Optuna on the field's test problems, same evaluations.

ZDT1, ZDT2 and ZDT3 (two objectives), DTLZ2 (three) and Binh and Korn (two, with two
constraints), each with ``--variables`` variables where the problem allows; ``--evaluations``
trials per run and ``--seeds`` seeds per searcher, two runs at a time (one per core). rung
is driven through ``rung.run`` with exactly what a user writes (``searcher="auto"``, and
rung's other searchers by name: ``"random"``, ``"tpe"``, ``"nsga2"``); Optuna through
``create_study(directions=...)`` with ``TPESampler``, ``NSGAIISampler`` and ``GPSampler``
(their defaults, seeded; ``constraints_func`` where the problem has constraints). The
hypervolume of the feasible front after 50, 100 and 200 evaluations is computed by moocore
against one reference point per problem, for every framework alike.
Prints the medians and quartiles and the time per trial, and writes JSON.

    python benchmarks/multiobjective.py                      # 10 seeds, 200 evaluations
    python benchmarks/multiobjective.py --seeds 3 --problems zdt1 dtlz2   # a probe
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import rung  # noqa: E402
from benchmarks.parallel import run_jobs  # noqa: E402

CHECKPOINTS = (50, 100, 200)


@dataclass(frozen=True)
class Problem:
    """A test problem: its variables' bounds, objectives (all minimized), constraints as
    ``value <= 0`` when feasible, and the hypervolume reference."""

    bounds: list[tuple[float, float]]
    objectives: Callable[[np.ndarray], list[float]]
    reference: list[float]
    constraints: Callable[[np.ndarray], list[float]] | None = None


def _g(x: np.ndarray) -> float:
    return 1.0 + 9.0 * float(np.mean(x[1:]))


def zdt(kind: int, n: int) -> Problem:
    def objectives(x: np.ndarray) -> list[float]:
        f1, g = float(x[0]), _g(x)
        ratio = f1 / g
        if kind == 1:
            h = 1 - math.sqrt(ratio)
        elif kind == 2:
            h = 1 - ratio**2
        else:
            h = 1 - math.sqrt(ratio) - ratio * math.sin(10 * math.pi * f1)
        return [f1, g * h]

    return Problem([(0.0, 1.0)] * n, objectives, [1.1, 11.0])


def dtlz2(n: int) -> Problem:
    def objectives(x: np.ndarray) -> list[float]:
        g = float(np.sum((x[2:] - 0.5) ** 2))
        a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
        return [
            (1 + g) * math.cos(a) * math.cos(b),
            (1 + g) * math.cos(a) * math.sin(b),
            (1 + g) * math.sin(a),
        ]

    return Problem([(0.0, 1.0)] * n, objectives, [2.5, 2.5, 2.5])


def binh_korn() -> Problem:
    def objectives(x: np.ndarray) -> list[float]:
        return [4 * x[0] ** 2 + 4 * x[1] ** 2, (x[0] - 5) ** 2 + (x[1] - 5) ** 2]

    def constraints(x: np.ndarray) -> list[float]:
        return [(x[0] - 5) ** 2 + x[1] ** 2 - 25, 7.7 - ((x[0] - 8) ** 2 + (x[1] + 3) ** 2)]

    return Problem([(0.0, 5.0), (0.0, 3.0)], objectives, [140.0, 50.0], constraints)


def problems(n: int) -> dict[str, Problem]:
    return {
        "zdt1": zdt(1, n),
        "zdt2": zdt(2, n),
        "zdt3": zdt(3, n),
        "dtlz2": dtlz2(n),
        "binh_korn": binh_korn(),
    }


def run_rung(problem: Problem, searcher: str, evaluations: int, seed: int) -> list[tuple]:
    """``rung.run`` as a user writes it; each trial's objectives and violation, in order."""
    m = len(problem.reference)
    space = {f"x{i}": rung.uniform(low, high) for i, (low, high) in enumerate(problem.bounds)}

    def train(config: dict) -> dict:
        x = np.array([config[f"x{i}"] for i in range(len(problem.bounds))])
        report = {f"f{j}": v for j, v in enumerate(problem.objectives(x))}
        if problem.constraints is not None:
            report.update({f"c{j}": v for j, v in enumerate(problem.constraints(x))})
        return report

    constraints = None
    if problem.constraints is not None:
        constraints = [f"c{j} <= 0" for j in range(len(problem.constraints(np.zeros(2))))]
    results = rung.run(
        train,
        space,
        metric=[f"f{j}" for j in range(m)],
        mode=["min"] * m,
        constraints=constraints,
        searcher=searcher,
        num_trials=evaluations,
        executor="inline",
        seed=seed,
        verbose=0,
    )
    ordered = sorted(results.trials, key=lambda t: t.trial_id)
    return [
        (
            [t.last_result[f"f{j}"] for j in range(m)],
            t.feasible,
        )
        for t in ordered
    ]


def run_optuna(problem: Problem, sampler_name: str, evaluations: int, seed: int) -> list[tuple]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    m = len(problem.reference)
    constraints_func = None
    if problem.constraints is not None:
        constraints_func = lambda trial: trial.user_attrs["c"]  # noqa: E731
    samplers = {
        "tpe": optuna.samplers.TPESampler,
        "nsga2": optuna.samplers.NSGAIISampler,
        "gp": optuna.samplers.GPSampler,
    }
    sampler = samplers[sampler_name](seed=seed, constraints_func=constraints_func)
    study = optuna.create_study(directions=["minimize"] * m, sampler=sampler)

    def objective(trial: optuna.Trial) -> list[float]:
        x = np.array(
            [trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(problem.bounds)]
        )
        if problem.constraints is not None:
            trial.set_user_attr("c", list(problem.constraints(x)))
        return problem.objectives(x)

    study.optimize(objective, n_trials=evaluations)
    return [
        (
            list(t.values),
            problem.constraints is None or all(c <= 0 for c in t.user_attrs["c"]),
        )
        for t in study.trials
    ]


def hypervolume(trials: list[tuple], reference: list[float]) -> float:
    import moocore

    points = np.array([values for values, feasible in trials if feasible], dtype=float)
    if not len(points):
        return 0.0
    return float(moocore.hypervolume(points, ref=np.array(reference)))


SEARCHERS = {
    "rung auto": lambda p, n, s: run_rung(p, "auto", n, s),
    "rung random": lambda p, n, s: run_rung(p, "random", n, s),
    "rung tpe": lambda p, n, s: run_rung(p, "tpe", n, s),
    "rung nsga2": lambda p, n, s: run_rung(p, "nsga2", n, s),
    "optuna TPESampler": lambda p, n, s: run_optuna(p, "tpe", n, s),
    "optuna NSGAIISampler": lambda p, n, s: run_optuna(p, "nsga2", n, s),
    "optuna GPSampler": lambda p, n, s: run_optuna(p, "gp", n, s),
}


def one_run(job: tuple) -> dict:
    name, searcher, variables, evaluations, seed = job
    problem = problems(variables)[name]
    started = time.perf_counter()
    trials = SEARCHERS[searcher](problem, evaluations, seed)
    seconds = time.perf_counter() - started
    return {
        "problem": name,
        "searcher": searcher,
        "seed": seed,
        "seconds_per_trial": seconds / evaluations,
        "hypervolume": {
            str(k): hypervolume(trials[:k], problem.reference)
            for k in CHECKPOINTS
            if k <= evaluations
        },
    }


def summary(runs: list[dict]) -> dict:
    table: dict = {}
    for run in runs:
        cell = table.setdefault(run["problem"], {}).setdefault(run["searcher"], {"hv": {}, "s": []})
        cell["s"].append(run["seconds_per_trial"])
        for k, v in run["hypervolume"].items():
            cell["hv"].setdefault(k, []).append(v)
    said: dict = {}
    for problem, searchers in table.items():
        for searcher, cell in searchers.items():
            said.setdefault(problem, {})[searcher] = {
                "hypervolume_median_q1_q3": {
                    k: [
                        float(np.median(v)),
                        float(np.quantile(v, 0.25)),
                        float(np.quantile(v, 0.75)),
                    ]
                    for k, v in cell["hv"].items()
                },
                "ms_per_trial_median": 1000 * float(np.median(cell["s"])),
            }
    return said


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--evaluations", type=int, default=200)
    parser.add_argument("--variables", type=int, default=6)
    parser.add_argument("--problems", nargs="+", default=list(problems(6)))
    parser.add_argument("--searchers", nargs="+", default=list(SEARCHERS))
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/multiobjective.json")
    args = parser.parse_args()
    jobs = [
        (p, s, args.variables, args.evaluations, seed)
        for p in args.problems
        for s in args.searchers
        for seed in range(args.seeds)
    ]
    runs = run_jobs(one_run, jobs, args.processes, every=max(1, len(jobs) // 10))
    said = summary(runs)
    last = str(max(k for k in CHECKPOINTS if k <= args.evaluations))
    print(f"\nhypervolume (median [q1, q3]) after 50 / 100 / {last} evaluations; ms per trial")
    for problem in args.problems:
        print(f"\n{problem}")
        for searcher in args.searchers:
            cell = said[problem][searcher]
            hv = cell["hypervolume_median_q1_q3"]
            shown = "  ".join(f"{v[0]:.4g} [{v[1]:.4g}, {v[2]:.4g}]" for v in hv.values())
            print(f"  {searcher:<22} {shown}  {cell['ms_per_trial_median']:.1f} ms")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {"settings": vars(args) | {"out": str(args.out)}, "summary": said, "runs": runs},
            indent=1,
        )
    )
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()

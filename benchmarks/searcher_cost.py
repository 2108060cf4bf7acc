"""What one suggestion costs as observations grow: rung's TPE, BOHB and portfolio (GP and
TPE) at their defaults, against Optuna's TPE, after 1,000 and 10,000 observations.

The observations are random configurations of Hartmann-6 with their losses, told to each
searcher as a finished trial (BOHB also hears them as ASHA would give them: every trial at
budget 1, a third at 3, a ninth at 9); then the median time of ``repeats`` suggestions, in
one process on these cores. Optuna: ``TPESampler(seed=0)`` with the same trials added,
``study.ask`` timed. Prints a table (ms) and writes JSON.

    python benchmarks/searcher_cost.py
    python benchmarks/searcher_cost.py --sizes 1000 --repeats 5   # a probe
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import rung  # noqa: E402
from benchmarks.problems.synthetic import PROBLEMS  # noqa: E402
from rung.objective import Objective  # noqa: E402
from rung.searchers.named import make_searcher  # noqa: E402

SEARCHERS = ("tpe", "bohb", "portfolio")


def observations(n: int) -> tuple[Any, list[dict], list[float]]:
    problem = PROBLEMS["hartmann6"]
    space = rung.Space(problem.space)
    rng = np.random.default_rng(0)
    configs = [space.sample(rng) for _ in range(n)]
    return problem, configs, [problem.loss(c) for c in configs]


def rung_cost(name: str, n: int, repeats: int) -> tuple[float, float]:
    """Milliseconds of one suggestion by rung's ``name`` after ``n`` observations: the
    first (which fits what the searcher caches between suggestions) and the median."""
    problem, configs, losses = observations(n)
    space = rung.Space(problem.space)
    searcher = make_searcher(name).setup(space, Objective("loss"), np.random.default_rng(0))
    for i, (config, loss) in enumerate(zip(configs, losses, strict=True)):
        trial_id = f"{i:06d}"
        searcher.adopt(trial_id, config)
        reached = 9 if i % 9 == 0 else 3 if i % 3 == 0 else 1
        for budget in (1, 3, 9)[: (1, 3, 9).index(reached) + 1]:
            searcher.on_trial_result(trial_id, {"loss": loss, "training_iteration": budget})
        searcher.on_trial_complete(trial_id, {"loss": loss, "training_iteration": reached})
    times = []
    for i in range(repeats):
        began = time.perf_counter()
        searcher.suggest(f"new{i}")
        times.append(time.perf_counter() - began)
        searcher.pending.clear()
    return 1e3 * times[0], 1e3 * statistics.median(times)


def optuna_cost(n: int, repeats: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    problem, configs, losses = observations(n)
    distributions = {k: optuna.distributions.FloatDistribution(0, 1) for k in problem.space}
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    study.add_trials(
        [
            optuna.trial.create_trial(params=c, distributions=distributions, value=v)
            for c, v in zip(configs, losses, strict=True)
        ]
    )
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        study.ask(distributions)
        times.append(time.perf_counter() - began)
    return 1e3 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10_000])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/searcher_cost.json")
    args = parser.parse_args()
    table: dict[str, dict[int, float]] = {}
    for n in args.sizes:
        for name in SEARCHERS:
            first, median = rung_cost(name, n, args.repeats)
            table.setdefault(f"rung {name}", {})[n] = median
            table.setdefault(f"rung {name}, first", {})[n] = first
        table.setdefault("optuna tpe", {})[n] = optuna_cost(n, args.repeats)
    print(f"ms per suggestion after n observations (Hartmann-6; median of {args.repeats},")
    print("and the first, which fits what a searcher caches between suggestions)")
    print(f"{'searcher':<22}" + "".join(f"{n:>12,}" for n in args.sizes))
    for name, row in table.items():
        print(f"{name:<22}" + "".join(f"{row[n]:>12.2f}" for n in args.sizes))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"repeats": args.repeats, "ms": table}, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

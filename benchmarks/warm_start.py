"""Warm start: does a run that imports a related experiment reach a target sooner?

For each synthetic problem of the quality suite, an "old" experiment of 50 trials is run on
the problem shifted by ``--shift`` of each continuous parameter's range (on its own scale),
as a last month's task differs from this month's. Then the problem itself is tuned for
``--trials`` trials, cold and warm-started from the old experiment, exactly as a user
writes it: ``rung.run(f, space, metric="loss", mode="min", searcher="tpe",
num_trials=100, warm_start=old_results)``. The target per problem is what the cold run
reaches in ``--trials // 2`` trials (the median over seeds); reported: the median number of
new trials each needs to reach it (never: more than ``--trials``) and on how many seeds the
warm run got there first. Prints a table and writes JSON.

    python benchmarks/warm_start.py                    # 10 seeds, shift 0.05
    python benchmarks/warm_start.py --seeds 3 --problems branin hartmann6   # a probe
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
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import rung  # noqa: E402
from benchmarks.parallel import run_jobs  # noqa: E402
from benchmarks.problems.synthetic import PROBLEMS  # noqa: E402
from rung.space._domains import Float  # noqa: E402

OLD_TRIALS = 50


def shifted(space: dict[str, Any], loss: Callable, shift: float) -> Callable:
    """``loss`` read at each continuous parameter moved by ``shift`` of its range (on its
    own scale, kept inside the range): the same landscape, its optimum displaced."""

    def moved(config: dict) -> float:
        out = dict(config)
        for name, domain in space.items():
            if isinstance(domain, Float) and domain.step is None:
                low, high = domain.low, domain.high
                if domain.log:
                    low, high, value = math.log(low), math.log(high), math.log(config[name])
                else:
                    value = config[name]
                value = min(max(value + shift * (high - low), low), high)
                out[name] = math.exp(value) if domain.log else value
        return loss(out)

    return moved


def tuned(loss: Callable, space: dict, trials: int, seed: int, warm_start: Any = None) -> list:
    """The losses of a run's own trials, in the order they were created."""

    def train(config: dict) -> dict:
        return {"loss": loss(config)}

    results = rung.run(
        train,
        space,
        metric="loss",
        mode="min",
        searcher="tpe",
        num_trials=trials,
        warm_start=warm_start,
        executor="inline",
        seed=seed,
        verbose=0,
    )
    own = sorted((t for t in results.trials if t.imported_from is None), key=lambda t: t.trial_id)
    return [t.last_result["loss"] for t in own], results


def one_run(job: tuple) -> dict:
    name, seed, trials, shift = job
    problem = PROBLEMS[name]
    _, old = tuned(
        shifted(problem.space, problem.loss, shift), problem.space, OLD_TRIALS, seed + 1000
    )
    cold, _ = tuned(problem.loss, problem.space, trials, seed)
    warm, _ = tuned(problem.loss, problem.space, trials, seed, warm_start=old)
    return {"problem": name, "seed": seed, "cold": cold, "warm": warm}


def first_reaching(losses: list[float], target: float) -> float:
    """How many trials a run took to reach ``target`` (inf: never)."""
    best = np.minimum.accumulate(np.array(losses, dtype=float))
    reached = np.flatnonzero(best <= target)
    return float(reached[0] + 1) if len(reached) else math.inf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="*", default=list(PROBLEMS))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--shift", type=float, default=0.05)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/warm_start.json")
    args = parser.parse_args()
    jobs = [(p, s, args.trials, args.shift) for p in args.problems for s in range(args.seeds)]
    runs = run_jobs(one_run, jobs, args.processes, every=max(1, len(jobs) // 10))
    table = {}
    for name in args.problems:
        mine = [r for r in runs if r["problem"] == name]
        half = args.trials // 2
        target = statistics.median(min(r["cold"][:half]) for r in mine)
        cold = [first_reaching(r["cold"], target) for r in mine]
        warm = [first_reaching(r["warm"], target) for r in mine]
        table[name] = {
            "target": target,
            "cold_trials_median": statistics.median(cold),
            "warm_trials_median": statistics.median(warm),
            "warm_first_seeds": sum(w < c for w, c in zip(warm, cold, strict=True)),
            "cold_first_seeds": sum(c < w for w, c in zip(warm, cold, strict=True)),
            "seeds": len(mine),
        }
    print(
        f"\nnew trials to reach the cold run's median best at {args.trials // 2} trials "
        f"(TPE; warm: from {OLD_TRIALS} trials of the problem shifted by {args.shift}); "
        f"median over {args.seeds} seeds"
    )
    print(f"{'problem':<20} {'cold':>6} {'warm':>6}   warm first / cold first")
    for name, row in table.items():
        print(
            f"{name:<20} {row['cold_trials_median']:>6g} {row['warm_trials_median']:>6g}   "
            f"{row['warm_first_seeds']} / {row['cold_first_seeds']} of {row['seeds']}"
        )
    wins = sum(r["warm_trials_median"] < r["cold_trials_median"] for r in table.values())
    print(f"warm-started ahead at the median on {wins} of {len(table)} problems")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {"settings": vars(args) | {"out": str(args.out)}, "table": table, "runs": runs},
            indent=1,
        )
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

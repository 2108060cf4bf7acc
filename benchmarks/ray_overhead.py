"""rung's Ray executor against Ray Tune on the same local Ray instance, in one sitting.

Three measurements, each also on rung's process executor for reference:

- trivial objective, many trials: trials per second (Ray Tune with ``reuse_actors=True``);
- bookkeeping, after Ray Tune's release test "10,000 one-second trials on 16 CPUs", scaled
  to this machine: N trials of ``--sleep`` seconds, one report each, two at a time; wall
  time against the ideal N * sleep / 2;
- a report round trip inside a trial (median and 99th percentile).

Beside them, bare Ray: two fresh actors and one actor call per trial with nothing recorded,
the floor for any tuner on Ray that spends one call per trial.

    pip install -e '.[bench]'
    python benchmarks/ray_overhead.py --out benchmarks/results/ray_overhead.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import rung

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.overhead import _ray_many_reports, _ray_trivial, many_reports, trivial  # noqa: E402

SLOTS = 2


def sleeps(config):
    time.sleep(config["sleep"])
    return {"loss": config["x"] ** 2}


def _tune_sleeps(config):
    from ray import tune

    time.sleep(config["sleep"])
    tune.report({"loss": config["x"] ** 2})


def run_rung(trainable, trials: int, executor: str, storage: str, **space) -> tuple[float, object]:
    start = time.perf_counter()
    results = rung.run(
        trainable,
        {"x": rung.uniform(-1.0, 1.0), **space},
        metric="loss",
        mode="min",
        num_trials=trials,
        executor=executor,
        max_concurrent=SLOTS,
        storage_path=storage,
        verbose=0,
        seed=0,
    )
    elapsed = time.perf_counter() - start
    assert len(results.trials) == trials
    return elapsed, results


class _Sleeper:
    def call(self, seconds: float) -> float:
        time.sleep(seconds)
        return seconds


def run_bare_ray(calls: int, sleep: float) -> float:
    """The floor for any tuner on Ray that spends one actor call per trial: two fresh
    actors, ``calls`` calls that sleep, a ``ray.wait`` loop, nothing recorded."""
    import ray

    start = time.perf_counter()
    actor_class = ray.remote(_Sleeper).options(num_cpus=1)
    actors = [actor_class.remote() for _ in range(SLOTS)]
    pending = {actor.call.remote(sleep): actor for actor in actors}
    sent = len(pending)
    while pending:
        (done,), _ = ray.wait(list(pending), num_returns=1)
        actor = pending.pop(done)
        ray.get(done)
        if sent < calls:
            pending[actor.call.remote(sleep)] = actor
            sent += 1
    elapsed = time.perf_counter() - start
    for actor in actors:
        ray.kill(actor)
    return elapsed


def run_tune(trainable, trials: int, storage: str, **space) -> tuple[float, object]:
    from ray import tune

    tuner = tune.Tuner(
        trainable,
        param_space={"x": tune.uniform(-1.0, 1.0), **space},
        tune_config=tune.TuneConfig(
            num_samples=trials,
            metric="loss",
            mode="min",
            reuse_actors=True,
            max_concurrent_trials=SLOTS,
        ),
        run_config=tune.RunConfig(storage_path=storage, verbose=0),
    )
    start = time.perf_counter()
    grid = tuner.fit()
    elapsed = time.perf_counter() - start
    assert len(grid) == trials
    return elapsed, grid


def rate(trials: int, seconds: float) -> dict:
    return {"trials": trials, "seconds": seconds, "trials_per_s": trials / seconds}


def round_trips(samples: list[float]) -> dict:
    values = np.asarray(samples) * 1e3
    return {
        "reports": len(values),
        "median_ms": float(np.median(values)),
        "p99_ms": float(np.percentile(values, 99)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2000, help="trivial-objective trials")
    parser.add_argument("--sleep-trials", type=int, default=1000)
    parser.add_argument("--sleep", type=float, default=0.1)
    parser.add_argument("--report-trials", type=int, default=10)
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/ray_overhead.json"))
    args = parser.parse_args()

    import ray

    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    ray.init(
        address="local",
        num_cpus=SLOTS,
        include_dashboard=False,
        log_to_driver=False,
        logging_level="ERROR",
    )
    figures: dict = {"trivial": {}, "bookkeeping": {}, "report": {}}
    with tempfile.TemporaryDirectory(dir=os.getcwd()) as storage:
        for executor in ("ray", "process"):  # warm-up: imports, worker start-up
            run_rung(trivial, 20, executor, storage)
        run_tune(_ray_trivial, 20, storage)
        run_bare_ray(20, 0.0)

        for executor in ("ray", "process"):
            seconds, _ = run_rung(trivial, args.trials, executor, storage)
            figures["trivial"][f"rung_{executor}"] = rate(args.trials, seconds)
        seconds, _ = run_tune(_ray_trivial, args.trials, storage)
        figures["trivial"]["ray_tune_reuse"] = rate(args.trials, seconds)
        figures["trivial"]["bare_ray_calls"] = rate(args.trials, run_bare_ray(args.trials, 0.0))

        ideal = args.sleep_trials * args.sleep / SLOTS
        for executor in ("ray", "process"):
            seconds, _ = run_rung(sleeps, args.sleep_trials, executor, storage, sleep=args.sleep)
            figures["bookkeeping"][f"rung_{executor}"] = {"seconds": seconds, "ideal": ideal}
        seconds, _ = run_tune(_tune_sleeps, args.sleep_trials, storage, sleep=args.sleep)
        figures["bookkeeping"]["ray_tune_reuse"] = {"seconds": seconds, "ideal": ideal}
        seconds = run_bare_ray(args.sleep_trials, args.sleep)
        figures["bookkeeping"]["bare_ray_calls"] = {"seconds": seconds, "ideal": ideal}

        for executor in ("ray", "process"):
            _, results = run_rung(
                many_reports, args.report_trials, executor, storage, n=args.reports
            )
            frame = results.results_dataframe()
            samples = list(frame[frame["i"] > 0]["previous_report_s"])
            figures["report"][f"rung_{executor}"] = round_trips(samples)
        _, grid = run_tune(_ray_many_reports, args.report_trials, storage, n=args.reports)
        samples = [
            value
            for result in grid
            for value in result.metrics_dataframe.query("i > 0")["previous_report_s"]
        ]
        figures["report"]["ray_tune_reuse"] = round_trips(samples)
    ray.shutdown()
    print_tables(figures)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "ray": ray.__version__}
    args.out.write_text(json.dumps({"machine": machine, "figures": figures}, indent=2))
    print(f"wrote {args.out}")


def print_tables(figures: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=120)
    trivial_rows = figures["trivial"]
    tune_rate = trivial_rows["ray_tune_reuse"]["trials_per_s"]
    table = Table(title="trivial objective, two trials at a time on one local Ray")
    for column in ("run", "trials", "seconds", "trials/s", "vs Ray Tune"):
        table.add_column(column)
    for name, row in trivial_rows.items():
        table.add_row(
            name,
            str(row["trials"]),
            f"{row['seconds']:.1f}",
            f"{row['trials_per_s']:,.0f}",
            f"{row['trials_per_s'] / tune_rate:.1f}x",
        )
    console.print(table)
    table = Table(title="bookkeeping: short trials, one report each, two at a time")
    for column in ("run", "seconds", "ideal", "over ideal"):
        table.add_column(column)
    for name, row in figures["bookkeeping"].items():
        over = row["seconds"] / row["ideal"] - 1
        table.add_row(name, f"{row['seconds']:.1f}", f"{row['ideal']:.1f}", f"{over:+.1%}")
    console.print(table)
    table = Table(title="report round trip inside a trial")
    for column in ("run", "reports", "median ms", "p99 ms"):
        table.add_column(column)
    for name, row in figures["report"].items():
        table.add_row(name, str(row["reports"]), f"{row['median_ms']:.3f}", f"{row['p99_ms']:.3f}")
    console.print(table)


if __name__ == "__main__":
    main()

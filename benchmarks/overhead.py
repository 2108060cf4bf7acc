"""How much a trial costs the framework itself: a trivial objective, many trials.

Runs, in one process and one sitting so the figures compare: rung's inline and process
executors, Optuna in memory (RandomSampler) and Ray Tune with and without actor reuse when
they are installed (``pip install -e '.[bench]'``). Also times one ``report`` round trip
inside a trial. Prints a table and writes JSON.

    python benchmarks/overhead.py --trials 2000 --out benchmarks/results/overhead.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import rung

SPACE = {"x": rung.uniform(-1.0, 1.0)}


def trivial(config):
    return {"loss": config["x"] ** 2}


def many_reports(config):
    """Reports ``n`` times, each report carrying how long the previous one took."""
    previous = 0.0
    for i in range(config["n"]):
        start = time.perf_counter()
        rung.report(loss=config["x"], previous_report_s=previous, i=i)
        previous = time.perf_counter() - start


def time_rung(
    executor: str, trials: int, workers: int, storage: str | None, files: bool = True
) -> dict:
    """Trials per second; ``storage`` None keeps the event log in memory, a folder puts it
    (and the per-trial result files) on disk."""
    start = time.perf_counter()
    results = rung.run(
        trivial,
        SPACE,
        metric="loss",
        mode="min",
        num_trials=trials,
        executor=executor,
        max_concurrent=workers,
        verbose=0,
        storage_path=storage,
        seed=0,
        result_files=files,
    )
    elapsed = time.perf_counter() - start
    assert len(results.trials) == trials
    return {"trials": trials, "seconds": elapsed, "trials_per_s": trials / elapsed}


def rung_report_round_trip(trials: int, reports: int, storage: str) -> dict:
    space = {"x": rung.uniform(-1.0, 1.0), "n": reports}
    results = rung.run(
        many_reports,
        space,
        metric="loss",
        mode="min",
        num_trials=trials,
        executor="process",
        max_concurrent=2,
        verbose=0,
        storage_path=storage,
        seed=0,
    )
    frame = results.results_dataframe()
    samples = frame[frame["i"] > 0]["previous_report_s"]
    return {"reports": len(samples), "median_ms": 1e3 * float(samples.median())}


def time_optuna(trials: int, storage: str | None = None) -> dict | None:
    try:
        import optuna
    except ImportError:
        return None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        sampler=optuna.samplers.RandomSampler(seed=0),
        storage=f"sqlite:///{storage}/optuna.db" if storage else None,
    )
    start = time.perf_counter()
    study.optimize(lambda trial: trial.suggest_float("x", -1.0, 1.0) ** 2, n_trials=trials)
    elapsed = time.perf_counter() - start
    return {"trials": trials, "seconds": elapsed, "trials_per_s": trials / elapsed}


def _ray_trivial(config):
    from ray import tune

    tune.report({"loss": config["x"] ** 2})


def _ray_many_reports(config):
    from ray import tune

    previous = 0.0
    for i in range(config["n"]):
        start = time.perf_counter()
        tune.report({"loss": config["x"], "previous_report_s": previous, "i": i})
        previous = time.perf_counter() - start


def time_ray(trials: int, reuse: bool, storage: str, trainable=_ray_trivial, extra=None):
    from ray import tune

    space = {"x": tune.uniform(-1.0, 1.0), **(extra or {})}
    tuner = tune.Tuner(
        trainable,
        param_space=space,
        tune_config=tune.TuneConfig(
            num_samples=trials,
            metric="loss",
            mode="min",
            reuse_actors=reuse,
            max_concurrent_trials=2,
        ),
        run_config=tune.RunConfig(storage_path=storage, verbose=0),
    )
    start = time.perf_counter()
    grid = tuner.fit()
    elapsed = time.perf_counter() - start
    return grid, {"trials": trials, "seconds": elapsed, "trials_per_s": trials / elapsed}


def ray_figures(trials: int, trials_without_reuse: int, reports: int, storage: str) -> dict:
    try:
        import ray
    except ImportError:
        return {}
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        logging_level="ERROR",
    )
    try:
        _, with_reuse = time_ray(trials, True, storage)
        _, without = time_ray(trials_without_reuse, False, storage)
        grid, _ = time_ray(10, True, storage, _ray_many_reports, {"n": reports})
        samples = [
            v
            for result in grid
            for v in result.metrics_dataframe.query("i > 0")["previous_report_s"]
        ]
        round_trip = {"reports": len(samples), "median_ms": 1e3 * statistics.median(samples)}
    finally:
        ray.shutdown()
    return {"ray_reuse": with_reuse, "ray_no_reuse": without, "ray_report": round_trip}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--ray-trials", type=int, default=300)
    parser.add_argument("--ray-trials-without-reuse", type=int, default=20)
    parser.add_argument("--reports", type=int, default=100, help="reports per trial, round trip")
    parser.add_argument("--report-trials", type=int, default=50)
    parser.add_argument("--optuna-sqlite-trials", type=int, default=300)
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/overhead.json"))
    args = parser.parse_args()

    figures: dict = {}
    # Experiment folders go where users keep them, under the working directory (on this
    # machine /tmp is several times slower at creating files).
    with tempfile.TemporaryDirectory(dir=os.getcwd()) as storage:
        # Warm up first (imports, caches), so that no row pays for them.
        time_rung("inline", 100, 1, None)
        time_optuna(100)
        figures["rung_inline"] = time_rung("inline", args.trials, 1, None)
        figures["rung_process"] = time_rung("process", args.trials, 2, None)
        figures["rung_inline_sqlite"] = time_rung("inline", args.trials, 1, storage, False)
        figures["rung_process_sqlite"] = time_rung("process", args.trials, 2, storage, False)
        figures["rung_inline_sqlite_files"] = time_rung("inline", args.trials, 1, storage)
        figures["rung_process_sqlite_files"] = time_rung("process", args.trials, 2, storage)
        figures["rung_report"] = rung_report_round_trip(args.report_trials, args.reports, None)
        figures["optuna_memory"] = time_optuna(args.trials)
        figures["optuna_sqlite"] = time_optuna(args.optuna_sqlite_trials, storage)
        if not args.no_ray:
            figures.update(
                ray_figures(args.ray_trials, args.ray_trials_without_reuse, args.reports, storage)
            )
    figures = {k: v for k, v in figures.items() if v}
    print_table(figures)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    machine = {"python": platform.python_version(), "cpus": os.cpu_count()}
    args.out.write_text(json.dumps({"machine": machine, "figures": figures}, indent=2))
    print(f"wrote {args.out}")


def print_table(figures: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="framework overhead: trivial objective")
    columns = ("run", "trials", "seconds", "trials/s", "vs Optuna", "vs Optuna SQLite",
               "vs Ray (reuse)")  # fmt: skip
    for column in columns:
        table.add_column(column)
    optuna = (figures.get("optuna_memory") or {}).get("trials_per_s")
    optuna_sqlite = (figures.get("optuna_sqlite") or {}).get("trials_per_s")
    ray = (figures.get("ray_reuse") or {}).get("trials_per_s")
    for name, row in figures.items():
        if "trials_per_s" not in row:
            continue
        rate = row["trials_per_s"]
        table.add_row(
            name,
            str(row["trials"]),
            f"{row['seconds']:.2f}",
            f"{rate:,.0f}",
            f"{rate / optuna:.2f}x" if optuna else "-",
            f"{rate / optuna_sqlite:.0f}x" if optuna_sqlite else "-",
            f"{rate / ray:.1f}x" if ray else "-",
        )
    console = Console(width=140)
    console.print(table)
    for name in ("rung_report", "ray_report"):
        if name in figures:
            row = figures[name]
            console.print(
                f"{name}: median report round trip {row['median_ms']:.3f} ms "
                f"over {row['reports']} reports"
            )


if __name__ == "__main__":
    main()

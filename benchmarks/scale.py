"""How far one driver goes: a cluster's worth of virtual workers on the simulated executor.

10,000 virtual workers run ASHA (``max_t=27``, grace period 1, reduction factor 3) with
random search and with BOHB until 1,000,000 results are in, with the SQLite log and result
files at their defaults (``storage_path`` given), as a user writes it:

    rung.run(step, space, metric="loss", mode="min", scheduler={"name": "asha", ...},
             searcher=..., executor=SimulatedExecutor(10_000), storage_path=..., ...)

Each run is its own process, so its peak RSS is its own. Prints, per run: trials and
results, wall seconds, results (decisions) per second, the driver's peak RSS and what it
held at 1/4, 1/2, 3/4 and all of the results (does it grow with every result?), the log's
size, records and commits per second, what the experiment leaves on disk, then
``rung.load`` and ``rung status`` on the finished experiment. Writes JSON.

    python benchmarks/scale.py
    python benchmarks/scale.py --results 100000 --workers 1000   # a probe
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MAX_T = 27
_steps = [0]  # steps taken so far in this process: the experiment stops at a count


def step(config: dict, iteration: int) -> tuple[dict, float] | None:
    """One simulated epoch: a learning curve whose floor depends on the config; each result
    carries how many steps the experiment has taken, which ``stop`` ends it at."""
    if iteration > MAX_T:
        return None
    _steps[0] += 1
    floor = (config["x"] - 0.3) ** 2 + (config["y"] - 0.6) ** 2 + 0.1 * (config["c"] == "b")
    loss = floor + 1.0 / iteration + 0.01 * abs(config["lr"] - 0.01)
    return {"loss": loss, "steps_taken": _steps[0]}, 1.0 + config["x"]


def rss_mib() -> float:
    """This process's resident memory now."""
    with open("/proc/self/statm") as file:
        return int(file.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_one(searcher: str, results: int, workers: int, folder: str, queue: Any) -> None:
    """One experiment, in a process of its own; puts its figures on ``queue``."""
    import rung
    from rung.callbacks.base import Callback
    from rung.executors import SimulatedExecutor
    from rung.store.sqlite import SQLiteStore

    commits = [0]
    flush = SQLiteStore.flush

    def counted(self: SQLiteStore, force: bool = False) -> bool:
        waiting = bool(self._pending)
        done = flush(self, force)
        commits[0] += waiting and done
        return done

    SQLiteStore.flush = counted  # type: ignore[method-assign]
    marks = [results * k // 4 for k in (1, 2, 3)]
    held: list[float] = []

    class Memory(Callback):
        """The driver's resident memory as the results come in."""

        seen = 0

        def on_trial_result(self, trial: Any, result: dict) -> None:
            self.seen += 1
            if marks and self.seen >= marks[0]:
                marks.pop(0)
                held.append(rss_mib())

    space = {
        "x": rung.uniform(0, 1),
        "y": rung.uniform(0, 1),
        "lr": rung.loguniform(1e-4, 1),
        "c": rung.choice(["a", "b", "c"]),
    }
    started = time.perf_counter()
    outcome = rung.run(
        step,
        space,
        metric="loss",
        mode="min",
        scheduler={"name": "asha", "max_t": MAX_T, "grace_period": 1, "reduction_factor": 3},
        searcher=searcher,
        executor=SimulatedExecutor(workers),
        stop={"steps_taken": results},
        storage_path=folder,
        name="scale",
        seed=0,
        verbose=0,
        callbacks=[Memory()],
    )
    wall = time.perf_counter() - started
    held.append(rss_mib())
    reported = sum(len(trial.results) for trial in outcome.trials)
    queue.put(
        {
            "trials": len(outcome.trials),
            "results": reported,
            "wall_s": wall,
            "results_per_s": reported / wall,
            "commits": commits[0],
            "commits_per_s": commits[0] / wall,
            "rss_mib_at_quarters": held,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )


def on_disk(folder: Path) -> dict:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return {
        "files": len(files),
        "mib": sum(p.stat().st_size for p in files) / 2**20,
        "log_mib": (folder / "experiment.db").stat().st_size / 2**20,
    }


def reading(folder: Path) -> dict:
    """``rung.load`` in a fresh interpreter (import included, as a user pays it) and ``rung
    status``, each the best of three."""
    load = [sys.executable, "-c", f"import rung; rung.load({str(folder)!r})"]
    status = [sys.executable, "-m", "rung.cli", "status", str(folder)]
    times = {}
    for label, command in (("load_s", load), ("status_s", status)):
        best = float("inf")
        for _ in range(3):
            began = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            best = min(best, time.perf_counter() - began)
        times[label] = best
    records = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys; print(sqlite3.connect(sys.argv[1])"
            ".execute('SELECT count(*) FROM events').fetchone()[0])",
            str(folder / "experiment.db"),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    times["records"] = int(records.stdout)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=10_000)
    parser.add_argument("--searchers", nargs="*", default=["random", "bohb"])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/scale.json")
    args = parser.parse_args()
    rows = []
    context = multiprocessing.get_context("spawn")
    for searcher in args.searchers:
        with tempfile.TemporaryDirectory() as storage:
            queue = context.Queue()
            process = context.Process(
                target=run_one, args=(searcher, args.results, args.workers, storage, queue)
            )
            process.start()
            figures = queue.get()
            process.join()
            folder = Path(storage) / "scale"
            row = {"searcher": searcher, **figures, **on_disk(folder), **reading(folder)}
            row["log_records_per_s"] = row["records"] / row["wall_s"]
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(
        f"\n{args.workers:,} virtual workers, ASHA (max_t={MAX_T}), "
        f"{args.results:,} results, SQLite log and result files on"
    )
    header = (
        f"{'searcher':<8} {'trials':>8} {'results/s':>10} {'peak MiB':>9} {'MiB at 1/4..end':>24} "
        f"{'log MiB':>8} {'commits/s':>9} {'files':>6} {'load s':>7} {'status s':>8}"
    )
    print(header)
    for row in rows:
        quarters = "/".join(f"{m:.0f}" for m in row["rss_mib_at_quarters"])
        print(
            f"{row['searcher']:<8} {row['trials']:>8,} {row['results_per_s']:>10,.0f} "
            f"{row['peak_rss_mib']:>9.0f} {quarters:>24} {row['log_mib']:>8.0f} "
            f"{row['commits_per_s']:>9.1f} {row['files']:>6} {row['load_s']:>7.2f} "
            f"{row['status_s']:>8.2f}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"workers": args.workers, "runs": rows}, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

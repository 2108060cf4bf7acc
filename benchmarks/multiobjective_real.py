"""Several objectives on a real model: validation accuracy against parameter count.

The comparison examples' MLP on MNIST-1D (examples/comparisons/mnist1d_task.py: 27 epochs of
SGD), tuned for accuracy (max) and its parameter count (min), for the same wall time, two
trials at a time on this machine's cores:

- rung under multi-objective ASHA (``scheduler={"name": "asha"}``) with random search
  (Schmucker et al.'s pairing, and what ``searcher="auto"`` picks there) and with TPE;
- rung with every trial trained to the end (``searcher="auto"``, no scheduler);
- Optuna's multi-objective TPE (``create_study(directions=["maximize", "minimize"])``),
  which trains every trial to the end: Optuna's pruners serve one objective only.

Every epoch is appended (time, accuracy, parameters, trial) to one log per run by the
trainable itself, so each framework is measured the same way: at the budget, each trial's
latest report, the front of those, and its hypervolume against (accuracy 0, 10^6
parameters) on (accuracy, log10 parameters). Prints medians and quartiles over seeds and
writes JSON.

    python benchmarks/multiobjective_real.py --budget 60 --seeds 3
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TASK_DIR = ROOT / "examples" / "comparisons"
sys.path.insert(0, str(TASK_DIR))
sys.path.insert(0, str(ROOT))

import mnist1d_task  # noqa: E402

import rung  # noqa: E402
from benchmarks.real_model import optuna_config  # noqa: E402

SLOTS = 2
# Hypervolume reference on (accuracy, log10 parameters): no accuracy, a million parameters
# (the largest MLP of the space has 814,090).
REFERENCE = (0.0, 6.0)
STRATEGIES: dict[str, dict[str, Any]] = {
    # searcher="auto" under ASHA with several objectives is random search: the same runs.
    "rung random + MO-ASHA": {"searcher": "random", "scheduler": {"name": "asha"}},
    "rung tpe + MO-ASHA": {"searcher": "tpe", "scheduler": {"name": "asha"}},
    "rung auto, to the end": {"searcher": "auto", "scheduler": None},
}


def parameters(config: dict) -> int:
    """Weights and biases of the MLP ``config`` builds (40 inputs, 10 classes)."""
    count, width = 0, 40
    for _ in range(config["depth"]):
        count += width * config["width"] + config["width"]
        width = config["width"]
    return count + width * 10 + 10


def logged(log: Path, report: Callable[[int, float, int], bool]) -> Callable[[dict], None]:
    """A trainable that trains the MLP, appends ``time accuracy parameters trial`` per epoch
    to ``log`` and hands each epoch to ``report``, which returns False to stop."""

    def train(config: dict) -> None:
        trial, size = uuid.uuid4().hex, parameters(config)
        with open(log, "a", buffering=1) as out:
            for epoch, val_acc, _state in mnist1d_task.epochs(config):
                out.write(f"{time.time():.4f} {val_acc:.6f} {size} {trial}\n")
                if not report(epoch, val_acc, size):
                    return

    return train


def run_rung(name: str, budget: float, seed: int, log: Path, storage: str) -> None:
    def report(epoch: int, val_acc: float, size: int) -> bool:
        rung.report(epoch=epoch, val_acc=val_acc, parameters=size)
        return True

    strategy = STRATEGIES[name]
    scheduler = strategy["scheduler"]
    if scheduler is not None:
        scheduler = {**scheduler, "max_t": mnist1d_task.EPOCHS}
    rung.run(
        logged(log, report),
        mnist1d_task.SPACE,
        metric=["val_acc", "parameters"],
        mode=["max", "min"],
        searcher=strategy["searcher"],
        scheduler=scheduler,
        max_concurrent=SLOTS,
        time_budget_s=budget,
        seed=seed,
        storage_path=storage,
        verbose=0,
    )


def run_optuna(budget: float, seed: int, log: Path) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial: optuna.Trial) -> tuple[float, int]:
        config = optuna_config(trial)
        last = [0.0]

        def report(epoch: int, val_acc: float, size: int) -> bool:
            last[0] = val_acc
            return True

        logged(log, report)(config)
        return last[0], parameters(config)

    study = optuna.create_study(
        directions=["maximize", "minimize"], sampler=optuna.samplers.TPESampler(seed=seed)
    )
    study.optimize(objective, timeout=budget, n_jobs=SLOTS)


def measure(log: Path, start: float, budget: float) -> dict:
    """From a run's log cut at the budget: each trial's latest report, their front's
    hypervolume, the front's size and the epochs trained."""
    import moocore

    latest: dict[str, tuple[float, float]] = {}
    epochs = 0
    lines = log.read_text().split("\n") if log.exists() else []
    for line in lines:
        if not line:
            continue
        stamp, value, size, trial = line.split()
        if float(stamp) - start > budget:
            continue
        epochs += 1
        latest[trial] = (-float(value), math.log10(float(size)))
    points = np.array(list(latest.values())) if latest else np.empty((0, 2))
    reference = np.array([-REFERENCE[0], REFERENCE[1]])
    inside = points[(points < reference).all(axis=1)] if len(points) else points
    volume = float(moocore.hypervolume(inside, ref=reference)) if len(inside) else 0.0
    front = int(moocore.is_nondominated(points).sum()) if len(points) else 0
    return {"hypervolume": volume, "front": front, "trials": len(latest), "epochs": epochs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=60, help="wall seconds per run")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rung", nargs="*", default=list(STRATEGIES), choices=STRATEGIES)
    parser.add_argument("--peers", nargs="*", default=["optuna"], choices=["optuna"])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks/results/multiobjective_real.json"
    )
    args = parser.parse_args()

    mnist1d_task.data()  # generated once, before any clock starts
    entries = list(args.rung) + ["optuna TPE, to the end" for _ in args.peers]
    runs = []
    with tempfile.TemporaryDirectory() as scratch:
        for seed in range(args.seeds):
            for entry in entries:
                log = Path(scratch) / f"{uuid.uuid4().hex}.log"
                start = time.time()
                if entry.startswith("rung"):
                    run_rung(entry, args.budget, seed, log, tempfile.mkdtemp(dir=scratch))
                else:
                    run_optuna(args.budget, seed, log)
                run = {"framework": entry, "seed": seed, "wall_s": time.time() - start}
                run.update(measure(log, start, args.budget))
                print(run, flush=True)
                runs.append(run)
    summary = {}
    for entry in entries:
        chosen = [r for r in runs if r["framework"] == entry]
        volumes = [r["hypervolume"] for r in chosen]
        summary[entry] = {
            "hypervolume_median_q1_q3": [
                statistics.median(volumes),
                float(np.quantile(volumes, 0.25)),
                float(np.quantile(volumes, 0.75)),
            ],
            "trials_median": statistics.median(r["trials"] for r in chosen),
            "epochs_median": statistics.median(r["epochs"] for r in chosen),
            "front_median": statistics.median(r["front"] for r in chosen),
        }
    print(f"\n{args.budget:g} s per run, {SLOTS} trials at a time, {args.seeds} seeds; medians")
    print(f"{'':<26} {'hypervolume [q1, q3]':>26} {'trials':>7} {'epochs':>7} {'front':>6}")
    for entry, row in summary.items():
        median, q1, q3 = row["hypervolume_median_q1_q3"]
        print(
            f"{entry:<26} {median:>10.4f} [{q1:.4f}, {q3:.4f}] {row['trials_median']:>7} "
            f"{row['epochs_median']:>7} {row['front_median']:>6}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"budget_s": args.budget, "summary": summary, "runs": runs}, indent=1)
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

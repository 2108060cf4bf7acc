"""What the comparison examples share: running one strategy on the MNIST-1D task with a wall
budget (or a number of trials of a given length), a table of the results, and where the
outputs go."""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from mnist1d_task import EPOCHS, SPACE, train

import rung

HERE = Path(__file__).resolve().parent
# Trials each run keeps going at once (its outputs say so).
TRIALS_AT_A_TIME = 2


def arguments(description: str, budget_s: float, seeds: int | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--budget-s", type=float, default=budget_s, help="wall time per run")
    parser.add_argument("--trials", type=int, help="trials per run (default: as many as fit)")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help="epochs per trial")
    if seeds is not None:
        parser.add_argument("--seeds", type=int, default=seeds, help="seeds per re-run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=HERE / "output", help="table and plot")
    parser.add_argument("--storage-path", type=Path, default=Path("rung_results/comparisons"))
    return parser.parse_args()


def run_strategy(
    name: str, args: argparse.Namespace, space: Mapping[str, Any] = SPACE, **settings: Any
) -> rung.Results:
    """One strategy, ``TRIALS_AT_A_TIME`` trials at a time, for ``args.budget_s`` seconds
    or ``args.trials`` trials of ``args.epochs`` epochs, whichever ends first (a run of the
    same name from before is replaced)."""
    settings.setdefault("time_budget_s", args.budget_s)
    if args.trials is not None:
        settings.setdefault("num_trials", args.trials)
    if args.epochs != EPOCHS:
        space = {**space, "epochs": args.epochs}
    folder = name.replace(" ", "_").replace("/", "_").replace("+", "and")
    shutil.rmtree(args.storage_path / folder, ignore_errors=True)
    return rung.run(
        train,
        space,
        metric="val_acc",
        mode="max",
        max_concurrent=TRIALS_AT_A_TIME,
        storage_path=args.storage_path,
        name=folder,
        seed=args.seed,
        verbose=0,
        **settings,
    )


def budget(args: argparse.Namespace, per: str) -> str:
    """The budget each run had, as the outputs state it."""
    limit = f"budget {args.budget_s:g} s per {per}"
    if args.trials is not None:
        limit += f" or {args.trials} trials, whichever ended first"
    if args.epochs != EPOCHS:
        limit += f", {args.epochs} epochs per trial"
    return limit + f", {TRIALS_AT_A_TIME} trials at a time"


def table(runs: Mapping[str, rung.Results], top_k: int = 6) -> str:
    """A row per strategy: trials, epochs trained, best accuracy, mean of the top k (a
    trial's value is its last report's, as ``Results.best_trial`` ranks)."""
    lines = [
        f"{'strategy':<32} {'trials':>6} {'epochs':>7} {'wall s':>7} {'best val_acc':>12} "
        f"{f'top-{top_k} mean':>11}"
    ]
    for name, results in runs.items():
        bests = sorted(
            (v for t in results.trials if (v := t.value(results.objective)) is not None),
            reverse=True,
        )
        epochs = sum(len(t.results) for t in results.trials)
        top = float(np.mean(bests[:top_k])) if bests else float("nan")
        best = bests[0] if bests else float("nan")
        wall = max((r["experiment_time_s"] for t in results.trials for r in t.results), default=0)
        lines.append(
            f"{name:<32} {len(results.trials):>6} {epochs:>7} {wall:>7.1f} {best:>12.4f} "
            f"{top:>11.4f}"
        )
    return "\n".join(lines)


def save(args: argparse.Namespace, stem: str, text: str, figure: Any) -> None:
    """Write ``<stem>.txt`` and ``<stem>.png`` in ``args.out`` and print the table."""
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{stem}.txt").write_text(text + "\n")
    figure.savefig(args.out / f"{stem}.png", dpi=110)
    print(text)
    print(f"wrote {args.out / stem}.txt and .png")

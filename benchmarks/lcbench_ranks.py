"""How well early epochs rank LCBench configurations: why early stopping helps on some tasks
and not on others.

For random configurations of each task: the Spearman correlation of the accuracy at epochs 2
and 6 (ASHA's first rungs with eta = 3) with the best accuracy over all 52 epochs, and the
share of the best 1% of configurations that sit in the top third at those epochs (those that
a first rung keeps). And what the first epochs cost: the share of a full trial's seconds
spent by epoch 2, and how many configurations ASHA can screen in the time of one full trial
if each rung keeps exactly a third (rungs at 2, 6 and 18 epochs): a rough ceiling on how
much sooner than random search it can find a configuration as good. Prints a table and writes
JSON.

    python benchmarks/lcbench_ranks.py --tasks 7593 167168 189873
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import rung  # noqa: E402
from benchmarks.problems.lcbench import DEFAULT_PATH, EPOCHS, TASKS, LCBench  # noqa: E402

ASHA_RUNGS = (2, 6, 18, EPOCHS)
RUNGS = ASHA_RUNGS[:2]


def task_ranks(task: str, data: Path, samples: int, seed: int) -> dict:
    """The rank statistics of one task over ``samples`` random configurations."""
    from scipy.stats import spearmanr

    problem = LCBench(task, data)
    space = rung.Space(problem.space)
    rng = np.random.default_rng(seed)
    full = [problem.curve(space.sample(rng), EPOCHS) for _ in range(samples)]
    curves = np.array([curve.accuracy for curve in full])
    elapsed = np.mean([np.cumsum(curve.seconds) for curve in full], axis=0)
    best = curves.max(axis=1)
    top = best >= np.quantile(best, 0.99)
    row = {"task": task}
    for epoch in RUNGS:
        early = curves[:, epoch - 1]
        row[f"spearman_{epoch}"] = float(spearmanr(early, best)[0])
        row[f"top_kept_{epoch}"] = float(np.mean(early[top] >= np.quantile(early, 2 / 3)))
    ends = elapsed[[epoch - 1 for epoch in ASHA_RUNGS]]
    segments = np.diff(ends, prepend=0.0)
    kept = (1 / 3) ** np.arange(len(ASHA_RUNGS))
    row["time_share_2"] = float(ends[0] / ends[-1])
    row["screened_per_trial"] = float(ends[-1] / (segments @ kept))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--tasks", nargs="*", default=TASKS)
    parser.add_argument("--samples", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()

    rows = [task_ranks(task, args.data, args.samples, args.seed) for task in args.tasks]
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"early ranks on LCBench ({args.samples} random configurations)")
    table.add_column("task")
    for epoch in RUNGS:
        table.add_column(f"Spearman, epoch {epoch} vs best")
        table.add_column(f"best 1% in top third at epoch {epoch}")
    table.add_column("time share by epoch 2")
    table.add_column("configurations ASHA screens per full trial")
    for row in rows:
        cells = []
        for epoch in RUNGS:
            cells += [f"{row[f'spearman_{epoch}']:.2f}", f"{row[f'top_kept_{epoch}']:.0%}"]
        cells += [f"{row['time_share_2']:.1%}", f"{row['screened_per_trial']:.1f}"]
        table.add_row(row["task"], *cells)
    Console(width=140).print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "lcbench_ranks.json"
    path.write_text(json.dumps({"samples": args.samples, "rows": rows}, indent=1))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

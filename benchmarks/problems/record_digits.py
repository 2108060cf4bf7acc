"""Record real learning curves of the digits MLP (examples/digits_mlp.py) into a table.

Each row is one random configuration of the demo's space trained for ``--epochs`` epochs
with rung's process executor; per epoch it keeps the validation accuracy and loss and the
seconds the epoch took. The table (``digits_curves.npz``, a few hundred KB) is what
``DigitsTable`` replays on the simulated executor.

    python benchmarks/problems/record_digits.py --trials 200 --epochs 30
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
TABLE = Path(__file__).with_name("digits_curves.npz")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=TABLE)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "examples"))
    import digits_mlp

    import rung

    space = {**digits_mlp.SPACE, "epochs": args.epochs}
    with tempfile.TemporaryDirectory() as storage:
        results = rung.run(
            digits_mlp.train_digits,
            space,
            metric="val_acc",
            mode="max",
            num_trials=args.trials,
            seed=args.seed,
            storage_path=storage,
        )
    trials = [t for t in results.trials if t.iterations == args.epochs]
    names = list(digits_mlp.SPACE)
    configs = np.array([[t.config[n] for n in names] for t in trials], dtype=float)
    accuracy = np.array([[r["val_acc"] for r in t.results] for t in trials], dtype=np.float32)
    loss = np.array([[r["val_loss"] for r in t.results] for t in trials], dtype=np.float32)
    totals = np.array([[r["time_total_s"] for r in t.results] for t in trials])
    seconds = np.diff(totals, axis=1, prepend=0.0).astype(np.float32)
    np.savez_compressed(
        args.out,
        names=np.array(names),
        configs=configs,
        val_acc=accuracy,
        val_loss=loss,
        epoch_seconds=seconds,
    )
    print(f"wrote {len(trials)} curves of {args.epochs} epochs to {args.out}")


if __name__ == "__main__":
    main()

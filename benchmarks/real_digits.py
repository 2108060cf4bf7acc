"""ASHA against FIFO for real: the digits MLP on the process executor, same wall clock.

Random search proposes configurations of the demo's space (examples/digits_mlp.py); each
scheduler gets the same wall-clock budget on this machine's cores. Reports, per seed and as
medians, the trials finished (run to the end or stopped early) and the best validation
accuracy (last epoch of a trial, as the demo ranks them). Writes JSON.

    python benchmarks/real_digits.py --budget 180 --seeds 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))

import digits_mlp  # noqa: E402

import rung  # noqa: E402
from rung.schedulers import ASHAScheduler  # noqa: E402


def run_once(scheduler: str, budget: float, seed: int) -> dict:
    strategy = (
        ASHAScheduler(max_t=digits_mlp.EPOCHS, grace_period=1, reduction_factor=3)
        if scheduler == "asha"
        else "fifo"
    )
    with tempfile.TemporaryDirectory() as storage:
        results = rung.run(
            digits_mlp.train_digits,
            digits_mlp.SPACE,
            metric="val_acc",
            mode="max",
            scheduler=strategy,
            time_budget_s=budget,
            seed=seed,
            storage_path=storage,
            verbose=0,
        )
    ended = [t for t in results.trials if t.status.is_finished and t.iterations > 0]
    return {
        "scheduler": scheduler,
        "seed": seed,
        "trials_ended": len(ended),
        "epochs": sum(t.iterations for t in results.trials),
        "best_val_acc": results.best_result["val_acc"],
        "best_val_acc_any_epoch": results.get_best_trial(scope="all").best_value(results.objective),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=180)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/real_digits.json")
    args = parser.parse_args()
    runs = []
    for seed in range(args.seeds):
        for scheduler in ("fifo", "asha"):
            run = run_once(scheduler, args.budget, seed)
            print(run, flush=True)
            runs.append(run)
    summary = {}
    for scheduler in ("fifo", "asha"):
        chosen = [r for r in runs if r["scheduler"] == scheduler]
        summary[scheduler] = {
            key: statistics.median(r[key] for r in chosen)
            for key in ("trials_ended", "epochs", "best_val_acc", "best_val_acc_any_epoch")
        }
    ratio = summary["asha"]["trials_ended"] / summary["fifo"]["trials_ended"]
    print(f"budget {args.budget:g} s, {args.seeds} seeds, medians: {summary}")
    print(f"ASHA finished {ratio:.1f}x as many trials as FIFO")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {"budget_s": args.budget, "runs": runs, "summary": summary, "trials_ratio": ratio},
            indent=1,
        )
    )


if __name__ == "__main__":
    main()

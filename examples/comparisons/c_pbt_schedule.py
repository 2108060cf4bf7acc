"""Population-based training discovers a learning-rate schedule on MNIST-1D; the schedule
is exported as ``MultiStepLR`` and a fresh model is retrained with it (no copying between
trials), beside the PBT winner's own curve and a fresh model at the initial rate.

    python examples/comparisons/c_pbt_schedule.py
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import mnist1d_task
from common import HERE

import rung
from rung.pbt_schedule import fit_step_schedule, lineage_results, parameter_schedule
from rung.schedulers import PopulationBasedTraining

FIXED = {"momentum": 0.9, "batch_size": 64, "width": 256, "depth": 2, "weight_decay": 1e-4}
EPOCHS = 36


def fit(config, epochs, schedule=None):
    """A fresh model trained for ``epochs`` epochs (with ``schedule`` as torch's MultiStepLR);
    validation accuracy after each."""
    import torch

    def multistep(optimizer):
        return torch.optim.lr_scheduler.MultiStepLR(
            optimizer, list(schedule.milestones), schedule.gamma
        )

    run = mnist1d_task.epochs(
        {**config, "epochs": epochs}, lr_schedule=multistep if schedule else None
    )
    return [accuracy for _, accuracy, _ in run]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=HERE / "output")
    parser.add_argument("--storage-path", type=Path, default=Path("rung_results/comparisons"))
    args = parser.parse_args()
    pbt = PopulationBasedTraining(
        perturbation_interval=4,
        hyperparam_mutations={"lr": rung.loguniform(1e-3, 1.0)},
        resample_probability=0.1,
    )
    shutil.rmtree(args.storage_path / "pbt_schedule", ignore_errors=True)  # an earlier run
    results = rung.run(
        mnist1d_task.train,
        {**FIXED, "lr": rung.loguniform(1e-3, 1.0), "epochs": args.epochs},
        metric="val_acc",
        mode="max",
        scheduler=pbt,
        num_trials=args.population,
        max_concurrent=2,
        storage_path=args.storage_path,
        name="pbt_schedule",
        resume=False,
        seed=args.seed,
        verbose=0,
    )
    steps = parameter_schedule(results, "lr")
    schedule = fit_step_schedule(steps)
    best = results.best_trial
    assert best is not None
    retrained = fit({**FIXED, "lr": schedule.initial}, args.epochs, schedule)
    constant = fit({**FIXED, "lr": schedule.initial}, args.epochs)
    # The winner's state along its lineage (the donors' results before each copy).
    history = lineage_results({t.trial_id: t for t in results.trials}, best.trial_id)
    pbt_curve = [r["val_acc"] for r in history]

    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 4.2), layout="constrained")
    curves, rates = figure.subplots(1, 2)
    epochs = list(range(1, args.epochs + 1))
    curves.plot(
        [r["training_iteration"] for r in history],
        pbt_curve,
        label=f"PBT winner (trial {best.trial_id}, along its lineage)",
    )
    curves.plot(epochs, retrained, label="fresh model, MultiStepLR from PBT")
    curves.plot(epochs, constant, label=f"fresh model, constant lr {schedule.initial:.3g}")
    curves.set(xlabel="epoch", ylabel="validation accuracy", title="learning curves")
    curves.legend(fontsize=8)
    curves.grid(alpha=0.3)
    rates.step(
        [i for i, _ in steps] + [args.epochs],
        [v for _, v in steps] + [steps[-1][1]],
        where="post",
        label="PBT winner's schedule (its lineage)",
    )
    rates.step(  # the rate of each epoch, counted from 0 as the schedule's iterations are
        range(args.epochs + 1),
        [
            schedule.initial * schedule.gamma ** sum(e >= m for m in schedule.milestones)
            for e in range(args.epochs + 1)
        ],
        "--",
        where="post",
        label=f"MultiStepLR, gamma {schedule.gamma:.3g}",
    )
    rates.set(xlabel="epoch", ylabel="learning rate", yscale="log", title="the schedule")
    rates.legend(fontsize=8)
    rates.grid(alpha=0.3)
    text = "\n".join(
        [
            f"PBT: population {args.population}, {args.epochs} epochs, lr mutated every 4 epochs",
            f"winner's lr schedule (epoch, lr): {[(i, round(v, 5)) for i, v in steps]}",
            f"as MultiStepLR: lr {schedule.initial:.4g}, milestones {list(schedule.milestones)}, "
            f"gamma {schedule.gamma:.4g}",
            f"PBT winner, final val_acc:                     {pbt_curve[-1]:.4f}",
            f"fresh model with the MultiStepLR schedule:     {retrained[-1]:.4f}",
            f"fresh model at the constant initial lr:        {constant[-1]:.4f}",
        ]
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "c_pbt_schedule.txt").write_text(text + "\n")
    figure.savefig(args.out / "c_pbt_schedule.png", dpi=110)
    print(text)


if __name__ == "__main__":
    main()

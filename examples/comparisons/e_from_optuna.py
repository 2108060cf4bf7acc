"""An Optuna objective ported to rung, side by side, both run on MNIST-1D with the same
number of trials and successive-halving early stopping (``pip install optuna``).

    python examples/comparisons/e_from_optuna.py --trials 30

The port: ``trial.suggest_*`` calls become a space dict, ``trial.report`` +
``trial.should_prune`` become ``rung.report`` (rung stops the trial itself), and
``study.optimize`` becomes ``rung.run``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import mnist1d_task
from common import HERE

import rung


def optuna_objective(trial):
    """The Optuna way: the space is written inside the objective."""
    import optuna

    config = {
        "lr": trial.suggest_float("lr", 1e-3, 1.0, log=True),
        "momentum": trial.suggest_float("momentum", 0.0, 0.99),
        "batch_size": trial.suggest_int("batch_size", 16, 256, log=True),
        "width": trial.suggest_int("width", 32, 512, log=True),
        "depth": trial.suggest_int("depth", 1, 4),
        "weight_decay": trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True),
    }
    accuracy = 0.0
    for epoch, accuracy, _ in mnist1d_task.epochs(config):
        trial.report(accuracy, epoch)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return accuracy


def rung_trainable(config):
    """The rung way: the space is data (mnist1d_task.SPACE); report, and rung stops."""
    for epoch, accuracy, _ in mnist1d_task.epochs(config):
        rung.report(epoch=epoch, val_acc=accuracy)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=HERE / "output")
    args = parser.parse_args()
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    start = time.perf_counter()
    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.RandomSampler(seed=args.seed),
        pruner=optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
    )
    study.optimize(optuna_objective, n_trials=args.trials, n_jobs=2)
    optuna_seconds = time.perf_counter() - start

    start = time.perf_counter()
    results = rung.run(
        rung_trainable,
        mnist1d_task.SPACE,
        metric="val_acc",
        mode="max",
        num_trials=args.trials,
        scheduler={"name": "asha", "max_t": mnist1d_task.EPOCHS, "grace_period": 1},
        max_concurrent=2,
        seed=args.seed,
        verbose=0,
    )
    rung_seconds = time.perf_counter() - start
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    stopped = sum(t.status is rung.TrialStatus.STOPPED for t in results.trials)
    text = "\n".join(
        [
            f"{args.trials} trials of random search, 2 at a time, successive halving (eta 3)",
            f"{'':<8} {'best val_acc':>12} {'stopped early':>14} {'wall s':>8}",
            f"{'optuna':<8} {study.best_value:>12.4f} {pruned:>14} {optuna_seconds:>8.1f}",
            f"{'rung':<8} {results.best_result['val_acc']:>12.4f} {stopped:>14} "
            f"{rung_seconds:>8.1f}",
            "optuna runs its trials in threads of one process (n_jobs=2); rung in two worker "
            "processes.",
        ]
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "e_from_optuna.txt").write_text(text + "\n")
    best_so_far(study, results).savefig(args.out / "e_from_optuna.png", dpi=110)
    print(text)


def best_so_far(study, results):
    """Both runs' best validation accuracy of a trial that ran to the end, so far, against
    the run's own wall time."""
    import numpy as np
    from matplotlib.figure import Figure

    first = min(t.datetime_start for t in study.trials)
    optuna_points = sorted(
        ((t.datetime_complete - first).total_seconds(), t.value)
        for t in study.trials
        if t.value is not None
    )
    rung_points = sorted(  # trials that ran to the end, as Optuna's values are
        (t.last_result["experiment_time_s"], t.last_result["val_acc"])
        for t in results.trials
        if t.status is rung.TrialStatus.TERMINATED
    )
    figure = Figure(figsize=(6, 4), layout="constrained")
    ax = figure.subplots()
    for name, points in (("optuna", optuna_points), ("rung", rung_points)):
        times, values = zip(*points, strict=True)
        ax.step(times, np.maximum.accumulate(values), where="post", label=name)
    ax.set(
        xlabel="wall time (s)",
        ylabel="best completed trial's val_acc so far",
        title="the same search, twice",
    )
    ax.legend()
    ax.grid(alpha=0.3)
    return figure


if __name__ == "__main__":
    main()

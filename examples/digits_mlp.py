"""Tune a PyTorch MLP on scikit-learn's digits (bundled, no download): `make demo`.

Six hyperparameters (learning rate, batch size, width, depth, dropout, weight decay), each
trial trains for up to EPOCHS epochs and reports validation accuracy after every one, on all
local cores. Prints the best trials and the best validation accuracy at the end.
"""

from __future__ import annotations

import argparse
import os

import rung
from rung.schedulers import ASHAScheduler

EPOCHS = 20

SPACE = {
    "lr": rung.loguniform(1e-4, 3e-1),
    "batch_size": rung.lograndint(16, 256),
    "width": rung.lograndint(16, 512),
    "depth": rung.randint(1, 4),
    "dropout": rung.uniform(0.0, 0.6),
    "weight_decay": rung.loguniform(1e-6, 1e-2),
}


def load_digits_split(seed: int = 0):
    """The digits data as tensors: 80% to train on, 20% to validate, standardized."""
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    features, labels = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(
        features, labels, test_size=0.2, random_state=seed, stratify=labels
    )
    mean, std = x_train.mean(axis=0), x_train.std(axis=0) + 1e-6
    as_x = lambda x: torch.tensor((x - mean) / std, dtype=torch.float32)  # noqa: E731
    as_y = lambda y: torch.tensor(y, dtype=torch.long)  # noqa: E731
    return as_x(x_train), as_y(y_train), as_x(x_val), as_y(y_val)


def build_mlp(config, inputs: int = 64, classes: int = 10):
    import torch.nn as nn

    layers, width = [], inputs
    for _ in range(config["depth"]):
        layers += [nn.Linear(width, config["width"]), nn.ReLU(), nn.Dropout(config["dropout"])]
        width = config["width"]
    layers.append(nn.Linear(width, classes))
    return nn.Sequential(*layers)


def train_digits(config):
    """One trial: train the MLP, report validation accuracy and loss after every epoch."""
    import torch

    torch.manual_seed(config.get("seed", 0))
    x_train, y_train, x_val, y_val = load_digits_split()
    model = build_mlp(config)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config["lr"], weight_decay=config["weight_decay"]
    )
    loss_fn = torch.nn.CrossEntropyLoss()
    start = 0
    checkpoint = rung.get_checkpoint()
    if checkpoint:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        start = checkpoint["epoch"] + 1
    for epoch in range(start, config.get("epochs", EPOCHS)):
        model.train()
        order = torch.randperm(len(x_train))
        for i in range(0, len(order), config["batch_size"]):
            batch = order[i : i + config["batch_size"]]
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            logits = model(x_val)
            val_loss = loss_fn(logits, y_val).item()
            val_acc = (logits.argmax(dim=1) == y_val).float().mean().item()
        rung.report(
            epoch=epoch,
            train_loss=loss.item(),
            val_loss=val_loss,
            val_acc=val_acc,
            # Built only when a scheduler will resume or copy this trial (never under ASHA).
            checkpoint=lambda epoch=epoch: {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "epoch": epoch,
            },
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--searcher", default="random")
    parser.add_argument(
        "--scheduler", default="asha", help="asha (the default), fifo, hyperband, median, ..."
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--storage-path", default="rung_results")
    args = parser.parse_args()
    results = rung.run(
        train_digits,
        SPACE,
        metric="val_acc",
        mode="max",
        searcher=args.searcher,
        scheduler=ASHAScheduler(max_t=EPOCHS) if args.scheduler == "asha" else args.scheduler,
        num_trials=args.trials,
        seed=args.seed,
        storage_path=args.storage_path,
    )
    best = results.best_trial
    print(
        f"best validation accuracy {best.last_result['val_acc']:.4f} after "
        f"{best.iterations} epochs (trial {best.trial_id}): {best.config}"
    )
    folder = os.path.relpath(results.path) if results.path else args.storage_path
    print(f"see it in a browser: rung dashboard {folder}  (while a run goes on, too)")


if __name__ == "__main__":
    main()

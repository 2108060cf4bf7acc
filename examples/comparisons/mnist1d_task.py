"""The task the comparison examples tune: an MLP on MNIST-1D, generated locally by the
``mnist1d`` package (no download; harder than digits: configurations do not all saturate).

``train(config)`` is a rung trainable: it trains for ``config["epochs"]`` epochs (default
EPOCHS), reports validation accuracy after each, and checkpoints on request, so every
scheduler (PBT included) can pause, resume and copy it.
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

import numpy as np

import rung

EPOCHS = 27

SPACE = {
    "lr": rung.loguniform(1e-3, 1.0),
    "momentum": rung.uniform(0.0, 0.99),
    "batch_size": rung.lograndint(16, 256),
    "width": rung.lograndint(32, 512),
    "depth": rung.randint(1, 4),
    "weight_decay": rung.loguniform(1e-6, 1e-2),
}


@functools.cache
def data():
    """MNIST-1D: 4,000 training and 1,000 validation sequences of 40 values, 10 classes
    (generated once, about 2 s, and kept in the temporary folder for the next worker)."""
    import torch

    cache = Path(tempfile.gettempdir()) / "rung-examples-mnist1d.npz"
    try:
        raw = dict(np.load(cache))
    except (OSError, ValueError):
        from mnist1d.data import get_dataset_args, make_dataset

        made = make_dataset(get_dataset_args())
        raw = {key: made[key] for key in ("x", "y", "x_test", "y_test")}
        partial = cache.with_suffix(f".{os.getpid()}.npz")
        np.savez(partial, **raw)
        os.replace(partial, cache)
    as_x = lambda x: torch.tensor(x, dtype=torch.float32)  # noqa: E731
    as_y = lambda y: torch.tensor(y, dtype=torch.long)  # noqa: E731
    return as_x(raw["x"]), as_y(raw["y"]), as_x(raw["x_test"]), as_y(raw["y_test"])


def build(config):
    import torch.nn as nn

    layers, width = [], 40
    for _ in range(config["depth"]):
        layers += [nn.Linear(width, config["width"]), nn.ReLU()]
        width = config["width"]
    layers.append(nn.Linear(width, 10))
    return nn.Sequential(*layers)


def epochs(config, checkpoint=None, lr_schedule=None):
    """Train with SGD and momentum, from ``checkpoint`` if given, with the learning rate
    scheduler ``lr_schedule(optimizer)`` builds if given; after each epoch, yield
    ``(epoch, validation accuracy, state)``, where ``state()`` is a checkpoint dict."""
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(config.get("seed", 0))
    x_train, y_train, x_val, y_val = data()
    model = build(config)
    optimizer = torch.optim.SGD(
        model.parameters(),
        lr=config["lr"],
        momentum=config["momentum"],
        weight_decay=config["weight_decay"],
    )
    loss_fn = torch.nn.CrossEntropyLoss()
    start = 0
    if checkpoint:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        start = checkpoint["epoch"] + 1
    for group in optimizer.param_groups:  # a copied state trains on with this config's lr
        group["lr"] = config["lr"]
    stepper = lr_schedule(optimizer) if lr_schedule is not None else None
    for epoch in range(start, config.get("epochs", EPOCHS)):
        model.train()
        order = torch.randperm(len(x_train))
        for i in range(0, len(order), config["batch_size"]):
            batch = order[i : i + config["batch_size"]]
            optimizer.zero_grad()
            loss_fn(model(x_train[batch]), y_train[batch]).backward()
            optimizer.step()
        if stepper is not None:
            stepper.step()
        model.eval()
        with torch.no_grad():
            val_acc = (model(x_val).argmax(dim=1) == y_val).float().mean().item()
        yield (
            epoch,
            val_acc,
            lambda epoch=epoch: {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "epoch": epoch,
            },
        )


def train(config):
    """One trial: validation accuracy reported after every epoch; a checkpoint is built
    only when a scheduler asks for one (to pause, resume or copy the trial)."""
    for epoch, val_acc, state in epochs(config, rung.get_checkpoint()):
        rung.report(epoch=epoch, val_acc=val_acc, checkpoint=state)

"""Parametric learning curves whose every value, the final one included, is known exactly.

``loss(t) = floor + scale * t ** -decay`` for epochs ``t = 1 .. max_t``: slow starters
(small ``decay``) can end below fast ones, which is what makes early stopping a gamble.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import rung

SPACE = {
    "floor": rung.uniform(0.0, 1.0),
    "scale": rung.uniform(0.5, 2.0),
    "decay": rung.uniform(0.1, 2.0),
}


def loss_at(config: dict[str, Any], epoch: float) -> float:
    """The curve's value after ``epoch`` epochs."""
    return config["floor"] + config["scale"] * epoch ** (-config["decay"])


def make_curve(max_t: int = 27, cost_s: float = 1.0) -> Callable:
    """A simulated trainable: ``max_t`` epochs of ``cost_s`` simulated seconds each."""

    def curve(config: dict[str, Any], iteration: int):
        if iteration > max_t:
            return None
        return {"loss": loss_at(config, iteration), "epoch": iteration}, cost_s

    return curve

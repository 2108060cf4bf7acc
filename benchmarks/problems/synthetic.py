"""Test functions with known minima, as rung spaces: what the quality benchmark optimizes.

Each problem is a loss to minimize with a known optimum, so a searcher's simple regret
(best loss found minus the optimum) is comparable across problems and libraries.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import rung


@dataclass(frozen=True)
class Problem:
    """A loss over a rung space, with its known minimum."""

    name: str
    space: dict[str, Any]
    loss: Callable[[dict[str, Any]], float]
    optimum: float


def _branin(c: dict) -> float:
    x1, x2 = c["x1"], c["x2"]
    b, cc, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + cc * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def _hartmann6(c: dict) -> float:
    x = np.array([c[f"x{i}"] for i in range(6)])
    return float(-_H6_ALPHA @ np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1)))


def _rosenbrock(c: dict) -> float:
    x = np.array([c[f"x{i}"] for i in range(5)])
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def _ackley(c: dict) -> float:
    x = np.array([c[f"x{i}"] for i in range(10)])
    n = len(x)
    return float(
        -20 * np.exp(-0.2 * np.sqrt(np.sum(x**2) / n))
        - np.exp(np.sum(np.cos(2 * np.pi * x)) / n)
        + 20
        + math.e
    )


# A rotated ellipsoid: condition number 1e6 along axes no coordinate follows, the shape
# CMA-ES is built for (a fixed rotation, so every library sees the same problem).
_ELLIPSOID_D = 8
_ELLIPSOID_ROTATION = np.linalg.qr(np.random.default_rng(2026).normal(size=(8, 8)))[0]
_ELLIPSOID_SCALES = 10.0 ** (6 * np.arange(_ELLIPSOID_D) / (_ELLIPSOID_D - 1))


def _ellipsoid(c: dict) -> float:
    x = np.array([c[f"x{i}"] for i in range(_ELLIPSOID_D)])
    y = _ELLIPSOID_ROTATION @ (x - 1.0)
    return float(_ELLIPSOID_SCALES @ y**2)


def _vector(c: dict, d: int) -> np.ndarray:
    return np.array([c[f"x{i}"] for i in range(d)])


def _levy(c: dict) -> float:
    """Levy, 6-d: many local minima along ridges; minimum 0 at (1, ..., 1)."""
    w = 1 + (_vector(c, 6) - 1) / 4
    body = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(np.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + np.sin(2 * np.pi * w[-1]) ** 2)
    return float(np.sin(np.pi * w[0]) ** 2 + body + tail)


def _rastrigin(c: dict) -> float:
    """Rastrigin, 4-d: a bowl under a regular egg-crate of local minima; minimum 0 at 0."""
    x = _vector(c, 4)
    return float(10 * len(x) + np.sum(x**2 - 10 * np.cos(2 * np.pi * x)))


def _schwefel(c: dict) -> float:
    """Schwefel, 3-d: deceptive, the best minimum far from the next best, near a corner;
    minimum (about 4e-5) at 420.968746 in every coordinate."""
    x = _vector(c, 3)
    return float(418.9829 * len(x) - np.sum(x * np.sin(np.sqrt(np.abs(x)))))


def _styblinski_tang(c: dict) -> float:
    """Styblinski-Tang, 5-d: 2^5 local minima of nearly equal depth; minimum -39.166166 * 5
    at -2.903534 in every coordinate."""
    x = _vector(c, 5)
    return float(0.5 * np.sum(x**4 - 16 * x**2 + 5 * x))


def _michalewicz(c: dict) -> float:
    """Michalewicz, 5-d (m = 10): steep narrow valleys on flat plateaus; minimum
    -4.687658."""
    x = _vector(c, 5)
    i = np.arange(1, len(x) + 1)
    return float(-np.sum(np.sin(x) * np.sin(i * x**2 / np.pi) ** 20))


_OFFSETS = {"sgd": (2.0, 0.0), "adam": (-1.0, 0.5), "rmsprop": (0.5, 1.0)}


def _mixed(c: dict) -> float:
    """A mixed space whose best ``x`` depends on the optimizer (an interaction): the minimum
    0 is at optimizer sgd, x = 2, lr = 1e-3, layers = 7."""
    best_x, penalty = _OFFSETS[c["optimizer"]]
    return (
        (c["x"] - best_x) ** 2
        + penalty
        + (math.log10(c["lr"]) + 3) ** 2
        + (c["layers"] - 7) ** 2 / 10
    )


PROBLEMS = {
    "branin": Problem(
        "branin",
        {"x1": rung.uniform(-5, 10), "x2": rung.uniform(0, 15)},
        _branin,
        0.397887357729739,
    ),
    "hartmann6": Problem(
        "hartmann6", {f"x{i}": rung.uniform(0, 1) for i in range(6)}, _hartmann6, -3.32236801141551
    ),
    "rosenbrock5": Problem(
        "rosenbrock5", {f"x{i}": rung.uniform(-5, 10) for i in range(5)}, _rosenbrock, 0.0
    ),
    "ackley10": Problem(
        "ackley10", {f"x{i}": rung.uniform(-32.768, 32.768) for i in range(10)}, _ackley, 0.0
    ),
    "ellipsoid8": Problem(
        "ellipsoid8",
        {f"x{i}": rung.uniform(-5, 5) for i in range(_ELLIPSOID_D)},
        _ellipsoid,
        0.0,
    ),
    "levy6": Problem("levy6", {f"x{i}": rung.uniform(-10, 10) for i in range(6)}, _levy, 0.0),
    "rastrigin4": Problem(
        "rastrigin4", {f"x{i}": rung.uniform(-5.12, 5.12) for i in range(4)}, _rastrigin, 0.0
    ),
    "schwefel3": Problem(
        "schwefel3",
        {f"x{i}": rung.uniform(-500, 500) for i in range(3)},
        _schwefel,
        _schwefel({f"x{i}": 420.968746 for i in range(3)}),
    ),
    "styblinski_tang5": Problem(
        "styblinski_tang5",
        {f"x{i}": rung.uniform(-5, 5) for i in range(5)},
        _styblinski_tang,
        -39.16616570377142 * 5,
    ),
    "michalewicz5": Problem(
        "michalewicz5",
        {f"x{i}": rung.uniform(0, math.pi) for i in range(5)},
        _michalewicz,
        -4.687658179,
    ),
    "mixed": Problem(
        "mixed",
        {
            "x": rung.uniform(-5, 5),
            "lr": rung.loguniform(1e-5, 1.0),
            "layers": rung.randint(1, 20),
            "optimizer": rung.choice(["sgd", "adam", "rmsprop"]),
        },
        _mixed,
        0.0,
    ),
}

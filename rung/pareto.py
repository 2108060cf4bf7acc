"""The Pareto order of scores with several objectives (each lower is better): which points
no other dominates, the fronts of non-dominated sorting, and total orders that break ties
within a front by crowding distance, as NSGA-II does (Deb et al. 2002), or by an
epsilon-net, as multi-objective ASHA does (Schmucker et al. 2021)."""

from __future__ import annotations

from typing import Any

import numpy as np


def non_dominated(points: Any) -> np.ndarray:
    """Which rows of ``points`` (one per trial, one score per objective, lower is better) no
    other row dominates: as good on every objective and better on one."""
    points = np.asarray(points, dtype=float)
    kept = np.ones(len(points), dtype=bool)
    for index, point in enumerate(points):
        beaten = np.all(points <= point, axis=1) & np.any(points < point, axis=1)
        kept[index] = not beaten.any()
    return kept


def dominance(points: Any) -> np.ndarray:
    """``D[i, j]``: whether row ``i`` dominates row ``j`` (n x n booleans, built one objective
    at a time)."""
    points = np.asarray(points, dtype=float)
    n = len(points)
    as_good = np.ones((n, n), dtype=bool)
    better = np.zeros((n, n), dtype=bool)
    for column in points.T:
        as_good &= column[:, None] <= column[None, :]
        better |= column[:, None] < column[None, :]
    return as_good & better


def fronts(points: Any) -> np.ndarray:
    """Each row's front: 0 for the non-dominated ones, 1 for those non-dominated once the
    first front is set aside, and so on (Deb et al.'s fast non-dominated sort, on the
    dominance matrix)."""
    dominates = dominance(points)
    beaten_by = dominates.sum(axis=0)
    front = np.full(len(dominates), -1)
    current = np.flatnonzero(beaten_by == 0)
    level = 0
    while len(current):
        front[current] = level
        beaten_by = beaten_by - dominates[current].sum(axis=0)
        beaten_by[front >= 0] = -1  # placed: never taken again
        current = np.flatnonzero(beaten_by == 0)
        level += 1
    return front


def crowding(points: Any) -> np.ndarray:
    """Each row's crowding distance within ``points`` (one front): the sum over objectives of
    the gap between its neighbours, scaled by the objective's range; the ends infinite."""
    points = np.asarray(points, dtype=float)
    n, m = points.shape
    distance = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(m):
        order = np.argsort(points[:, j], kind="stable")
        values = points[order, j]
        span = values[-1] - values[0]
        distance[order[0]] = distance[order[-1]] = np.inf
        if span > 0:
            distance[order[1:-1]] += (values[2:] - values[:-2]) / span
    return distance


def pareto_ranks(points: Any) -> np.ndarray:
    """A total order of the rows, as ranks (0 best): by front, then by crowding distance
    (the less crowded first), then by arrival. What multi-objective TPE splits by."""
    points = np.asarray(points, dtype=float)
    if not len(points):
        return np.zeros(0, dtype=int)
    front = fronts(points)
    spread = np.zeros(len(points))
    for level in np.unique(front):
        members = np.flatnonzero(front == level)
        spread[members] = crowding(points[members])
    order = np.lexsort((np.arange(len(points)), -spread, front))
    ranks = np.empty(len(points), dtype=int)
    ranks[order] = np.arange(len(points))
    return ranks


def spread_order(points: Any) -> np.ndarray:
    """The rows of ``points`` (one front) in the order an epsilon-net picks them: first the
    best on the first objective, then each time the row farthest (Euclidean, on objectives
    scaled to [0, 1]) from every row picked so far. A prefix of the order covers the front
    as evenly as so few rows can, which is how multi-objective ASHA breaks ties within a
    front (Schmucker et al. 2021, after Salinas et al.'s epsilon-net)."""
    points = np.asarray(points, dtype=float)
    n = len(points)
    if n <= 1:
        return np.arange(n)
    low, span = points.min(axis=0), np.ptp(points, axis=0)
    scaled = (points - low) / np.where(span > 0, span, 1.0)
    first = int(np.lexsort(scaled.T[::-1])[0])
    order = [first]
    nearest = np.linalg.norm(scaled - scaled[first], axis=1)
    nearest[first] = -1.0
    for _ in range(n - 1):
        picked = int(np.argmax(nearest))  # the first of equals: by arrival
        order.append(picked)
        nearest = np.minimum(nearest, np.linalg.norm(scaled - scaled[picked], axis=1))
        nearest[order] = -1.0
    return np.array(order)


def promotion_ranks(points: Any) -> np.ndarray:
    """A total order of the rows as ranks (0 best) for promoting trials with several
    objectives: by front, then by ``spread_order`` within the front; rows with a score that
    cannot be ranked (not finite) after all others, by arrival."""
    points = np.asarray(points, dtype=float)
    ranks = np.empty(len(points), dtype=int)
    rankable = np.flatnonzero(np.isfinite(points).all(axis=1))
    unrankable = np.flatnonzero(~np.isfinite(points).all(axis=1))
    ordered: list[int] = []
    if len(rankable):
        front = fronts(points[rankable])
        for level in range(int(front.max()) + 1):
            members = rankable[front == level]
            ordered.extend(members[spread_order(points[members])].tolist())
    ordered.extend(unrankable.tolist())
    ranks[ordered] = np.arange(len(points))
    return ranks

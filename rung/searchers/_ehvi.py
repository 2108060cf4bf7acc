"""Expected hypervolume improvement of independent Gaussian predictions, in log space.

The region that a front does not dominate, up to a reference point, is cut into disjoint
boxes (``non_dominated_boxes``: slabs along the last objective, each the region of the
points below it in one objective fewer). A new point ``y`` adds the volume
``sum_k prod_i (u_ki - max(l_ki, y_i))+`` of those boxes, and with each objective an
independent Gaussian the expectation factorizes per box and objective into
``psi(u) - psi(l)``, with ``psi(a) = E[(a - Y)+] = sd * h((a - mean) / sd)``: exact, no
sampling (Emmerich et al. 2006; in logs, as Ament et al. 2023 advise, so that it still
ranks points far from the front). All objectives are minimized.
"""

from __future__ import annotations

import numpy as np

from rung.pareto import non_dominated
from rung.searchers._gp import _LOG_2PI, log_h


def non_dominated_boxes(front: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint boxes ``(lower, upper)`` (each k x m; lower bounds may be -inf) whose union
    is the region below ``reference`` that no row of ``front`` weakly dominates."""
    front = np.asarray(front, dtype=float)
    reference = np.asarray(reference, dtype=float)
    inside = front[np.all(front < reference, axis=1)] if len(front) else front
    lower, upper = _slabs(inside, reference)
    return np.array(lower), np.array(upper)


def _slabs(
    points: np.ndarray, reference: np.ndarray
) -> tuple[list[list[float]], list[list[float]]]:
    """The boxes of the region below ``reference`` not dominated by ``points``: in one
    objective, everything below the least point; in more, one slab per level of the last
    objective, holding the region of the points below that level in the other objectives."""
    if len(reference) == 1:
        top = min(reference[0], points[:, 0].min()) if len(points) else reference[0]
        return [[-np.inf]], [[float(top)]]
    levels = np.unique(points[:, -1]) if len(points) else np.empty(0)
    bounds = np.concatenate([[-np.inf], levels, [reference[-1]]])
    lower: list[list[float]] = []
    upper: list[list[float]] = []
    for j in range(len(bounds) - 1):
        below = _front_of(points[points[:, -1] <= bounds[j], :-1])
        slab_lower, slab_upper = _slabs(below, reference[:-1])
        lower += [[*box, float(bounds[j])] for box in slab_lower]
        upper += [[*box, float(bounds[j + 1])] for box in slab_upper]
    return lower, upper


def _front_of(points: np.ndarray) -> np.ndarray:
    """The rows no other row weakly dominates (duplicates kept once): by sorting in one
    and two objectives (all that the boxes of three need), ``rung.pareto`` in more."""
    if len(points) <= 1:
        return points
    if points.shape[1] == 1:
        return points[[int(np.argmin(points[:, 0]))]]
    points = np.unique(points, axis=0)  # sorted by the first objective, then the second
    if points.shape[1] == 2:
        kept = np.ones(len(points), dtype=bool)
        kept[1:] = points[1:, 1] < np.minimum.accumulate(points[:, 1])[:-1]
        return points[kept]
    return points[non_dominated(points)]


def _log_factors(
    mean: np.ndarray, sd: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per point, box and objective: log(psi(u) - psi(l)), and the standardized bounds.
    psi is computed once per distinct bound of each objective (the boxes share them)."""
    n, m = mean.shape
    shape = (n, len(upper), m)
    log_u, log_l = np.empty(shape), np.empty(shape)
    z_u, z_l = np.empty(shape), np.empty(shape)
    for i in range(m):
        bounds, where = np.unique(np.concatenate([upper[:, i], lower[:, i]]), return_inverse=True)
        finite = np.isfinite(bounds)
        z = np.full((n, len(bounds)), -np.inf)
        z[:, finite] = (bounds[finite][None, :] - mean[:, i : i + 1]) / sd[:, i : i + 1]
        log_psi = np.full_like(z, -np.inf)  # psi(-inf) = 0
        log_psi[:, finite] = np.log(sd[:, i : i + 1]) + log_h(z[:, finite])
        at_upper, at_lower = where[: len(upper)], where[len(upper) :]
        log_u[:, :, i], z_u[:, :, i] = log_psi[:, at_upper], z[:, at_upper]
        log_l[:, :, i], z_l[:, :, i] = log_psi[:, at_lower], z[:, at_lower]
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.minimum(log_l - log_u, -1e-300)
        log_factor = log_u + np.log(-np.expm1(gap))
    return log_factor, z_u, z_l


def log_ehvi(mean: np.ndarray, sd: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """log EHVI of each row of predictions (``mean``, ``sd``: n x m) over the boxes."""
    from scipy.special import logsumexp  # scipy loads on first use, not with rung

    log_factor, _, _ = _log_factors(mean, sd, lower, upper)
    return logsumexp(log_factor.sum(axis=2), axis=1)


def log_ehvi_with_gradient(
    mean: np.ndarray, sd: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """log EHVI of one prediction (``mean``, ``sd``: m values) and its derivatives by the
    means and by the standard deviations: d psi(a) / d mean = -Phi(z), d psi / d sd = phi(z)."""
    from scipy.special import log_ndtr, logsumexp

    log_factor, z_u, z_l = _log_factors(mean[None], sd[None], lower, upper)
    log_factor, z_u, z_l = log_factor[0], z_u[0], z_l[0]
    per_box = log_factor.sum(axis=1)
    value = float(logsumexp(per_box))
    weight = np.exp(per_box - value)[:, None]  # each box's share of the improvement
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        upper_cdf = np.exp(log_ndtr(z_u) - log_factor)
        lower_cdf = np.where(np.isfinite(z_l), np.exp(log_ndtr(z_l) - log_factor), 0.0)
        upper_pdf = np.exp(-0.5 * z_u**2 - 0.5 * _LOG_2PI - log_factor)
        lower_pdf = np.where(
            np.isfinite(z_l), np.exp(-0.5 * z_l**2 - 0.5 * _LOG_2PI - log_factor), 0.0
        )
        d_mean = np.nansum(weight * -(upper_cdf - lower_cdf), axis=0)
        d_sd = np.nansum(weight * (upper_pdf - lower_pdf), axis=0)
    return value, d_mean, d_sd

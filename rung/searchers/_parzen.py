"""Parzen estimators over a space's encoding: the density models of TPE and BOHB.

A mixture of one kernel per observation plus a prior component (uniform on every
coordinate). Numeric kernels are Gaussians truncated to [0, 1]; a discrete coordinate gets the
Gaussian's mass over its value's bin; a categorical kernel puts most of its mass on the
observation's option and spreads ``prior_weight / (m + 1)`` (in relative terms) over all
options, as Optuna does. A kernel whose observation lacks a coordinate (an inactive
conditional parameter) is uniform there.

Bandwidths, per coordinate:
- ``"neighbours"``: each kernel's width is the larger gap to its sorted neighbours, the
  outermost using their inner neighbour (Bergstra et al., NeurIPS 2011; HyperOpt; Optuna
  since 4.x, for univariate and multivariate TPE alike);
- ``"scott"``: one width ``0.2 * n ** (-1 / (d + 4))``, Scott's rule on the unit range, as in
  Falkner et al.'s BOHB (ICML 2018);
and both are clipped to ``[1 / min(100, n + 2), 1]`` ("magic clip", HyperOpt and Optuna).
"""

from __future__ import annotations

import numpy as np

from rung.searchers._geometry import Geometry

_PRIOR_WIDTH = 1.0
_SCOTT_SCALE = 0.2
_MIN_SMOOTHING = 1e-3
_NEGLIGIBLE_Z = 8.5


def _neighbour_gaps(mus: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Each point's larger distance to its sorted neighbours within its set, per column of
    ``mus``, whose rows are sets of ``sizes`` points one after the other. A set's outermost
    points use their inner neighbour only, so a point near a bound is not given a tiny
    width; a lone point takes its larger distance to the bounds 0 and 1."""
    n, k = mus.shape
    values = np.ascontiguousarray(mus.T)
    first = np.cumsum(sizes) - sizes
    last = first + sizes - 1
    # One sort for all sets: set s shifted to [2s, 2s + 1] keeps the sets apart, each set's
    # points one block of the sorted row.
    shifted = values + 2.0 * np.repeat(np.arange(len(sizes)), sizes)
    flat = _argsort_unit_rows(shifted) + (n * np.arange(k))[:, None]
    ordered = values.ravel()[flat]
    left, right = np.empty_like(ordered), np.empty_like(ordered)
    left[:, 1:] = right[:, :-1] = np.diff(ordered, axis=1)
    filled = sizes > 0
    first, last, many = first[filled], last[filled], sizes[filled] >= 2
    left[:, first] = ordered[:, first]  # down to 0
    right[:, last] = 1.0 - ordered[:, last]  # up to 1
    gaps = np.maximum(left, right)
    gaps[:, first[many]] = right[:, first[many]]
    gaps[:, last[many]] = left[:, last[many]]
    width = np.empty(k * n)
    width[flat] = gaps
    return width.reshape(k, n).T


def _argsort_unit_rows(rows: np.ndarray) -> np.ndarray:
    """``np.argsort(rows, axis=1)`` for non-negative values (NaN sorted last), twice as fast:
    non-negative doubles order as their bit patterns do, so each value's bits, with the
    lowest replaced by its column index, form an integer key that numpy's vectorized sort
    handles. Values that differ only in their lowest ``log2(n) + 1`` bits may swap (a
    relative difference under 2**-38 for 10,000 values); ties keep index order."""
    n = rows.shape[1]
    shift = max(n.bit_length(), 1)
    keys = (rows.view(np.int64) >> shift << shift) | np.arange(n)
    keys.sort(axis=1)
    return keys & ((1 << shift) - 1)


def probabilities(log_weights: np.ndarray) -> np.ndarray:
    """Weights given by their logarithms, normalized in double precision: what a draw among
    them takes (numpy refuses probabilities whose sum is off by more than about 1e-8, which
    the single-precision ``_logsumexp_rows`` can be)."""
    weights = np.exp(log_weights - log_weights.max())
    return weights / weights.sum()


def _logsumexp_rows(a: np.ndarray) -> np.ndarray:
    """log(sum(exp(a), axis=1)), without scipy's per-call overhead (this is the hot path).
    The shifted exponentials are taken in single precision, several times faster where
    only float32 has vector instructions; the result is good to about 1e-7 in log."""
    top = a.max(axis=1, keepdims=True)
    top[~np.isfinite(top)] = 0.0
    shifted = np.subtract(a, top, out=np.empty(a.shape, np.float32), casting="same_kind")
    np.exp(shifted, out=shifted)
    return np.log(shifted.sum(axis=1, dtype=float)) + top[:, 0]


def _log_unit_mass(mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """log of a Gaussian's mass on [0, 1] when its centre lies in [0, 1] (0 where the centre is
    NaN): then both tails outside are below one half, and one minus their sum keeps its
    precision. A tail beyond ``_NEGLIGIBLE_Z`` widths is under 1e-16 and is not computed:
    with many observations most kernels reach neither bound."""
    from scipy.special import ndtr

    out = np.zeros_like(mu)
    near = np.minimum(mu, 1.0 - mu) < _NEGLIGIBLE_Z * sigma
    mu, sigma = mu[near], sigma[near]
    out[near] = np.log1p(-(ndtr(-mu / sigma) + ndtr((mu - 1.0) / sigma)))
    return out


def _log_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log(Phi(b) - Phi(a)) for a < b. Plain differences where they keep their precision;
    in the far tail (mass below 1e-10) the bound ``phi(b) * min(b - a, 1 / |b|)``, which is
    within a small factor and only ranks kernels that hardly count."""
    from scipy.special import ndtr  # scipy loads on first use, not with rung

    flip = a > 0  # the upper tail, mirrored, where Phi's differences are precise
    a, b = np.where(flip, -b, a), np.where(flip, -a, b)
    mass = ndtr(b) - ndtr(a)
    with np.errstate(divide="ignore"):
        out = np.log(mass)
    tail = mass < 1e-10
    if tail.any():
        near, width = b[tail], b[tail] - a[tail]
        out[tail] = (
            -0.5 * near**2 - 0.5 * np.log(2 * np.pi) + np.log(np.minimum(width, 1 / np.abs(near)))
        )
    return out


def _gaussian_terms(
    x: np.ndarray, continuous: np.ndarray, coefficients: np.ndarray
) -> np.ndarray | None:
    """Per row of ``x`` and kernel: log weight plus the log densities over the continuous
    coordinates the row has, as one matrix product (None without continuous coordinates)."""
    u = x[:, continuous]
    if not u.shape[1]:
        return None
    present = ~np.isnan(u)
    u = np.where(present, u, 0.0)
    return np.hstack([u * u, u, present, np.ones((len(u), 1))]) @ coefficients


class _Kernels:
    """The kernels of several Parzen mixtures, stacked: each set's observations and then its
    prior (a row of NaN, uniform everywhere), with what scoring and sampling need."""

    def __init__(
        self,
        geometry: Geometry,
        sets: list[tuple[np.ndarray, np.ndarray]],
        bandwidth: str,
        prior_weight: float,
        width_factor: float,
    ) -> None:
        d = geometry.d
        sizes = np.array([len(centers) for centers, _ in sets], dtype=int)
        ends = np.cumsum(sizes + 1)
        self.geometry = geometry
        self.rows = [slice(end - size - 1, end) for size, end in zip(sizes, ends, strict=True)]
        observed = np.concatenate([np.reshape(centers, (len(centers), d)) for centers, _ in sets])
        widths = _widths(geometry, observed, sizes, bandwidth, width_factor)
        self.centers = np.empty((ends[-1], d))
        self.widths = np.empty((ends[-1], d))
        self.log_weights = np.empty(ends[-1])
        start = 0
        for (_, weights), rows, size in zip(sets, self.rows, sizes, strict=True):
            block = slice(rows.start, rows.stop - 1)
            self.centers[block] = observed[start : start + size]
            self.widths[block] = widths[start : start + size]
            start += size
            mixture = self.log_weights[rows]
            mixture[:-1] = weights
            mixture[-1] = prior_weight
            mixture /= mixture.sum()
        self.centers[ends - 1] = np.nan  # the priors
        self.widths[ends - 1] = _PRIOR_WIDTH
        np.log(self.log_weights, out=self.log_weights)
        # Per kernel and numeric coordinate: log of the truncated Gaussian's normalizer (0
        # where the kernel lacks the coordinate: NaN centres are never near a bound).
        numeric = ~geometry.categorical
        self.log_norm = np.zeros_like(self.centers)
        self.log_norm[:, numeric] = _log_unit_mass(
            self.centers[:, numeric], self.widths[:, numeric]
        )
        self.coefficients = self._gaussian_coefficients(geometry.continuous)
        # Categorical kernels keep a little mass on every option, as much as the prior
        # spread over the kernels (Optuna's smoothing).
        self.smoothing = [max(prior_weight / (size + 1), _MIN_SMOOTHING) for size in sizes]

    def _gaussian_coefficients(self, continuous: np.ndarray) -> np.ndarray:
        """Continuous coordinates are scored together, expanding the Gaussians' squares into
        one matrix product of [u^2, u, 1 if present, 1] with these coefficients; a kernel
        lacking a coordinate has zero terms there (density 1 on [0, 1])."""
        mu = self.centers[:, continuous]
        sigma = self.widths[:, continuous]
        lacking = np.isnan(mu)
        mu[lacking] = 0.0
        precision = 1.0 / (sigma * sigma)
        precision[lacking] = 0.0
        # log in single precision: vectorized here, and exact to 1e-7 (as the sums are)
        log_sigma = np.log(sigma.astype(np.float32))
        offset = -0.5 * np.log(2 * np.pi) - log_sigma - self.log_norm[:, continuous]
        offset[lacking] = 0.0
        weighted = mu * precision
        return np.concatenate(
            [
                -0.5 * precision,
                weighted,
                offset - 0.5 * mu * weighted,
                self.log_weights[:, None],  # times a column of ones: the mixture weights
            ],
            axis=1,
        ).T


def _widths(
    geometry: Geometry, observed: np.ndarray, sizes: np.ndarray, rule: str, factor: float
) -> np.ndarray:
    """Kernel widths of the observations of consecutive sets of ``sizes`` rows."""
    n, d = observed.shape
    widths = np.full((n, d), _PRIOR_WIDTH)
    numeric = ~geometry.categorical
    complete = numeric & ~np.isnan(observed.sum(axis=0))  # NaN sums: a column lacks some
    if n and complete.any():
        # Columns every observation has: all sets and columns at once.
        counts = np.repeat(sizes, sizes)[:, None]
        widths[:, complete] = _clip(observed[:, complete], sizes, counts, rule, factor, d)
    start = 0
    for size in sizes:
        block = slice(start, start + size)
        start += size
        for j in np.flatnonzero(numeric & ~complete):
            active = ~np.isnan(observed[block, j])
            if active.any():
                column = observed[block, j][active][:, None]
                count = np.array([len(column)])
                widths[block, j][active] = _clip(column, count, count, rule, factor, d)[:, 0]
    return widths


def _clip(
    mus: np.ndarray, sizes: np.ndarray, counts: np.ndarray, rule: str, factor: float, d: int
) -> np.ndarray:
    """Widths of sets of ``sizes`` points (``counts``: each row's set size), clipped to
    [1 / min(100, n + 2), 1] for a set of n."""
    if rule == "scott":
        width = np.broadcast_to(_SCOTT_SCALE * counts ** (-1.0 / (d + 4)), mus.shape)
    else:
        width = _neighbour_gaps(mus, sizes)
    width = np.maximum(width * factor, 1.0 / np.minimum(100, counts + 2))
    return np.minimum(width, _PRIOR_WIDTH, out=width)


class ParzenEstimator:
    """A weighted mixture of kernels centred on encoded observations, plus the prior.

    Args:
        geometry: the space as models see it.
        centers: ``(m, d)`` encoded observations, NaN where inactive.
        weights: ``(m,)`` non-negative weights (older observations may weigh less).
        bandwidth: ``"neighbours"`` (each kernel as wide as the larger gap to its neighbours)
            or ``"scott"`` (one width per coordinate from Scott's rule).
        prior_weight: weight of the uniform prior component.
        width_factor: multiplies every numeric width (BOHB samples from a widened model).
    """

    def __init__(
        self,
        geometry: Geometry,
        centers: np.ndarray,
        weights: np.ndarray,
        bandwidth: str = "neighbours",
        prior_weight: float = 1.0,
        width_factor: float = 1.0,
    ) -> None:
        kernels = _Kernels(geometry, [(centers, weights)], bandwidth, prior_weight, width_factor)
        self._take(kernels, 0)

    @classmethod
    def several(
        cls,
        geometry: Geometry,
        sets: list[tuple[np.ndarray, np.ndarray]],
        bandwidth: str = "neighbours",
        prior_weight: float = 1.0,
        width_factor: float = 1.0,
    ) -> list[ParzenEstimator]:
        """One estimator per ``(centers, weights)`` set, all set up in one pass (TPE's good
        and bad densities): one array operation per step for all kernels, not one each."""
        kernels = _Kernels(geometry, sets, bandwidth, prior_weight, width_factor)
        estimators = [cls.__new__(cls) for _ in sets]
        for index, estimator in enumerate(estimators):
            estimator._take(kernels, index)
        return estimators

    def _take(self, kernels: _Kernels, index: int) -> None:
        """Become the mixture of set ``index`` of ``kernels``."""
        rows = kernels.rows[index]
        self._kernels, self._rows = kernels, rows
        self.geometry = kernels.geometry
        self.centers = kernels.centers[rows]
        self.widths = kernels.widths[rows]
        self.log_weights = kernels.log_weights[rows]
        self._log_norm = kernels.log_norm[rows]
        self._coefficients = kernels.coefficients[:, rows]
        self._continuous = kernels.geometry.continuous
        self._smoothing = kernels.smoothing[index]

    # densities ---------------------------------------------------------------------------

    def log_kernels(self, j: int, u: np.ndarray) -> np.ndarray:
        """``(len(u), m + 1)``: log density (or bin mass) of each kernel at positions ``u``
        of coordinate ``j``; 0 for kernels whose observation lacks the coordinate."""
        spec = self.geometry.dims[j]
        mu = self.centers[:, j]
        known = ~np.isnan(mu)
        out = np.zeros((len(u), len(mu)))
        if spec.kind == "categorical":
            a = self._smoothing
            hit, miss = np.log((1 + a) / (1 + spec.size * a)), np.log(a / (1 + spec.size * a))
            out[:, known] = np.where(u[:, None] == mu[None, known], hit, miss)
            out[:, ~known] = -np.log(spec.size)
            return out
        mu_k, sigma, norm = mu[known], self.widths[known, j], self._log_norm[known, j]
        if spec.kind == "discrete":
            low, high = self.geometry.bin_of(j, u)
            out[:, known] = (
                _log_mass((low[:, None] - mu_k) / sigma, (high[:, None] - mu_k) / sigma) - norm
            )
            out[:, ~known] = np.log(high - low)[:, None]
        else:
            z = (u[:, None] - mu_k) / sigma
            out[:, known] = -0.5 * z**2 - 0.5 * np.log(2 * np.pi) - np.log(sigma) - norm
        return out

    def log_pdf(self, x: np.ndarray) -> np.ndarray:
        """Joint log density of rows ``x`` (coordinates NaN in a row are left out)."""
        return self._log_pdf(x, _gaussian_terms(x, self._continuous, self._coefficients))

    @staticmethod
    def log_pdfs(estimators: list[ParzenEstimator], x: np.ndarray) -> list[np.ndarray]:
        """``log_pdf`` of each of estimators set up together by ``several``, with one matrix
        product for all of them."""
        kernels = estimators[0]._kernels
        terms = _gaussian_terms(x, kernels.geometry.continuous, kernels.coefficients)
        return [e._log_pdf(x, None if terms is None else terms[:, e._rows]) for e in estimators]

    def _log_pdf(self, x: np.ndarray, terms: np.ndarray | None) -> np.ndarray:
        """The log density from the continuous coordinates' kernel terms (weights included)."""
        total = np.tile(self.log_weights, (len(x), 1)) if terms is None else terms
        for j in np.nonzero(~self._continuous)[0]:
            rows = ~np.isnan(x[:, j])
            if rows.any():
                total[rows] += self.log_kernels(int(j), x[rows, j])
        return _logsumexp_rows(total)

    def log_pdf_1d(self, j: int, u: np.ndarray) -> np.ndarray:
        """Log density of coordinate ``j`` alone, over the kernels that have it (and the prior)."""
        has = ~np.isnan(self.centers[:, j])
        has[-1] = True
        weights = self.log_weights[has] - _logsumexp_rows(self.log_weights[has][None, :])[0]
        return _logsumexp_rows(self.log_kernels(j, u)[:, has] + weights)

    # sampling ----------------------------------------------------------------------------

    def _draw(self, j: int, components: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One value of coordinate ``j`` from each of the given kernels."""
        spec = self.geometry.dims[j]
        if spec.kind != "categorical":
            return self._draw_numeric(np.array([j]), components, rng)[:, 0]
        mu = self.centers[components, j]
        known = ~np.isnan(mu)
        out = np.empty(len(components))
        a = self._smoothing
        # Keep the kernel's own option with probability 1 / (1 + K a), else draw uniformly.
        keep = known & (rng.random(len(mu)) < 1.0 / (1 + spec.size * a))
        out[keep] = mu[keep]
        out[~keep] = rng.integers(spec.size, size=int((~keep).sum()))
        return out

    def _draw_numeric(
        self, columns: np.ndarray, components: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """``(len(components), len(columns))`` draws of numeric coordinates: each kernel's
        truncated Gaussian, or uniform where the kernel's observation lacks the coordinate."""
        from scipy.special import ndtr, ndtri

        mu = self.centers[components[:, None], columns]
        sigma = self.widths[components[:, None], columns]
        uniform = rng.random(mu.shape)
        known = ~np.isnan(mu)
        mu = np.where(known, mu, 0.5)
        low, high = ndtr(-mu / sigma), ndtr((1.0 - mu) / sigma)
        p = np.clip(low + uniform * (high - low), 1e-300, 1 - 1e-16)
        out = np.clip(np.where(known, mu + sigma * ndtri(p), uniform), 0.0, 1.0)
        for k in np.flatnonzero(self.geometry.discrete[columns]):
            out[:, k] = self.geometry.snap(columns[k], out[:, k])
        return out

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` joint draws: pick a kernel, then each coordinate the draw's choices activate
        from that kernel (uniformly where the kernel's observation lacks it)."""
        cumulative = np.cumsum(np.exp(self.log_weights))
        components = np.minimum(
            np.searchsorted(cumulative, rng.random(n) * cumulative[-1], side="right"),
            len(cumulative) - 1,
        )
        x = np.full((n, self.geometry.d), np.nan)
        free = self.geometry.free_numeric
        if len(free):
            x[:, free] = self._draw_numeric(free, components, rng)
        for j in self.geometry.others:
            active = self.geometry.is_active(int(j), x)
            if active.any():
                x[active, j] = self._draw(int(j), components[active], rng)
        return x

    def sample_1d(self, j: int, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` draws of coordinate ``j`` from its own mixture (the kernels that have it)."""
        has = np.nonzero(~np.isnan(self.centers[:, j]))[0]
        has = np.append(has[has != len(self.centers) - 1], len(self.centers) - 1)
        return self._draw(j, rng.choice(has, size=n, p=probabilities(self.log_weights[has])), rng)

"""Tree-structured Parzen Estimator: propose where good trials are dense and bad ones are not.

Bergstra et al. (NeurIPS 2011), with the component choices Watanabe (2023, "Tree-structured
Parzen Estimator: Understanding Its Algorithm Components") found robust, which are also
Optuna's defaults:

- split: the best ``min(ceil(0.1 n), 25)`` observations are "good", the rest "bad";
- weights: the newest 25 observations weigh 1, older ones ramp down linearly to ``1/n``;
- a uniform prior component of weight 1 in both densities;
- 24 candidates drawn from the good density; the one maximizing ``log l(x) - log g(x)`` wins;
- each kernel as wide as the larger gap to its neighbours, clipped ("magic clip"); see
  ``rung.searchers._parzen``.

Trials proposed but not finished are added to the bad set (a "constant liar"), so parallel
workers get proposals spread away from each other. Failed and NaN trials rank last, so they
are bad, not ignored.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from rung.errors import ConfigError
from rung.searchers._observed import ModelSearcher, check_settings
from rung.searchers._parzen import ParzenEstimator

_FLAT_WEIGHTS = 25


def default_gamma(n: int) -> int:
    """How many of ``n`` ranked observations are "good" (Optuna's default)."""
    return min(math.ceil(0.1 * n), 25)


# The least weight a good observation gets with several objectives (Optuna's EPS is 1e-12;
# a floor that keeps dominated good points in the density at all).
_FLOOR_WEIGHT = 1e-12


@functools.lru_cache(maxsize=8)
def recency_weights(n: int) -> np.ndarray:
    """Weights of ``n`` observations in arrival order: old ones count less (read-only: the
    arrays are cached, as each suggestion asks for the same few sizes)."""
    weights = np.ones(n)
    if n >= _FLAT_WEIGHTS:
        weights[: n - _FLAT_WEIGHTS] = np.linspace(1.0 / n, 1.0, n - _FLAT_WEIGHTS)
    weights.flags.writeable = False
    return weights


def contribution_weights(scores: np.ndarray) -> np.ndarray:
    """Weights of the good observations with several objectives, as Optuna's multi-objective
    TPE gives them: each one's share of the hypervolume the good ones dominate (what the
    front would lose without it), relative to the largest; dominated ones and ties a floor.
    Needs moocore (``rung[multiobjective]``)."""
    try:
        import moocore
    except ImportError:
        raise ConfigError(
            "TPE with several objectives needs moocore: pip install 'rung[multiobjective]'"
        ) from None
    weights = np.full(len(scores), _FLOOR_WEIGHT)
    finite = np.isfinite(scores).all(axis=1)
    if finite.sum() < 2:
        return np.ones(len(scores))
    points = scores[finite]
    span = points.max(axis=0) - points.min(axis=0)
    reference = points.max(axis=0) + 0.1 * np.where(span > 0, span, 1.0)
    contributions = np.asarray(moocore.hv_contributions(points, ref=reference), dtype=float)
    if contributions.max() > 0:
        weights[finite] = np.maximum(contributions / contributions.max(), _FLOOR_WEIGHT)
    return weights


class TPESearch(ModelSearcher):
    """TPE over any rung space: continuous, log, integer, categorical and conditional; with
    several objectives, the good trials are the first in their Pareto order (non-dominated
    sorting, then crowding distance), as in Optuna's multi-objective TPE (Ozaki et al. 2020).

    Args:
        multivariate: model the parameters jointly (captures interactions); False models
            each parameter on its own, as the original TPE and HyperOpt do.
        n_startup: trials drawn quasi-randomly (scrambled Sobol) before the model is used.
        n_candidates: draws from the good density scored per proposal.
        constant_liar: count pending trials as bad, so parallel proposals differ.
        seed: the searcher's own seed, when used on its own.
    """

    several_objectives = True  # split by Pareto order (as Optuna's MOTPE)

    def __init__(
        self,
        multivariate: bool = True,
        n_startup: int = 10,
        n_candidates: int = 24,
        constant_liar: bool = True,
        seed: int | None = None,
    ) -> None:
        super().__init__(n_startup, seed)
        check_settings("TPESearch", {"n_candidates": (n_candidates, 1)}, {})
        self.multivariate = multivariate
        self.n_candidates = n_candidates
        self.constant_liar = constant_liar

    def split(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The good and bad encoded points with their weights (pending ones among the bad)."""
        self.rank_by_pareto_order()
        observed = self.observed
        good, bad = observed.split(default_gamma(len(observed)))
        bad_x = observed.x[bad]
        if self.constant_liar and self.pending:
            bad_x = np.vstack([bad_x, self.pending_points()])
        good_w = recency_weights(len(good))
        if self.objective.several:
            good_w = contribution_weights(np.array(self.scores, dtype=float)[good])
        return (observed.x[good], good_w, bad_x, recency_weights(len(bad_x)))

    def _propose(self) -> dict[str, Any]:
        good_x, good_w, bad_x, bad_w = self.split()
        good, bad = ParzenEstimator.several(self.geometry, [(good_x, good_w), (bad_x, bad_w)])
        if self.multivariate:
            candidates = good.sample(self.n_candidates, self.rng)
            good_pdf, bad_pdf = ParzenEstimator.log_pdfs([good, bad], candidates)
            score = good_pdf - bad_pdf
            return self.geometry.decode(candidates[int(np.argmax(score))])
        return self.geometry.decode(self._propose_each(good, bad))

    def _propose_each(self, good: ParzenEstimator, bad: ParzenEstimator) -> np.ndarray:
        """Each parameter chosen on its own, in space order so choices open sub-spaces."""
        x = np.full((1, self.geometry.d), np.nan)
        for j in range(self.geometry.d):
            if not self.geometry.is_active(j, x)[0]:
                continue
            candidates = good.sample_1d(j, self.n_candidates, self.rng)
            score = good.log_pdf_1d(j, candidates) - bad.log_pdf_1d(j, candidates)
            x[0, j] = candidates[int(np.argmax(score))]
        return x[0]

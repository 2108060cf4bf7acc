"""Gaussian-process Bayesian optimization: a Matern-5/2 model and log expected improvement.

The GP sees each numeric parameter as one input in [0, 1] (on its own scale: log parameters
in log space) and each categorical one as a one-hot block. Outputs are robustly standardized:
centred on the median, scaled by the median absolute deviation, with values far on the bad
side squashed logarithmically, so one diverged trial does not flatten the model; failed and NaN
trials take the worst observed value. Integers and categoricals are optimized as what they
are: the acquisition is evaluated only at valid values (candidates are snapped to them), and
after a gradient step on the continuous inputs, a local search tries neighbouring integer
values and every option of each categorical. Parallel proposals use the kriging believer:
pending trials join the data with the model's mean as their value.

With several objectives it is ParEGO (Knowles 2006) with a random weight per proposal: each
objective's scores are scaled to [0, 1] over the trials so far, a weight vector is drawn
uniformly from the simplex, and the GP models the augmented Chebyshev scalarization
``max_i w_i f_i + 0.05 * sum_i w_i f_i``; over proposals, the weights sweep the front.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import rung.searchers._gp as _gp
from rung.searchers._observed import INFEASIBLE, STOPPED, ModelSearcher, check_settings

# ParEGO's augmentation: the weighted sum's share beside the weighted maximum, which keeps
# points that are weakly dominated from scoring as well as those dominating them.
_AUGMENTATION = 0.05

# Above this many observations, hyperparameters are refitted from the previous fit only,
# and only once the data has grown by _REFIT_GROWTH, which keeps 1,000 observations usable.
_FULL_FIT_LIMIT = 200
_REFIT_GROWTH = 1.1
_RESTART_EVERY = 5
_ALWAYS_RESTART = 20
_SQUASH_AT = 2.0


def robust_standardize(loss: np.ndarray) -> tuple[np.ndarray, float]:
    """Losses as GP targets (mean 0, sd 1), with infinite (failed) ones set to the worst
    finite loss; centred on the median, scaled by the median absolute deviation, and
    squashed logarithmically beyond 2 deviations on the bad side. Returns the targets and
    the transformed best loss."""
    finite = np.isfinite(loss)
    y = np.where(finite, loss, loss[finite].max() if finite.any() else 0.0)
    median = np.median(y)
    scale = 1.4826 * np.median(np.abs(y - median))  # MAD: robust to half the values
    if scale <= 0:
        scale = y.std() or 1.0
    z = (y - median) / scale
    far = z > _SQUASH_AT
    z[far] = _SQUASH_AT + np.log1p(z[far] - _SQUASH_AT)
    sd = z.std() or 1.0
    z = (z - z.mean()) / sd
    return z, float(z.min())


class GPSearch(ModelSearcher):
    """Bayesian optimization with a Gaussian process and log expected improvement.

    Args:
        n_startup: trials drawn quasi-randomly (scrambled Sobol) before the model is used.
        n_candidates: random points scoring the acquisition before gradient refinement.
        n_restarts: random restarts of the hyperparameter fit, besides the previous fit.
        max_data: the most observations the model is fitted on (None: all). Beyond it, the
            GP sees the best half of that many and the most recent other half, which bounds
            a suggestion's cost at any budget (a GP's fit grows with the cube of its data).
        seed: the searcher's own seed, when used on its own.
    """

    several_objectives = True  # ParEGO: a random scalarization per proposal

    def __init__(
        self,
        n_startup: int = 10,
        n_candidates: int = 1024,
        n_restarts: int = 2,
        max_data: int | None = 300,
        seed: int | None = None,
    ) -> None:
        super().__init__(n_startup, seed)
        check_settings(
            "GPSearch", {"n_candidates": (n_candidates, 1), "n_restarts": (n_restarts, 0)}, {}
        )
        if max_data is not None:
            check_settings("GPSearch", {"max_data": (max_data, 2 * n_startup or 2)}, {})
        self.n_candidates = n_candidates
        self.n_restarts = n_restarts
        self.max_data = max_data

    def _setup(self) -> None:
        super()._setup()
        self._hyper: _gp.Hyper | None = None
        self._fitted_at = 0
        self._fits = 0
        dims = self.geometry.dims
        self._columns = []  # per parameter: its first feature column
        width = 0
        for dim in dims:
            self._columns.append(width)
            width += dim.size if dim.kind == "categorical" else 1
        self._width = width
        self._continuous = [j for j, dim in enumerate(dims) if dim.kind == "continuous"]

    # features ----------------------------------------------------------------------------

    def features(self, x: np.ndarray) -> np.ndarray:
        """GP inputs of encoded rows: numeric as is (0.5 when inactive), categoricals one-hot."""
        out = np.zeros((len(x), self._width))
        for j, dim in enumerate(self.geometry.dims):
            column, values = self._columns[j], x[:, j]
            active = ~np.isnan(values)
            if dim.kind == "categorical":
                rows = np.nonzero(active)[0]
                out[rows, column + values[active].astype(int)] = 1.0
            else:
                out[:, column] = np.where(active, values, 0.5)
        return out

    # model -------------------------------------------------------------------------------

    def _training_data(self) -> tuple[np.ndarray, np.ndarray]:
        observed = self.observed
        # Trials a scheduler stopped early report a smaller budget's value: only use them
        # when nothing ran to the end.
        keep = observed.tier != STOPPED
        if not keep.any():
            keep = np.ones(len(observed), dtype=bool)
        x, loss = observed.x[keep], observed.loss[keep]
        # A result past the constraints carries its violation, not a value: the GP takes
        # it as a failure, the worst seen (as Optuna's constrained GP avoids the region).
        loss = np.where(observed.tier[keep] == INFEASIBLE, np.inf, loss)
        limit = self.max_data
        if limit is None or len(loss) <= limit:
            return x, loss
        # The best half keeps the model sharp where the optimum is; the most recent half
        # keeps it up to date where the search is now.
        best = np.argsort(loss, kind="stable")[: limit // 2]
        rest = np.setdiff1d(np.arange(len(loss)), best)
        chosen = np.sort(np.concatenate([best, rest[-(limit - len(best)) :]]))
        return x[chosen], loss[chosen]

    def _fit(self, inputs: np.ndarray, targets: np.ndarray) -> _gp.Hyper:
        """Refit the hyperparameters, warm-started from the last fit. Restarts from the
        default and from the prior come every ``_RESTART_EVERY`` fits (and at the first);
        past ``_FULL_FIT_LIMIT`` observations, refits wait for the observations to grow."""
        n, dims = inputs.shape
        seen = len(self.observed)
        previous = self._hyper
        if previous is not None and n > _FULL_FIT_LIMIT:
            if seen < self._fitted_at * _REFIT_GROWTH:
                return previous
            hyper = _gp.fit(inputs, targets, [previous.vector()], maxiter=30)
        else:
            starts = [] if previous is None else [previous.vector()]
            if previous is None or n <= _ALWAYS_RESTART or self._fits % _RESTART_EVERY == 0:
                starts.append(_gp.Hyper.default(dims).vector())
                starts += [_gp.random_start(dims, self.rng) for _ in range(self.n_restarts)]
            hyper = _gp.fit(inputs, targets, starts, maxiter=50)
        self._hyper, self._fitted_at = hyper, seen
        self._fits += 1
        return hyper

    def scalarize(self) -> None:
        """With several objectives, set each ranked observation's loss to the augmented
        Chebyshev scalarization of its scaled scores under a weight vector drawn uniformly
        from the simplex (ParEGO)."""
        if not self.objective.several or not self.scores:
            return
        ranked = np.flatnonzero(self.observed.tier <= STOPPED)  # infeasible keep theirs
        if not len(ranked):
            return
        scores = np.array(self.scores, dtype=float)[ranked]
        low, span = scores.min(axis=0), np.ptp(scores, axis=0)
        scaled = (scores - low) / np.where(span > 0, span, 1.0)
        weighted = scaled * self.rng.dirichlet(np.ones(scores.shape[1]))
        scalar = weighted.max(axis=1) + _AUGMENTATION * weighted.sum(axis=1)
        self.observed.loss[ranked] = scalar

    def _propose(self) -> dict[str, Any]:
        self.scalarize()
        x, loss = self._training_data()
        targets, best = robust_standardize(loss)
        inputs = self.features(x)
        hyper = self._fit(inputs, targets)
        model = _gp.Posterior(inputs, targets, hyper)
        if self.pending:
            # Kriging believer: pending trials count as done, at the value the model expects.
            pending = self.features(self.pending_points())
            believed, _ = model.predict(pending)
            model = _gp.Posterior(
                np.vstack([inputs, pending]), np.concatenate([targets, believed]), hyper
            )
        return self.geometry.decode(self._maximize(model, best, x[np.argsort(loss)[:5]]))

    # acquisition -------------------------------------------------------------------------

    def _score(self, model: _gp.Posterior, best: float, x: np.ndarray) -> np.ndarray:
        mean, sd = model.predict(self.features(x))
        return _gp.log_expected_improvement(mean, sd, best)

    def _maximize(self, model: _gp.Posterior, best: float, incumbents: np.ndarray) -> np.ndarray:
        """Random and local candidates, the best few refined by gradient on the continuous
        inputs, then a discrete local search on integers and categoricals."""
        geometry = self.geometry
        rng = self.rng
        uniform = geometry.complete(np.full((self.n_candidates, geometry.d), np.nan), rng)
        local = np.repeat(incumbents, 64, axis=0)
        numeric = ~geometry.categorical
        noise = rng.normal(0.0, 0.05, local.shape) * numeric
        local = np.where(np.isnan(local), np.nan, local + np.nan_to_num(noise))
        local[:, numeric] = np.clip(local[:, numeric], 0.0, 1.0)
        candidates = geometry.canonical(np.vstack([uniform, local]))
        scores = self._score(model, best, candidates)
        top = np.argsort(-scores)[:3]
        refined = np.array([self._refine(model, best, candidates[i]) for i in top])
        winner = refined[int(np.argmax(self._score(model, best, refined)))]
        return self._discrete_search(model, best, winner)

    def _refine(self, model: _gp.Posterior, best: float, point: np.ndarray) -> np.ndarray:
        """Gradient ascent of log EI over the point's active continuous coordinates."""
        from scipy.optimize import minimize
        from scipy.special import log_ndtr

        free = [j for j in self._continuous if not np.isnan(point[j])]
        if not free:
            return point
        columns = [self._columns[j] for j in free]
        base = self.features(point[None, :])[0]

        def objective(values: np.ndarray) -> tuple[float, np.ndarray]:
            inputs = base.copy()
            inputs[columns] = values
            mean, sd, d_mean, d_sd = model.predict_with_gradient(inputs)
            z = (best - mean) / sd
            log_h = float(_gp.log_h(np.array([z]))[0])
            dz = (-d_mean - z * d_sd) / sd
            gradient = math.exp(float(log_ndtr(z)) - log_h) * dz + d_sd / sd
            return -(log_h + math.log(sd)), -gradient[columns]

        result = minimize(
            objective,
            point[free],
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, 1.0)] * len(free),
            options={"maxiter": 30},
        )
        refined = point.copy()
        refined[free] = result.x
        return refined

    def _discrete_search(self, model: _gp.Posterior, best: float, point: np.ndarray) -> np.ndarray:
        """Improve integers and categoricals one coordinate at a time (two sweeps)."""
        geometry = self.geometry
        current, current_score = point, self._score(model, best, point[None, :])[0]
        for _ in range(2):
            for j, dim in enumerate(geometry.dims):
                if dim.kind == "continuous" or np.isnan(current[j]):
                    continue
                if dim.kind == "categorical":
                    values = np.arange(dim.size, dtype=float)
                else:
                    centers = geometry._bins(j)[1]
                    index = int(np.argmin(np.abs(centers - current[j])))
                    values = centers[max(index - 2, 0) : index + 3]
                trials = np.repeat(current[None, :], len(values), axis=0)
                trials[:, j] = values
                trials = geometry.complete(trials, self.rng)
                scores = self._score(model, best, trials)
                if scores.max() > current_score:
                    current, current_score = trials[int(np.argmax(scores))], scores.max()
        return current

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

With two objectives (and three over at most 12 parameters) each objective has its own GP and
proposals maximize the exact log expected hypervolume improvement over the feasible front
(``rung.searchers._ehvi``); a result past the constraints keeps its values, and a GP of the
violation multiplies in the probability of feasibility. With more objectives it is ParEGO
(Knowles 2006) with a random weight per proposal: each objective's scores are scaled to
[0, 1] over the trials so far, a weight vector is drawn uniformly from the simplex, and the
GP models the augmented Chebyshev scalarization ``max_i w_i f_i + 0.05 * sum_i w_i f_i``;
over proposals, the weights sweep the front.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import numpy as np

import rung.searchers._gp as _gp
from rung.pareto import non_dominated
from rung.searchers._ehvi import log_ehvi, log_ehvi_with_gradient, non_dominated_boxes
from rung.searchers._observed import (
    COMPLETE,
    INFEASIBLE,
    STOPPED,
    ModelSearcher,
    check_settings,
)

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

# Two objectives, and three over at most this many parameters, are proposed by expected
# hypervolume improvement (its boxes grow with the front to the power of the objectives less
# one); otherwise by ParEGO. On DTLZ2 with 30 variables EHVI ended at 5.1 where ParEGO
# reached 13.9; with 6 both were level (14.94 and 14.92); 12 is where a GP's edge ends for
# one objective (``auto``).
_EHVI_MAX_DIM_THREE = 12
# The reference point of the searcher's hypervolume: past the worst value each objective
# took, by this share of its range, so that the front's ends still count.
_REFERENCE_MARGIN = 0.1
# How many points of the front seed local candidates for EHVI (chosen at random).
_FRONT_INCUMBENTS = 40


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


class _Acquisition(Protocol):
    """What proposals maximize, over GP inputs."""

    def values(self, inputs: np.ndarray) -> np.ndarray: ...

    def with_gradient(self, inputs: np.ndarray) -> tuple[float, np.ndarray]: ...


class _ExpectedImprovement:
    """log EI below the best standardized loss."""

    def __init__(self, model: _gp.Posterior, best: float) -> None:
        self.model, self.best = model, best

    def values(self, inputs: np.ndarray) -> np.ndarray:
        mean, sd = self.model.predict(inputs)
        return _gp.log_expected_improvement(mean, sd, self.best)

    def with_gradient(self, inputs: np.ndarray) -> tuple[float, np.ndarray]:
        from scipy.special import log_ndtr

        mean, sd, d_mean, d_sd = self.model.predict_with_gradient(inputs)
        z = (self.best - mean) / sd
        log_h = float(_gp.log_h(np.array([z]))[0])
        dz = (-d_mean - z * d_sd) / sd
        gradient = math.exp(float(log_ndtr(z)) - log_h) * dz + d_sd / sd
        return log_h + math.log(sd), gradient


class _HypervolumeImprovement:
    """log EHVI of one GP per objective over the boxes the front leaves undominated."""

    def __init__(self, models: list[_gp.Posterior], lower: np.ndarray, upper: np.ndarray) -> None:
        self.models, self.lower, self.upper = models, lower, upper

    def values(self, inputs: np.ndarray) -> np.ndarray:
        predictions = [model.predict(inputs) for model in self.models]
        mean = np.column_stack([p[0] for p in predictions])
        sd = np.column_stack([p[1] for p in predictions])
        return log_ehvi(mean, sd, self.lower, self.upper)

    def with_gradient(self, inputs: np.ndarray) -> tuple[float, np.ndarray]:
        predictions = [model.predict_with_gradient(inputs) for model in self.models]
        mean = np.array([p[0] for p in predictions])
        sd = np.array([p[1] for p in predictions])
        value, by_mean, by_sd = log_ehvi_with_gradient(mean, sd, self.lower, self.upper)
        gradient = sum(by_mean[i] * p[2] + by_sd[i] * p[3] for i, p in enumerate(predictions))
        return value, np.asarray(gradient)


class _Feasible:
    """An acquisition plus log P(feasible): the chance that a GP of the constraints'
    violation puts a point at or below the threshold (zero, standardized)."""

    def __init__(self, inner: _Acquisition, model: _gp.Posterior, threshold: float) -> None:
        self.inner, self.model, self.threshold = inner, model, threshold

    def values(self, inputs: np.ndarray) -> np.ndarray:
        from scipy.special import log_ndtr

        mean, sd = self.model.predict(inputs)
        return self.inner.values(inputs) + log_ndtr((self.threshold - mean) / sd)

    def with_gradient(self, inputs: np.ndarray) -> tuple[float, np.ndarray]:
        from scipy.special import log_ndtr

        value, gradient = self.inner.with_gradient(inputs)
        mean, sd, d_mean, d_sd = self.model.predict_with_gradient(inputs)
        z = (self.threshold - mean) / sd
        log_cdf = float(log_ndtr(z))
        ratio = math.exp(-0.5 * z * z - 0.5 * _gp._LOG_2PI - log_cdf)  # phi(z) / Phi(z)
        return value + log_cdf, gradient + ratio * (-d_mean - z * d_sd) / sd


def _standardize_around_zero(violation: np.ndarray) -> tuple[np.ndarray, float]:
    """Violations as GP targets (mean 0, sd 1), and where zero, the feasibility threshold,
    falls on that scale."""
    mean, sd = violation.mean(), violation.std() or 1.0
    return (violation - mean) / sd, float(-mean / sd)


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

    several_objectives = True  # hypervolume improvement, or ParEGO's scalarizations

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
        self._hyper: dict[int, _gp.Hyper] = {}
        self._fitted_at: dict[int, int] = {}
        self._fits: dict[int, int] = {}
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

    def _fit(self, inputs: np.ndarray, targets: np.ndarray, slot: int = 0) -> _gp.Hyper:
        """Refit the hyperparameters of one model (``slot``: the objective with several),
        warm-started from its last fit. Restarts from the default and from the prior come
        every ``_RESTART_EVERY`` fits (and at the first); past ``_FULL_FIT_LIMIT``
        observations, refits wait for the observations to grow."""
        n, dims = inputs.shape
        seen = len(self.observed)
        previous = self._hyper.get(slot)
        fits = self._fits.get(slot, 0)
        if previous is not None and n > _FULL_FIT_LIMIT:
            if seen < self._fitted_at[slot] * _REFIT_GROWTH:
                return previous
            hyper = _gp.fit(inputs, targets, [previous.vector()], maxiter=30)
        else:
            starts = [] if previous is None else [previous.vector()]
            if previous is None or n <= _ALWAYS_RESTART or fits % _RESTART_EVERY == 0:
                starts.append(_gp.Hyper.default(dims).vector())
                starts += [_gp.random_start(dims, self.rng) for _ in range(self.n_restarts)]
            hyper = _gp.fit(inputs, targets, starts, maxiter=50)
        self._hyper[slot], self._fitted_at[slot] = hyper, seen
        self._fits[slot] = fits + 1
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
        objectives = len(self.objective.metrics)
        if objectives == 2 or (objectives == 3 and self.space.dim <= _EHVI_MAX_DIM_THREE):
            return self._propose_by_hypervolume()
        self.scalarize()
        rows = self._training_rows()
        x, loss = self.observed.x[rows], self._losses(rows)
        targets, best = robust_standardize(loss)
        inputs = self.features(x)
        acquisition = _ExpectedImprovement(self._model(inputs, targets, 0), best)
        incumbents = x[np.argsort(loss)[:5]]
        return self.geometry.decode(self._maximize(acquisition, incumbents, 64, 0.05))

    def _propose_by_hypervolume(self) -> dict[str, Any]:
        """One GP per objective and the expected hypervolume improvement over the front of
        the finished, feasible trials, all in the models' standardized units; with results
        past the constraints, times the probability of feasibility under a GP of the
        violation (as Optuna's constrained GPSampler)."""
        self.rank_by_pareto_order()
        rows = self._training_rows()
        x, tier = self.observed.x[rows], self.observed.tier[rows]
        scores = np.array(self.scores, dtype=float)[rows]
        inputs = self.features(x)
        models, columns = [], []
        for slot in range(scores.shape[1]):
            # An infeasible result keeps its values: the objectives are smooth across the
            # constraints' border, which the feasibility model draws.
            targets, _ = robust_standardize(scores[:, slot])
            models.append(self._model(inputs, targets, slot))
            columns.append(targets)
        standardized = np.column_stack(columns)
        finished = tier == COMPLETE if (tier == COMPLETE).any() else tier <= STOPPED
        front = standardized[finished]
        if self.pending:  # the kriging believer: pending trials at the values expected
            front = np.vstack([front, np.column_stack([m.y[len(x) :] for m in models])])
        low, high = standardized.min(axis=0), standardized.max(axis=0)
        reference = high + _REFERENCE_MARGIN * np.maximum(high - low, 1e-9)
        boxes = non_dominated_boxes(front, reference)
        acquisition: _Acquisition = _HypervolumeImprovement(models, *boxes)
        if (tier == INFEASIBLE).any():
            violation = np.array(self.violations)[rows]
            known = np.isfinite(violation)  # a failed trial has none
            targets, threshold = _standardize_around_zero(violation[known])
            feasibility = self._model(inputs[known], targets, len(models))
            acquisition = _Feasible(acquisition, feasibility, threshold)
        # Local candidates around many points of the front, near each: EHVI's best points
        # lie between and beyond the front's points, all along it.
        on_front = np.flatnonzero(finished)[non_dominated(front[: int(finished.sum())])]
        count = min(_FRONT_INCUMBENTS, len(on_front))
        incumbents = x[self.rng.choice(on_front, size=count, replace=False)]
        return self.geometry.decode(self._maximize(acquisition, incumbents, 8, 0.02))

    def _model(self, inputs: np.ndarray, targets: np.ndarray, slot: int) -> _gp.Posterior:
        """The GP of one output (its hyperparameters refitted), believing pending trials."""
        hyper = self._fit(inputs, targets, slot)
        return self._believing_pending(_gp.Posterior(inputs, targets, hyper))

    def _training_rows(self) -> np.ndarray:
        """The observations the model is fitted on: those that ran to their end (trials a
        scheduler stopped report a smaller budget's value: used only when nothing ran to
        the end), at most ``max_data`` of them, the best half and the most recent half."""
        observed = self.observed
        rows = np.flatnonzero(observed.tier != STOPPED)
        if not len(rows):
            rows = np.arange(len(observed))
        limit = self.max_data
        if limit is None or len(rows) <= limit:
            return rows
        loss = self._losses(rows)
        best = np.argsort(loss, kind="stable")[: limit // 2]
        rest = np.setdiff1d(np.arange(len(rows)), best)
        return rows[np.sort(np.concatenate([best, rest[-(limit - len(best)) :]]))]

    def _losses(self, rows: np.ndarray) -> np.ndarray:
        """The losses of ``rows``; a result past the constraints carries its violation, not
        a value: the GP takes it as a failure, the worst seen (as Optuna's constrained GP
        avoids the region)."""
        observed = self.observed
        return np.where(observed.tier[rows] == INFEASIBLE, np.inf, observed.loss[rows])

    def _believing_pending(self, model: _gp.Posterior) -> _gp.Posterior:
        """The kriging believer: pending trials join the data at the value the model
        expects there, so that parallel proposals spread out."""
        if not self.pending:
            return model
        pending = self.features(self.pending_points())
        believed, _ = model.predict(pending)
        return _gp.Posterior(
            np.vstack([model.x, pending]), np.concatenate([model.y, believed]), model.hyper
        )

    # acquisition -------------------------------------------------------------------------

    def _score(self, acquisition: _Acquisition, x: np.ndarray) -> np.ndarray:
        return acquisition.values(self.features(x))

    def _maximize(
        self, acquisition: _Acquisition, incumbents: np.ndarray, per_incumbent: int, spread: float
    ) -> np.ndarray:
        """Random candidates and ``per_incumbent`` local ones around each incumbent (normal
        steps of ``spread`` on the unit range), the best few refined by gradient on the
        continuous inputs, then a discrete local search on integers and categoricals."""
        geometry = self.geometry
        rng = self.rng
        uniform = geometry.complete(np.full((self.n_candidates, geometry.d), np.nan), rng)
        local = np.repeat(incumbents, per_incumbent, axis=0)
        numeric = ~geometry.categorical
        noise = rng.normal(0.0, spread, local.shape) * numeric
        local = np.where(np.isnan(local), np.nan, local + np.nan_to_num(noise))
        local[:, numeric] = np.clip(local[:, numeric], 0.0, 1.0)
        candidates = geometry.canonical(np.vstack([uniform, local]))
        scores = self._score(acquisition, candidates)
        top = np.argsort(-scores)[:3]
        refined = np.array([self._refine(acquisition, candidates[i]) for i in top])
        winner = refined[int(np.argmax(self._score(acquisition, refined)))]
        return self._discrete_search(acquisition, winner)

    def _refine(self, acquisition: _Acquisition, point: np.ndarray) -> np.ndarray:
        """Gradient ascent of the acquisition over the point's active continuous coordinates."""
        from scipy.optimize import minimize

        free = [j for j in self._continuous if not np.isnan(point[j])]
        if not free:
            return point
        columns = [self._columns[j] for j in free]
        base = self.features(point[None, :])[0]

        def objective(values: np.ndarray) -> tuple[float, np.ndarray]:
            inputs = base.copy()
            inputs[columns] = values
            value, gradient = acquisition.with_gradient(inputs)
            return -value, -gradient[columns]

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

    def _discrete_search(self, acquisition: _Acquisition, point: np.ndarray) -> np.ndarray:
        """Improve integers and categoricals one coordinate at a time (two sweeps)."""
        geometry = self.geometry
        current, current_score = point, self._score(acquisition, point[None, :])[0]
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
                scores = self._score(acquisition, trials)
                if scores.max() > current_score:
                    current, current_score = trials[int(np.argmax(scores))], scores.max()
        return current

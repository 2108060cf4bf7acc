"""Learning-curve extrapolation: stop a trial whose curve will not beat the best.

In the spirit of Domhan, Springenberg and Hutter, "Speeding up Automatic Hyperparameter
Optimization of Deep Neural Networks by Extrapolation of Learning Curves", IJCAI 2015.
What rung implements is a light version of their idea, not their model:

- three parametric families are fitted to a trial's partial curve by least squares
  (``scipy.optimize.curve_fit``): power law ``a + b * t**-c``, exponential
  ``a + b * exp(-c * t)`` and logarithmic ``a + b * log(t)``;
- they are combined with BIC weights (instead of Domhan et al.'s MCMC over eleven families);
- the prediction at ``max_t`` gets a normal predictive distribution whose variance adds the
  residual variance and the spread between families;
- the trial stops when the probability that its final score beats the best score seen so far
  (over all trials and budgets) is below ``threshold``.

Fits run when a trial has ``min_points`` results and then each time its number of results
doubles, so a trial costs O(log T) fits.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from rung.errors import ConfigError
from rung.schedulers._common import budget_of, check_positive
from rung.schedulers.base import Scheduler
from rung.trial import CONTINUE, FINISH, STOP, Decision, Trial


def _power(t, a, b, c):
    return a + b * np.power(t, -c)


def _exponential(t, a, b, c):
    return a + b * np.exp(-c * t)


def _logarithmic(t, a, b):
    return a + b * np.log(t)


FAMILIES: dict[str, Callable[..., Any]] = {
    "power": _power,
    "exponential": _exponential,
    "log": _logarithmic,
}


def extrapolate(budgets: np.ndarray, scores: np.ndarray, horizon: float) -> tuple[float, float]:
    """Mean and standard deviation of the curve's predicted score at ``horizon``."""
    from scipy import optimize

    scale = max(float(budgets.max()), 1e-12)
    t, target = budgets / scale, horizon / scale
    spread = float(np.ptp(scores)) or 1.0
    predictions, weights, residual_variances = [], [], []
    n = len(t)
    for family in FAMILIES.values():
        parameters = family.__code__.co_argcount - 1
        start = [scores[-1], scores[0] - scores[-1], 1.0][:parameters]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitted, _ = optimize.curve_fit(family, t, scores, p0=start, maxfev=2000)
        except (RuntimeError, ValueError, optimize.OptimizeWarning):
            continue
        residual = scores - family(t, *fitted)
        variance = max(float(np.mean(residual**2)), (1e-3 * spread) ** 2)
        prediction = float(family(target, *fitted))
        if not math.isfinite(prediction):
            continue
        bic = n * math.log(variance) + parameters * math.log(n)
        predictions.append(prediction)
        weights.append(bic)
        residual_variances.append(variance)
    if not predictions:
        return float(scores[-1]), spread
    bics = np.array(weights)
    w = np.exp(-(bics - bics.min()) / 2)
    w /= w.sum()
    mean = float(np.dot(w, predictions))
    between = float(np.dot(w, (np.array(predictions) - mean) ** 2))
    within = float(np.dot(w, residual_variances))
    return mean, math.sqrt(within + between)


class CurveStoppingRule(Scheduler):
    """Stop trials whose extrapolated final score is unlikely to beat the best so far.

    Args:
        time_attr: the reported key that measures budget.
        max_t: the budget the curve is extrapolated to (and at which a trial is complete).
        min_points: results a trial needs before its curve is judged.
        threshold: stop when P(final score better than the best) falls below this.
    """

    max_t: float  # always set: its budget

    time_attr: str

    def __init__(
        self,
        time_attr: str = "training_iteration",
        max_t: float = 100,
        min_points: int = 4,
        threshold: float = 0.05,
    ) -> None:
        check_positive(type(self).__name__, max_t=max_t)
        if not isinstance(min_points, int) or min_points < 3:
            raise ConfigError(f"CurveStoppingRule(min_points={min_points!r}): must be >= 3")
        if not 0 < threshold < 1:
            raise ConfigError(f"CurveStoppingRule(threshold={threshold!r}): use (0, 1)")
        self.time_attr = time_attr
        self.max_t = max_t
        self.min_points = min_points
        self.threshold = threshold

    def _setup(self) -> None:
        self._curves: dict[str, tuple[list[float], list[float]]] = {}
        self._best = math.inf

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> Decision:
        budget = budget_of(result, self.time_attr)
        score = self.objective.score(result)
        budgets, scores = self._curves.setdefault(trial.trial_id, ([], []))
        if math.isfinite(score):
            budgets.append(budget)
            scores.append(score)
        best_before = self._best
        self._best = min(self._best, score)
        if budget >= self.max_t:
            return FINISH
        if not self._due(len(scores)) or not math.isfinite(best_before):
            return CONTINUE
        mean, sd = extrapolate(np.array(budgets), np.array(scores), self.max_t)
        probability_better = 0.5 * math.erfc((mean - best_before) / (sd * math.sqrt(2)))
        if probability_better < self.threshold:
            return STOP
        return CONTINUE

    def _due(self, points: int) -> bool:
        """Judge at ``min_points`` results, then whenever the count reaches a power of two."""
        is_power_of_two = points & (points - 1) == 0
        return points == self.min_points or (points > self.min_points and is_power_of_two)

    def on_trial_complete(self, trial: Trial, result: dict[str, Any] | None) -> None:
        self._curves.pop(trial.trial_id, None)

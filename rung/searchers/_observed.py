"""The base of searchers that learn: what they observed, ranked, and a quasi-random start.

Every finished trial is kept, as its encoded configuration and a loss (the metric, negated
when maximizing). A trial that failed, or reported NaN or nothing, is kept too, with an
infinite loss: it counts as bad rather than vanishing from the model. Ranking follows
Optuna's convention for early-stopped trials: trials that ran to their end come first, by
loss; then those a scheduler stopped, the longer-trained first; then those whose result
broke the experiment's constraints, the least violating first (as Optuna's constrained TPE
and GP rank them after every feasible one); then the failed ones.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any

import numpy as np

from rung.errors import ConfigError
from rung.objective import is_number
from rung.pareto import pareto_ranks
from rung.searchers._geometry import Geometry
from rung.searchers.base import Searcher
from rung.searchers.quasirandom import QuasiRandomSearch

COMPLETE, STOPPED, INFEASIBLE, FAILED = 0, 1, 2, 3


def check_settings(
    owner: str, counts: dict[str, tuple[int, int]], fractions: dict[str, float]
) -> None:
    """Refuse counts below their minimum and fractions outside [0, 1], naming the knob.

    Args:
        owner: the class, as the user wrote it.
        counts: setting name to ``(value, minimum)``.
        fractions: setting name to value.
    """
    for name, (value, minimum) in counts.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise ConfigError(f"{owner}({name}={value!r}): must be an int >= {minimum}")
    for name, fraction in fractions.items():
        if not is_number(fraction) or not 0.0 <= fraction <= 1.0:
            raise ConfigError(f"{owner}({name}={fraction!r}): must be a number in [0, 1]")


class Observations:
    """Encoded configurations, losses, budgets and tiers, in arrays that grow by doubling."""

    def __init__(self, d: int) -> None:
        self._n = 0
        self._x = np.empty((16, d))
        self._columns = np.empty((3, 16))

    def __len__(self) -> int:
        return self._n

    def add(self, x: np.ndarray, loss: float, budget: float, tier: int) -> None:
        if self._n == len(self._x):
            self._x = np.vstack([self._x, np.empty_like(self._x)])
            self._columns = np.hstack([self._columns, np.empty_like(self._columns)])
        self._x[self._n] = x
        self._columns[:, self._n] = (loss, budget, tier)
        self._n += 1

    @property
    def x(self) -> np.ndarray:
        return self._x[: self._n]

    @property
    def loss(self) -> np.ndarray:
        return self._columns[0, : self._n]

    @property
    def budget(self) -> np.ndarray:
        return self._columns[1, : self._n]

    @property
    def tier(self) -> np.ndarray:
        return self._columns[2, : self._n]

    def ranking(self) -> np.ndarray:
        """Indices from best to worst: complete by loss, then stopped (longest first), then
        failed; ties keep the order of arrival."""
        return np.lexsort((self.loss, -self.budget, self.tier))

    def split(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The indices of the ``k`` best observations and of the others, each in order of
        arrival: the first ``k`` and the rest of ``ranking()``, without sorting everything
        when all observations share one tier and budget (the usual case)."""
        tier, budget, loss = self.tier, self.budget, self.loss
        if not 0 < k < self._n or tier.min() != tier.max() or budget.min() != budget.max():
            order = self.ranking()
            return np.sort(order[:k]), np.sort(order[k:])
        threshold = np.partition(loss, k - 1)[k - 1]
        best = loss < threshold
        ties = np.flatnonzero(loss == threshold)[: k - int(best.sum())]
        best[ties] = True  # ties at the threshold go to the earliest, as in ranking()
        return np.flatnonzero(best), np.flatnonzero(~best)


class ModelSearcher(Searcher):
    """A searcher that starts quasi-random and then proposes from a model of what it saw.

    Args:
        n_startup: trials proposed by a scrambled Sobol sequence before the model is used.
        seed: the searcher's own seed, when used on its own.
    """

    def __init__(self, n_startup: int = 10, seed: int | None = None) -> None:
        super().__init__(seed)
        check_settings(type(self).__name__, {"n_startup": (n_startup, 0)}, {})
        self.n_startup = n_startup

    def _setup(self) -> None:
        self.geometry = Geometry(self.space)
        self.observed = Observations(self.space.dim)
        self._explore = QuasiRandomSearch().setup(self.space, rng=self.rng)
        self._suggested = 0
        # With several objectives, each observation's scores: its loss is then its place in
        # their Pareto order (``rank_by_pareto_order``), not a value of its own.
        self.scores: list[tuple[float, ...]] = []
        # Each observation's violation of the constraints (<= 0: feasible; NaN: not known).
        self.violations: list[float] = []

    def rank_by_pareto_order(self) -> None:
        """With several objectives, set each observation's loss to its rank in the Pareto
        order of all of them (front, then crowding: ``rung.pareto``), so that what splits
        or ranks by loss splits by Pareto order, as Optuna's multi-objective TPE does."""
        if not self.objective.several or not self.scores:
            return
        scores = np.array(self.scores, dtype=float)
        ranked = np.flatnonzero(self.observed.tier <= STOPPED)  # infeasible keep their violation
        self.observed.loss[ranked] = pareto_ranks(scores[ranked])

    def _suggest(self, trial_id: str) -> dict[str, Any] | None:
        self._suggested += 1
        if self._suggested <= self.n_startup or len(self.observed) == 0:
            return self._explore._suggest(trial_id)
        return self._propose()

    @abstractmethod
    def _propose(self) -> dict[str, Any] | None:
        """A configuration from the model (called once there are observations)."""

    def restore(self, trial_id: str, config: dict[str, Any]) -> None:
        """Replay a suggestion made before a resume: the start-up sequence moves past it and
        the trial is pending. The model is not refitted per replayed trial (it is rebuilt
        from the replayed results), so proposals after a resume follow the same observations
        but not the same random draws."""
        self._suggested += 1
        if self._suggested <= self.n_startup:
            self._explore._suggest(trial_id)
        self.pending[trial_id] = config

    def adopt(self, trial_id: str, config: dict[str, Any]) -> None:
        """A starting point counts as one of the start-up proposals, as Optuna counts its
        enqueued trials: ten points and ``n_startup=10`` go straight to the model."""
        self._suggested += 1
        self.pending[trial_id] = config

    def _observe(
        self,
        trial_id: str,
        config: dict[str, Any] | None,
        result: Mapping[str, Any] | None,
        failed: bool,
        stopped_early: bool,
        violation: float | None = None,
    ) -> None:
        if config is None:
            return
        if self.objective.several:  # ranked among the others when the model is fitted
            scores = self.objective.scores(result)
            loss = math.inf if math.inf in scores else 0.0
            self.scores.append(scores)
        else:
            loss = self.objective.score(result)
        if failed or math.isinf(loss):
            tier = FAILED
        elif violation is not None and violation > 0:
            tier, loss = INFEASIBLE, violation
        else:
            tier = STOPPED if stopped_early else COMPLETE
        budget = float((result or {}).get("training_iteration", 0) or 0)
        self.violations.append(math.nan if violation is None else float(violation))
        self.observed.add(self.space.encode(config), loss, budget, tier)

    def pending_points(self) -> np.ndarray:
        """Encoded configurations of the trials proposed and not yet finished."""
        if not self.pending:
            return np.empty((0, self.space.dim))
        return np.array([self.space.encode(c) for c in self.pending.values()])

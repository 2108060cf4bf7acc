"""ASHA: asynchronous successive halving, and asynchronous Hyperband (several brackets).

Li et al., "A System for Massively Parallel Hyperparameter Tuning", MLSys 2020. Rungs sit at
``grace_period * reduction_factor**k`` (up to ``max_t``) in units of ``time_attr``. When a
trial first reaches a rung, its score joins the scores recorded there so far; it goes on only
if it ranks in the top ``1 / reduction_factor`` of them (at least the best one), else it
stops. No trial ever waits for others, so workers never idle: the stopping variant of ASHA.
With ``brackets > 1``, trials are spread over brackets whose first rung is higher by a factor
of ``reduction_factor`` each, hedging against stopping slow starters too early (asynchronous
Hyperband). No checkpoints are needed: stopped trials never come back.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rung.errors import ConfigError
from rung.schedulers._common import budget_of, check_positive, score_of
from rung.schedulers.base import Scheduler
from rung.trial import CONTINUE, FINISH, STOP, Decision, Trial


@dataclass
class _Rung:
    milestone: float
    scores: list[float] = field(default_factory=list)
    recorded: set[str] = field(default_factory=set)

    def admit(self, trial_id: str, score: float, reduction_factor: float) -> bool:
        """Record a score; whether it is in the top 1/reduction_factor (at least the best)."""
        rank = bisect.bisect_left(self.scores, score) + 1
        bisect.insort(self.scores, score)
        self.recorded.add(trial_id)
        return rank <= max(1, int(len(self.scores) / reduction_factor))


class ASHAScheduler(Scheduler):
    """Asynchronous successive halving.

    Args:
        time_attr: the reported key that measures budget (any increasing one: epochs,
            steps, seconds, samples).
        max_t: the budget at which a trial is complete.
        grace_period: budget every trial gets before it can be stopped (the first rung).
        reduction_factor: eta; a rung keeps the top 1/eta of the trials that reach it.
        brackets: how many brackets (1 is ASHA; more is asynchronous Hyperband).
    """

    def __init__(
        self,
        time_attr: str = "training_iteration",
        max_t: float = 100,
        grace_period: float = 1,
        reduction_factor: float = 3,
        brackets: int = 1,
    ) -> None:
        name = type(self).__name__
        check_positive(name, max_t=max_t, grace_period=grace_period)
        if grace_period > max_t:
            raise ConfigError(f"{name}(grace_period={grace_period}) must not exceed max_t={max_t}")
        if not reduction_factor > 1:
            raise ConfigError(f"{name}(reduction_factor={reduction_factor!r}): must be > 1")
        if not isinstance(brackets, int) or brackets < 1:
            raise ConfigError(f"{name}(brackets={brackets!r}): must be an int >= 1")
        self.time_attr = time_attr
        self.max_t = max_t
        self.grace_period = grace_period
        self.reduction_factor = reduction_factor
        self.brackets = brackets

    def setup(
        self,
        metric: str,
        mode: str,
        rng: np.random.Generator | None = None,
        num_trials: int | None = None,
    ) -> None:
        super().setup(metric, mode, rng, num_trials)
        milestones = self.milestones()
        count = min(self.brackets, len(milestones))
        self._brackets = [[_Rung(m) for m in milestones[b:]] for b in range(count)]
        # Hyperband's allocation: a bracket with s halvings gets eta^s / (s + 1) of the trials.
        halvings = np.array([len(rungs) - 1 for rungs in self._brackets], dtype=float)
        weights = self.reduction_factor**halvings / (halvings + 1)
        self._bracket_probabilities = weights / weights.sum()
        self._bracket_of: dict[str, int] = {}

    def milestones(self) -> list[float]:
        """The rungs: ``grace_period * eta**k`` for every k that stays within ``max_t``."""
        rungs, k = [], 0
        while self.grace_period * self.reduction_factor**k <= self.max_t * (1 + 1e-12):
            rungs.append(self.grace_period * self.reduction_factor**k)
            k += 1
        return rungs

    def on_trial_add(self, trial: Trial) -> None:
        if len(self._brackets) == 1:
            self._bracket_of[trial.trial_id] = 0
        else:
            bracket = self.rng.choice(len(self._brackets), p=self._bracket_probabilities)
            self._bracket_of[trial.trial_id] = int(bracket)

    def bracket_of(self, trial_id: str) -> int:
        """The bracket a trial was assigned to (0 starts at ``grace_period``)."""
        return self._bracket_of[trial_id]

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> Decision:
        budget = budget_of(result, self.time_attr)
        if budget >= self.max_t:
            return FINISH
        score = score_of(result, self.metric, self.mode)
        trial_id = trial.trial_id
        for rung in self._brackets[self._bracket_of.setdefault(trial_id, 0)]:
            if budget < rung.milestone:
                break
            if trial_id not in rung.recorded and not rung.admit(
                trial_id, score, self.reduction_factor
            ):
                return STOP
        return CONTINUE


class AsyncHyperBandScheduler(ASHAScheduler):
    """Asynchronous Hyperband: ASHA over every possible bracket by default."""

    def __init__(
        self,
        time_attr: str = "training_iteration",
        max_t: float = 100,
        grace_period: float = 1,
        reduction_factor: float = 3,
        brackets: int | None = None,
    ) -> None:
        count = brackets
        if count is None:
            count = len(
                ASHAScheduler(time_attr, max_t, grace_period, reduction_factor).milestones()
            )
        super().__init__(time_attr, max_t, grace_period, reduction_factor, count)

"""ASHA: asynchronous successive halving, and asynchronous Hyperband (several brackets).

Li et al., "A System for Massively Parallel Hyperparameter Tuning", MLSys 2020. Rungs sit at
``grace_period * reduction_factor**k`` (up to ``max_t``) in units of ``time_attr``. When a
trial first reaches a rung, its score joins the scores recorded there so far; it goes on only
if it ranks in the top ``1 / reduction_factor`` of them (at least the best one), else it
stops. No trial ever waits for others, so workers never idle: the stopping variant of ASHA.
With ``brackets > 1``, trials are spread over brackets whose first rung is higher by a factor
of ``reduction_factor`` each, hedging against stopping slow starters too early (asynchronous
Hyperband). No checkpoints are needed: stopped trials never come back.

With several objectives it is multi-objective ASHA (Schmucker et al., "Multi-objective
Asynchronous Successive Halving", 2021): a rung ranks the score vectors recorded there by
non-dominated sorting, ties within a front broken by an epsilon-net (``rung.pareto``), and a
trial goes on if it ranks in the top ``1 / reduction_factor``.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rung.errors import ConfigError
from rung.pareto import promotion_ranks
from rung.schedulers._common import budget_of, check_budgets, first_rung, geometric_rungs
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


@dataclass
class _ParetoRung:
    """A rung of multi-objective ASHA: the score vectors recorded there, ranked by
    ``promotion_ranks`` each time one joins."""

    milestone: float
    vectors: list[tuple[float, ...]] = field(default_factory=list)
    recorded: set[str] = field(default_factory=set)

    def admit(self, trial_id: str, scores: tuple[float, ...], reduction_factor: float) -> bool:
        """Record the scores; whether they rank in the top 1/reduction_factor (at least the
        first)."""
        self.vectors.append(scores)
        self.recorded.add(trial_id)
        rank = int(promotion_ranks(self.vectors)[-1]) + 1
        return rank <= max(1, int(len(self.vectors) / reduction_factor))


class ASHAScheduler(Scheduler):
    """Asynchronous successive halving.

    Args:
        time_attr: the reported key that measures budget (any increasing one: epochs,
            steps, seconds, samples).
        max_t: the budget at which a trial is complete.
        grace_period: budget every trial gets before it can be stopped (the first rung);
            None (the default): ``max_t / reduction_factor**3``, see ``first_rung``.
        reduction_factor: eta; a rung keeps the top 1/eta of the trials that reach it.
        brackets: how many brackets (1 is ASHA; more is asynchronous Hyperband).
    """

    max_t: float  # always set: its budget
    several_objectives = True  # multi-objective ASHA

    time_attr: str

    def __init__(
        self,
        time_attr: str = "training_iteration",
        max_t: float = 100,
        grace_period: float | None = None,
        reduction_factor: float = 3,
        brackets: int = 1,
    ) -> None:
        name = type(self).__name__
        check_budgets(name, max_t, grace_period, reduction_factor)
        if not isinstance(brackets, int) or brackets < 1:
            raise ConfigError(f"{name}(brackets={brackets!r}): must be an int >= 1")
        self.time_attr = time_attr
        self.max_t = max_t
        self.grace_period = grace_period
        self.reduction_factor = reduction_factor
        self.brackets = brackets

    def _setup(self) -> None:
        milestones = self.milestones()
        count = min(self.brackets, len(milestones))
        rung_of = _ParetoRung if self.objective.several else _Rung
        self._brackets: list[list[Any]] = [
            [rung_of(m) for m in milestones[b:]] for b in range(count)
        ]
        # Hyperband's allocation: a bracket with s halvings gets eta^s / (s + 1) of the trials.
        halvings = np.array([len(rungs) - 1 for rungs in self._brackets], dtype=float)
        weights = self.reduction_factor**halvings / (halvings + 1)
        self._bracket_probabilities = weights / weights.sum()
        self._bracket_of: dict[str, int] = {}

    def milestones(self) -> list[float]:
        """The rungs: ``grace_period * eta**k`` for every k that stays within ``max_t``."""
        return geometric_rungs(self.first_rung, self.reduction_factor, self.max_t)

    @property
    def first_rung(self) -> float:
        """The budget of the first rung (``grace_period``, or derived from ``max_t``)."""
        return first_rung(self.max_t, self.grace_period, self.reduction_factor)

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
        objective = self.objective
        score = objective.scores(result) if objective.several else objective.score(result)
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
        grace_period: float | None = None,
        reduction_factor: float = 3,
        brackets: int | None = None,
    ) -> None:
        if brackets is None:
            check_budgets(type(self).__name__, max_t, grace_period, reduction_factor)
            smallest = first_rung(max_t, grace_period, reduction_factor)
            brackets = len(geometric_rungs(smallest, reduction_factor, max_t))
        super().__init__(time_attr, max_t, grace_period, reduction_factor, brackets)

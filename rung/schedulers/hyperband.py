"""Synchronous successive halving and Hyperband (Li et al., JMLR 2018).

A bracket holds ``n`` trials and a list of rung budgets ``r_0 < r_1 < ... <= max_t``. Every
trial alive in rung i runs to ``r_i`` and pauses there (with a checkpoint); once all of them
have, the best ``floor(n_i / eta)`` (at least one) are resumed towards ``r_{i+1}`` and the
rest are stopped. Hyperband runs brackets s = s_max .. 0 in turn, bracket s starting
``n = ceil((s_max + 1) / (s + 1) * eta**s)`` trials at ``r = R * eta**-s``, where
``R = max_t / grace_period``. While a rung waits for its last trials, free workers start the
next bracket's trials.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rung.errors import ConfigError
from rung.schedulers._common import budget_of, check_budgets, first_rung, geometric_rungs
from rung.schedulers.base import Scheduler
from rung.trial import CONTINUE, FINISH, PAUSE, STOP, Decision, Trial, TrialStatus


class _Bracket:
    """One synchronous successive-halving bracket."""

    def __init__(self, size: int, budgets: Sequence[float], reduction_factor: float) -> None:
        self.size = size
        self.budgets = list(budgets)
        self.reduction_factor = reduction_factor
        self.members: list[str] = []
        self.rung = 0
        self.alive: set[str] = set()
        self.scores: dict[str, float] = {}
        self.to_resume: set[str] = set()
        self.stopped: list[str] = []

    @property
    def is_full(self) -> bool:
        return len(self.members) >= self.size

    def add(self, trial_id: str) -> None:
        self.members.append(trial_id)
        self.alive.add(trial_id)

    def close(self) -> None:
        """Take no more members: the bracket is as large as it got."""
        self.size = len(self.members)
        self._maybe_promote()

    def on_result(self, trial_id: str, budget: float, score: float) -> Decision:
        if trial_id not in self.alive:
            return STOP
        if budget < self.budgets[self.rung]:
            return CONTINUE
        if self.rung == len(self.budgets) - 1:
            self.alive.discard(trial_id)
            return FINISH
        self.scores[trial_id] = score
        self._maybe_promote()
        if trial_id in self.to_resume:
            self.to_resume.discard(trial_id)
            return CONTINUE
        if trial_id in self.alive:
            return PAUSE
        self.stopped.remove(trial_id)
        return STOP

    def on_end(self, trial_id: str) -> None:
        """A member ended outside the bracket's say (an error, a finish): it is out."""
        if trial_id in self.alive:
            self.alive.discard(trial_id)
            self.scores.pop(trial_id, None)
            self._maybe_promote()

    def _maybe_promote(self) -> None:
        """Once every live member has reached this rung, keep the best and move up."""
        if not self.is_full or not self.alive or len(self.scores) < len(self.alive):
            return
        ranked = sorted(self.alive, key=lambda t: (self.scores[t], t))
        keep = max(1, int(len(ranked) / self.reduction_factor))
        survivors, losers = ranked[:keep], ranked[keep:]
        self.stopped.extend(losers)
        self.alive = set(survivors)
        self.to_resume = set(survivors)
        self.scores = {}
        self.rung += 1

    @property
    def is_done(self) -> bool:
        return self.is_full and not self.alive


class HyperBandScheduler(Scheduler):
    """Synchronous Hyperband: successive-halving brackets of every aggressiveness, in turn.

    Args:
        time_attr: the reported key that measures budget.
        max_t: the largest budget a trial gets (Li et al.'s R, in ``time_attr`` units).
        grace_period: the smallest budget (the unit of R); None (the default):
            ``max_t / reduction_factor**3``, see ``rung.schedulers._common.first_rung``.
        reduction_factor: eta.
    """

    max_t: float  # always set: its budget

    time_attr: str

    def __init__(
        self,
        time_attr: str = "training_iteration",
        max_t: float = 81,
        grace_period: float | None = None,
        reduction_factor: float = 3,
    ) -> None:
        check_budgets(type(self).__name__, max_t, grace_period, reduction_factor)
        self.time_attr = time_attr
        self.max_t = max_t
        self.grace_period = grace_period
        self.reduction_factor = reduction_factor

    @property
    def first_rung(self) -> float:
        """The smallest budget (``grace_period``, or derived from ``max_t``)."""
        return first_rung(self.max_t, self.grace_period, self.reduction_factor)

    def bracket_specs(self) -> list[tuple[int, list[float]]]:
        """``(n, rung budgets)`` of each bracket, most aggressive first (Li et al.)."""
        eta = self.reduction_factor
        ratio = self.max_t / self.first_rung
        s_max = math.floor(math.log(ratio, eta) + 1e-9)
        specs = []
        for s in range(s_max, -1, -1):
            n = math.ceil((s_max + 1) / (s + 1) * eta**s - 1e-9)
            budgets = [self.max_t * eta ** (i - s) for i in range(s + 1)]
            specs.append((n, budgets))
        return specs

    def table(self) -> list[list[tuple[int, float]]]:
        """Li et al.'s table: for each bracket, ``(n_i, r_i)`` of each rung."""
        rows = []
        for n, budgets in self.bracket_specs():
            rungs, count = [], n
            for budget in budgets:
                rungs.append((count, budget / self.first_rung))
                count = max(1, int(count / self.reduction_factor))
            rows.append(rungs)
        return rows

    def _setup(self) -> None:
        self._specs = self.bracket_specs()
        self._brackets: list[_Bracket] = []
        self._bracket_of: dict[str, _Bracket] = {}

    def _new_bracket(self) -> _Bracket:
        size, budgets = self._specs[len(self._brackets) % len(self._specs)]
        bracket = _Bracket(size, budgets, self.reduction_factor)
        self._brackets.append(bracket)
        return bracket

    def on_trial_add(self, trial: Trial) -> None:
        filling = self._brackets[-1] if self._brackets else None
        if filling is None or filling.is_full:
            filling = self._new_bracket()
        filling.add(trial.trial_id)
        self._bracket_of[trial.trial_id] = filling

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> Decision:
        bracket = self._bracket_of[trial.trial_id]
        budget = budget_of(result, self.time_attr)
        return bracket.on_result(trial.trial_id, budget, self.objective.score(result))

    def on_trial_complete(self, trial: Trial, result: dict[str, Any] | None) -> None:
        self._bracket_of[trial.trial_id].on_end(trial.trial_id)

    def on_no_more_trials(self) -> None:
        if self._brackets and not self._brackets[-1].is_full:
            self._brackets[-1].close()

    def choose_trial_to_run(self, candidates: Sequence[Trial], more_coming: bool) -> Trial | None:
        for trial in candidates:
            # A trial waiting for a retry runs; a paused one only once promoted.
            if trial.status is TrialStatus.PENDING:
                return trial
            if trial.trial_id in self._bracket_of[trial.trial_id].to_resume:
                return trial
        return None

    def on_trial_start(self, trial: Trial) -> None:
        self._bracket_of[trial.trial_id].to_resume.discard(trial.trial_id)

    def take_stopped(self) -> list[str]:
        stopped = []
        for bracket in self._brackets:
            stopped.extend(bracket.stopped)
            bracket.stopped.clear()
        return stopped


class SuccessiveHalvingScheduler(HyperBandScheduler):
    """Synchronous successive halving: one kind of bracket, rungs from ``grace_period``.

    Args:
        bracket_size: trials per bracket; None puts every trial of the experiment in one.
    """

    def __init__(
        self,
        time_attr: str = "training_iteration",
        max_t: float = 81,
        grace_period: float | None = None,
        reduction_factor: float = 3,
        bracket_size: int | None = None,
    ) -> None:
        super().__init__(time_attr, max_t, grace_period, reduction_factor)
        if bracket_size is not None and (not isinstance(bracket_size, int) or bracket_size < 1):
            raise ConfigError(f"SuccessiveHalvingScheduler(bracket_size={bracket_size!r})")
        self.bracket_size = bracket_size

    def bracket_specs(self) -> list[tuple[int, list[float]]]:
        budgets = geometric_rungs(self.first_rung, self.reduction_factor, self.max_t)
        return [(self.bracket_size or 2**62, budgets)]

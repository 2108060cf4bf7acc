"""Asynchronous Hyperband that learns where its early rungs can be trusted.

ASHA is fast when a configuration's first epochs rank it as its last ones will, and loses
to random search when they do not (slow starters are cut at the first rung); asynchronous
Hyperband hedges with brackets whose first rung is later, and pays for the hedge on every
task. This scheduler measures the hedge's need while it runs, in the spirit of Hyper-Tune's
bracket selection (Li et al., VLDB 2022): every trial's score is recorded at every rung's
milestone it passes, whichever bracket it is in; once trials finish, each rung's
*reliability* is the share of the best finished trials, among those no rung at or before
that milestone filtered, that the rung would have kept (a Beta(1, 1) prior while there are
few). New trials go to bracket b with probability proportional to ``(r_b / c_b) ** sharpness``,
where ``c_b`` is the budget bracket b spends per configuration it screens, so a rung that
keeps the best is used for its speed and one that cuts them is avoided; ``floor`` of the
trials are spread evenly over the brackets, so every rung keeps being measured.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from rung.errors import ConfigError
from rung.objective import is_number
from rung.schedulers._common import budget_of
from rung.schedulers.asha import ASHAScheduler
from rung.trial import Decision, Trial


class AdaptiveHyperBandScheduler(ASHAScheduler):
    """Asynchronous Hyperband over every bracket, with bracket shares learned from how well
    each rung keeps the trials that turn out best.

    Args:
        time_attr, max_t, grace_period, reduction_factor: as for ``ASHAScheduler``.
        floor: the share of trials spread evenly over all brackets, whatever the evidence.
        sharpness: how strongly the shares follow the evidence (0: even shares).
        best_fraction: the finished trials that count as "the best" when measuring a rung.
    """

    several_objectives = False  # a rung's reliability is measured by one metric

    def __init__(
        self,
        time_attr: str = "training_iteration",
        max_t: float = 100,
        grace_period: float | None = None,
        reduction_factor: float = 3,
        floor: float = 0.05,
        sharpness: float = 4.0,
        best_fraction: float = 1 / 3,
    ) -> None:
        name = type(self).__name__
        for knob, value in (("floor", floor), ("best_fraction", best_fraction)):
            if not is_number(value) or not 0 < value <= 1:
                raise ConfigError(f"{name}({knob}={value!r}): must be a number in (0, 1]")
        if not is_number(sharpness) or sharpness < 0:
            raise ConfigError(f"{name}(sharpness={sharpness!r}): must be a number >= 0")
        super().__init__(time_attr, max_t, grace_period, reduction_factor, brackets=10**6)
        self.floor = floor
        self.sharpness = sharpness
        self.best_fraction = best_fraction

    def _setup(self) -> None:
        super()._setup()
        self._milestones = [rungs[0].milestone for rungs in self._brackets]
        # Per milestone: each trial's score when it first reached it.
        self._at: list[dict[str, float]] = [{} for _ in self._milestones]
        self._final: dict[str, float] = {}
        self._cost = np.array([self._bracket_cost(b) for b in range(len(self._brackets))])
        self._update_shares()

    def _bracket_cost(self, bracket: int) -> float:
        """Budget spent per configuration screened: each rung's survivors (a 1/eta share
        each time) train on to the next milestone, and the last ones to ``max_t``."""
        stops = [*self._milestones[bracket:], self.max_t]
        cost, share = stops[0], 1.0
        for low, high in itertools.pairwise(stops):
            share /= self.reduction_factor
            cost += share * (high - low)
        return cost

    def reliability(self) -> np.ndarray:
        """Per bracket: the posterior mean share of the best finished trials its first rung
        keeps; the last bracket is the reference (1)."""
        count = len(self._brackets)
        values = np.ones(count)
        for b in range(count - 1):
            at = self._at[b]
            # Finished trials that no rung filtered before or at this milestone: those of
            # later brackets (whose first rung is later).
            witnesses = [t for t in self._final if t in at and self._bracket_of.get(t, 0) > b]
            if not witnesses:
                values[b] = 0.5
                continue
            best_count = max(1, math.ceil(self.best_fraction * len(witnesses)))
            best = sorted(witnesses, key=lambda t: self._final[t])[:best_count]
            scores = np.sort(np.fromiter(at.values(), float))
            keep = max(1, int(len(scores) / self.reduction_factor))
            threshold = scores[keep - 1]
            kept = sum(at[t] <= threshold for t in best)
            values[b] = (1 + kept) / (2 + len(best))
        return values

    def _update_shares(self) -> None:
        count = len(self._brackets)
        if count == 1:
            return
        value = (self.reliability() / self._cost) ** self.sharpness
        learned = value / value.sum()
        self._bracket_probabilities = self.floor / count + (1 - self.floor) * learned

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> Decision:
        budget = budget_of(result, self.time_attr)
        score = self.objective.score(result)
        trial_id = trial.trial_id
        for index, milestone in enumerate(self._milestones):
            if budget >= milestone and trial_id not in self._at[index]:
                self._at[index][trial_id] = score
        if budget >= self.max_t and trial_id not in self._final:
            self._final[trial_id] = score
            self._update_shares()
        return super().on_trial_result(trial, result)

    def shares(self) -> list[float]:
        """The current probability of each bracket for a new trial (0: most aggressive)."""
        return [float(p) for p in self._bracket_probabilities]

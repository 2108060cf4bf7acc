"""The median stopping rule (Golovin et al., "Google Vizier", KDD 2017).

A trial is stopped at step ``t`` when its best score so far is worse than the median of the
running averages, up to ``t``, of the other trials that reached ``t``. Steps are compared by
equal values of ``time_attr``, so use a counter (epochs, iterations, steps), not seconds.
Each step keeps its running averages sorted, so a decision costs O(log n) lookups plus an
insertion, not a pass over every trial.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

from rung.errors import ConfigError
from rung.schedulers._common import budget_of, check_positive
from rung.schedulers.base import Scheduler
from rung.trial import CONTINUE, STOP, Decision, Trial


class MedianStoppingRule(Scheduler):
    """Stop trials whose best result trails the median of the others' running averages.

    Args:
        time_attr: the reported key that counts steps.
        grace_period: no trial is stopped before this step.
        min_samples_required: other trials needed at a step before it can stop anyone.
    """

    time_attr: str

    def __init__(
        self,
        time_attr: str = "training_iteration",
        grace_period: float = 1,
        min_samples_required: int = 3,
    ) -> None:
        check_positive(type(self).__name__, grace_period=grace_period)
        if not isinstance(min_samples_required, int) or min_samples_required < 1:
            raise ConfigError(
                f"MedianStoppingRule(min_samples_required={min_samples_required!r}): "
                "must be an int >= 1"
            )
        self.time_attr = time_attr
        self.grace_period = grace_period
        self.min_samples_required = min_samples_required

    def _setup(self) -> None:
        self._averages_at: dict[float, list[float]] = {}
        self._sums: dict[str, tuple[float, int, float]] = {}

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> Decision:
        step = budget_of(result, self.time_attr)
        score = self.objective.score(result)
        total, count, best = self._sums.get(trial.trial_id, (0.0, 0, math.inf))
        total, count, best = total + score, count + 1, min(best, score)
        self._sums[trial.trial_id] = (total, count, best)
        others = self._averages_at.setdefault(step, [])
        judged = step >= self.grace_period and len(others) >= self.min_samples_required
        decision = STOP if judged and best > _median(others) else CONTINUE
        bisect.insort(others, total / count)
        return decision


def _median(sorted_values: list[float]) -> float:
    n = len(sorted_values)
    middle = n // 2
    if n % 2:
        return sorted_values[middle]
    return (sorted_values[middle - 1] + sorted_values[middle]) / 2

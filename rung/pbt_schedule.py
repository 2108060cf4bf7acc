"""What population-based training found, as a schedule a user can reuse without PBT.

PBT's best trial carries a state copied, at each exploit, from another trial that had its own
history. Following those copies back gives the hyperparameter values the best model was
actually trained with, over time; ``fit_step_schedule`` turns a learning-rate schedule into
milestones and factors for ``torch.optim.lr_scheduler.MultiStepLR`` (or ``LambdaLR``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rung.configs import flatten
from rung.trial import Trial

if TYPE_CHECKING:
    from rung.results import Results


def parameter_schedule(
    results: Results, param: str, trial: Trial | None = None
) -> list[tuple[float, Any]]:
    """The values of ``param`` the best trial's state was trained with, over time.

    Population-based training copies states between trials; this follows the copies back
    along the trial's lineage. Returns ``[(training_iteration, value), ...]``, each value
    holding from its iteration on; ``fit_step_schedule`` turns it into milestones and
    factors for ``MultiStepLR``.

    Args:
        results: a PBT experiment's results.
        param: a config key, ``"a/b"`` for nested ones.
        trial: the trial to follow (default: the best one).
    """
    trial = trial or results.best_trial
    if trial is None:
        return []
    by_id = {t.trial_id: t for t in results.trials}
    return lineage_schedule(by_id, trial.trial_id, param)


def lineage_schedule(
    trials: Mapping[str, Trial],
    trial_id: str,
    param: str,
    until: float = math.inf,
    before: float = math.inf,
) -> list[tuple[float, Any]]:
    """``[(iteration, value), ...]``: the value of ``param`` (a ``/``-joined config key) the
    state of ``trial_id`` was trained with after each iteration, up to iteration ``until``,
    as the trial was at time ``before``.

    An exploit copies the donor's checkpoint, a state trained to the iteration the exploit
    records: the schedule is the donor's as it stood then, cut at that iteration, followed
    by the new value from there on.
    """
    trial = trials[trial_id]
    last = _last_copy(trial, before)
    schedule: list[tuple[float, Any]]
    if last is None:
        schedule = [(0, flatten(trial.initial_config or trial.config)[param])]
    else:
        schedule = lineage_schedule(trials, last["donor"], param, last["iteration"], last["time"])
        schedule.append((last["iteration"], flatten(last["config"])[param]))
    return _merge([(i, v) for i, v in schedule if i == 0 or i < until])


def lineage_results(
    trials: Mapping[str, Trial],
    trial_id: str,
    until: float = math.inf,
    before: float = math.inf,
) -> list[dict[str, Any]]:
    """The results of the state of ``trial_id``, along its lineage: the donor's results up
    to the iteration each copy took (as the donor was then), then the trial's own; up to
    iteration ``until``, as the trial was at time ``before``. A learning curve without the
    jumps a trial's own results show where it copied another."""
    trial = trials[trial_id]
    own = [r for r in trial.results if r.get("experiment_time_s", 0.0) <= before]
    last = _last_copy(trial, before)
    head: list[dict[str, Any]] = []
    if last is not None:
        head = lineage_results(trials, last["donor"], last["iteration"], last["time"])
        own = [r for r in own if r.get("experiment_time_s", 0.0) > last["time"]]
    return [r for r in head + own if r.get("training_iteration", 0) <= until]


def _last_copy(trial: Trial, before: float) -> dict[str, Any] | None:
    """The trial's latest copy of another's state up to time ``before``, or None."""
    copies = [e for e in trial.lineage if e["time"] <= before]
    return copies[-1] if copies else None


def _merge(schedule: list[tuple[float, Any]]) -> list[tuple[float, Any]]:
    merged: list[tuple[float, Any]] = []
    for iteration, value in schedule:
        if merged and merged[-1][1] == value:
            continue
        if merged and merged[-1][0] == iteration:
            merged[-1] = (iteration, value)
        else:
            merged.append((iteration, value))
    return merged


@dataclass(frozen=True)
class StepSchedule:
    """A piecewise-constant schedule: ``initial``, times ``factors[i]`` from ``milestones[i]``.

    ``MultiStepLR`` takes one factor (``gamma``) for every milestone: ``gamma`` is their
    geometric mean; ``lr_lambda`` reproduces the schedule exactly with ``LambdaLR``.
    """

    initial: float
    milestones: tuple[int, ...]
    factors: tuple[float, ...]

    @property
    def gamma(self) -> float:
        """One factor for ``MultiStepLR(optimizer, milestones, gamma)``."""
        if not self.factors:
            return 1.0
        return math.exp(sum(math.log(f) for f in self.factors) / len(self.factors))

    def value_at(self, iteration: float) -> float:
        """The schedule's value at ``iteration``."""
        value = self.initial
        for milestone, factor in zip(self.milestones, self.factors, strict=True):
            if iteration >= milestone:
                value *= factor
        return value

    def lr_lambda(self, epoch: int) -> float:
        """The multiplier of the initial value at ``epoch``, for ``LambdaLR``."""
        return self.value_at(epoch) / self.initial


def fit_step_schedule(schedule: list[tuple[float, float]]) -> StepSchedule:
    """The step schedule of a numeric ``lineage_schedule``."""
    if not schedule:
        raise ValueError("the schedule is empty")
    initial = float(schedule[0][1])
    milestones, factors, previous = [], [], initial
    for iteration, value in schedule[1:]:
        milestones.append(round(iteration))
        factors.append(float(value) / previous)
        previous = float(value)
    return StepSchedule(initial, tuple(milestones), tuple(factors))

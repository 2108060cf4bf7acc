"""Population-based training (Jaderberg et al., "Population Based Training of Neural
Networks", 2017).

Every ``perturbation_interval`` of budget, a trial is ranked against the population by its
latest score. A trial in the bottom ``quantile_fraction`` exploits one chosen at random from
the top quantile (never itself: the quantiles never overlap): it restarts from that trial's
checkpoint with its configuration, explored. Exploring resamples a mutated hyperparameter with
``resample_probability``, else multiplies it by one of ``perturbation_factors`` (clipped to
its domain) or, for a list of values, moves to a neighbouring one. Every trial above the
bottom quantile is asked to checkpoint at each interval, so that whichever is copied is
copied as it is now. With a population larger than the free slots, trials time-share the
workers: at each interval a trial pauses if another waits with less progress, and the least
advanced waiting trial runs next.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rung.errors import ConfigError
from rung.objective import is_number
from rung.schedulers._common import budget_of, check_positive
from rung.schedulers.base import Scheduler
from rung.space import Categorical, Domain, Float, Grid, Int, Space
from rung.trial import CONTINUE, PAUSE, SAVE, Decision, Trial

Mutation = Domain | Sequence[Any] | Callable[[], Any]


class PopulationBasedTraining(Scheduler):
    """Population-based training with exploit (copy a better trial) and explore (mutate).

    Args:
        time_attr: the reported key that measures budget.
        perturbation_interval: budget between two exploit/explore decisions of a trial.
        quantile_fraction: the share of the population in the top (and bottom) quantile.
        resample_probability: chance of resampling a hyperparameter instead of perturbing it.
        hyperparam_mutations: ``{key: domain | list | function}``; keys are config keys,
            ``"a/b"`` for nested ones. Required.
        perturbation_factors: what a numeric value is multiplied by when perturbed.
    """

    time_attr: str

    def __init__(
        self,
        time_attr: str = "training_iteration",
        perturbation_interval: float = 5,
        quantile_fraction: float = 0.25,
        resample_probability: float = 0.25,
        hyperparam_mutations: Mapping[str, Mutation] | None = None,
        perturbation_factors: tuple[float, float] = (1.2, 0.8),
    ) -> None:
        name = type(self).__name__
        check_positive(name, perturbation_interval=perturbation_interval)
        if not 0 < quantile_fraction <= 0.5:
            raise ConfigError(f"{name}(quantile_fraction={quantile_fraction!r}): use (0, 0.5]")
        if not 0 <= resample_probability <= 1:
            raise ConfigError(f"{name}(resample_probability={resample_probability!r}): use [0, 1]")
        if not hyperparam_mutations:
            raise ConfigError(
                f"{name} needs hyperparam_mutations, e.g. "
                "{'lr': rung.loguniform(1e-4, 1e-1), 'batch_size': [32, 64, 128]}"
            )
        for key, spec in hyperparam_mutations.items():
            if not (isinstance(spec, Domain | list | tuple) or callable(spec)):
                raise ConfigError(
                    f"{name}: hyperparam_mutations[{key!r}] must be a domain, a list of values "
                    f"or a function, got {spec!r}"
                )
            if isinstance(spec, list | tuple) and not spec:
                raise ConfigError(f"{name}: hyperparam_mutations[{key!r}] is an empty list")
        self.time_attr = time_attr
        self.perturbation_interval = perturbation_interval
        self.quantile_fraction = quantile_fraction
        self.resample_probability = resample_probability
        self.hyperparam_mutations = dict(hyperparam_mutations)
        self.perturbation_factors = tuple(perturbation_factors)

    def _setup(self) -> None:
        if self.num_trials is None:
            raise ConfigError(
                "PopulationBasedTraining needs num_trials: it is the size of the population"
            )
        self._created = 0
        self._score: dict[str, float] = {}
        self._progress: dict[str, float] = {}
        self._last_perturbation: dict[str, float] = {}
        self._waiting: dict[str, float] = {}
        self._configs: dict[str, dict[str, Any]] = {}

    def on_trial_add(self, trial: Trial) -> None:
        self._created += 1
        self._last_perturbation[trial.trial_id] = 0.0
        self._progress[trial.trial_id] = 0.0

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> Decision:
        trial_id = trial.trial_id
        budget = budget_of(result, self.time_attr)
        self._score[trial_id] = self.objective.score(result)
        self._progress[trial_id] = budget
        self._configs[trial_id] = trial.config
        if budget - self._last_perturbation.get(trial_id, 0.0) < self.perturbation_interval:
            return CONTINUE
        self._last_perturbation[trial_id] = budget
        lower, upper = self.quantiles()
        if trial_id in lower:
            donor = upper[int(self.rng.integers(len(upper)))]
            decision = Decision.exploit(donor, self.explore(self._configs[donor]))
            # The copied state is the donor's, checkpointed at its last perturbation: the
            # next interval counts from there.
            self._last_perturbation[trial_id] = self._last_perturbation[donor]
            self._progress[trial_id] = self._last_perturbation[donor]
        else:
            # Any trial above the bottom may be in the top when another exploits: keep its
            # checkpoint current.
            decision = SAVE
        if decision.donor is None and self._should_yield(budget):
            decision = PAUSE
        if decision is not SAVE:
            self._waiting[trial_id] = self._progress[trial_id]
        return decision

    def _should_yield(self, budget: float) -> bool:
        """Whether a trial at ``budget`` should free its worker for one that lags behind."""
        not_started = self._created < (self.num_trials or 0)
        return not_started or any(p < budget for p in self._waiting.values())

    def quantiles(self) -> tuple[list[str], list[str]]:
        """Ids of the bottom and top quantile of the population, by latest score."""
        ranked = sorted(self._score, key=lambda t: (self._score[t], t), reverse=True)
        if len(ranked) < 2:
            return [], []
        size = min(math.ceil(len(ranked) * self.quantile_fraction), len(ranked) // 2)
        return ranked[:size], ranked[len(ranked) - size :]

    def explore(self, config: dict[str, Any]) -> dict[str, Any]:
        """A copy of ``config`` with every mutated hyperparameter resampled or perturbed."""
        new = copy.deepcopy(config)
        for key, spec in self.hyperparam_mutations.items():
            *parents, leaf = key.split("/")
            holder = new
            for parent in parents:
                holder = holder[parent]
            if leaf not in holder:
                raise ConfigError(f"hyperparam_mutations key {key!r} is not in the config")
            holder[leaf] = self._mutate(holder[leaf], spec)
        return new

    def _mutate(self, value: Any, spec: Mutation) -> Any:
        resample = self.rng.random() < self.resample_probability
        factor = self.perturbation_factors[int(self.rng.integers(len(self.perturbation_factors)))]
        if isinstance(spec, list | tuple):
            if resample or value not in spec:
                return spec[int(self.rng.integers(len(spec)))]
            index = list(spec).index(value) + (1 if factor > 1 else -1)
            return spec[min(max(index, 0), len(spec) - 1)]
        if isinstance(spec, Domain):
            if resample or isinstance(spec, Categorical | Grid):
                return Space({"value": spec}).sample(self.rng)["value"]
            if isinstance(spec, Float | Int):
                perturbed = min(max(value * factor, spec.low), spec.high)
                return round(perturbed) if isinstance(spec, Int) else float(perturbed)
            raise ConfigError(f"cannot perturb a value of {spec}")
        assert callable(spec)
        if resample or not is_number(value):
            return spec()
        return type(value)(value * factor)

    def on_trial_complete(self, trial: Trial, result: dict[str, Any] | None) -> None:
        for state in (self._score, self._waiting, self._configs):
            state.pop(trial.trial_id, None)

    def choose_trial_to_run(self, candidates: Sequence[Trial], more_coming: bool) -> Trial | None:
        if not candidates or more_coming:
            return None
        return min(candidates, key=lambda t: (self._progress.get(t.trial_id, 0.0), t.trial_id))

    def on_trial_start(self, trial: Trial) -> None:
        self._waiting.pop(trial.trial_id, None)

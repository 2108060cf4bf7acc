"""Optuna's pruners on rung's simulated clock: a rung scheduler that passes each result to an
Optuna trial (``trial.report(value, step)``) and stops the trial when ``should_prune()``
says so, the calls an Optuna objective makes. Trials run in parallel on the simulated
workers, as they would with several Optuna workers sharing a study."""

from __future__ import annotations

import copy
from typing import Any, Literal

from rung.schedulers.base import Scheduler
from rung.trial import CONTINUE, STOP, Decision, Trial


class OptunaPruning(Scheduler):
    """Stops trials as an Optuna pruner would.

    Args:
        pruner: ``"hyperband"`` (``HyperbandPruner``) or ``"successive_halving"``
            (``SuccessiveHalvingPruner``), with the same smallest budget, largest budget and
            reduction factor as rung's schedulers in the benchmark.
    """

    def __init__(self, pruner: str, min_resource: int, max_resource: int, eta: float) -> None:
        self.pruner = pruner
        self.min_resource = min_resource
        self.max_resource = max_resource
        self.eta = eta

    def _setup(self) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        if self.pruner == "hyperband":
            pruner: Any = _remembering_brackets(optuna.pruners.HyperbandPruner)(
                min_resource=self.min_resource,
                max_resource=self.max_resource,
                reduction_factor=int(self.eta),
            )
        else:
            pruner = optuna.pruners.SuccessiveHalvingPruner(
                min_resource=self.min_resource, reduction_factor=int(self.eta)
            )
        direction: Literal["minimize", "maximize"] = (
            "minimize" if self.objective.mode == "min" else "maximize"
        )
        # Optuna's Hyperband puts a trial in a bracket by hashing the study's name with the
        # trial's number; a name drawn from the experiment's seeded generator (not Optuna's
        # random one) makes each seed's run repeatable and the seeds' brackets differ.
        name = f"rung-benchmark-{self.rng.integers(2**32)}"
        self.study = optuna.create_study(study_name=name, direction=direction, pruner=pruner)
        self.asked: dict[str, Any] = {}

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> Decision:
        asked = self.asked.get(trial.trial_id)
        if asked is None:  # one Optuna trial per rung trial, asked at its first result
            asked = self.asked[trial.trial_id] = self.study.ask()
        step = int(result["training_iteration"])
        asked.report(float(result[self.objective.metric]), step)
        if step < self.max_resource and asked.should_prune():
            return STOP
        return CONTINUE

    def on_trial_complete(self, trial: Trial, result: dict[str, Any] | None) -> None:
        import optuna

        asked = self.asked.pop(trial.trial_id, None)
        if asked is None:
            return
        value = (result or {}).get(self.objective.metric)
        if trial.iterations >= self.max_resource and value is not None:
            self.study.tell(asked, float(value))
        else:
            self.study.tell(asked, state=optuna.trial.TrialState.PRUNED)


def _remembering_brackets(hyperband: type) -> type:
    """Optuna's ``HyperbandPruner`` with each trial's bracket remembered.

    The pruner finds a trial's bracket by hashing the study's name and the trial's number, and
    at each rung check hashes every trial of the study again to pick out the bracket's: hours
    of benchmark time at 10,000 trials. The hash never changes, so each trial's bracket is
    computed once and each bracket keeps the numbers of its trials; Optuna's successive
    halving then reads that bracket's trials as they stand, the same decisions (the
    simulated clock does not count decision time either way).
    """

    class RememberingBrackets(hyperband):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._bracket_of: list[int] = []  # by trial number
            self._members: dict[int, list[int]] = {}
            self._bracket_class: type | None = None

        def _get_bracket_id(self, study: Any, trial: Any) -> int:
            if not self._pruners:  # before the brackets exist every trial is in the first
                return super()._get_bracket_id(study, trial)
            self._index(study, trial.number + 1)
            return self._bracket_of[trial.number]

        def _index(self, study: Any, count: int) -> None:
            """Remember the brackets of trials numbered below ``count``."""
            for number in range(len(self._bracket_of), count):
                bracket = super()._get_bracket_id(study, _Numbered(number))
                self._bracket_of.append(bracket)
                self._members.setdefault(bracket, []).append(number)

        def _create_bracket_study(self, study: Any, bracket_id: int) -> Any:
            if self._bracket_class is None:
                self._bracket_class = _indexed(type(super()._create_bracket_study(study, 0)))
            return self._bracket_class(study, self, bracket_id)

    return RememberingBrackets


class _Numbered:
    """A stand-in trial: all Optuna's bracket hash reads of one is its number."""

    def __init__(self, number: int) -> None:
        self.number = number


def _indexed(bracket_study: type) -> type:
    """Optuna's bracket study (the study as one bracket's successive halving sees it), with
    the bracket's trials picked by number from the pruner's index, not by hashing them all."""

    class IndexedBracketStudy(bracket_study):
        def get_trials(self, deepcopy: bool = True, states: Any = None) -> list[Any]:
            trials = self._study.get_trials(deepcopy=False)  # ordered by number
            pruner = self.pruner
            pruner._index(self._study, len(trials))
            chosen = [trials[n] for n in pruner._members.get(self._bracket_id, [])]
            if states is not None:
                chosen = [t for t in chosen if t.state in states]
            return copy.deepcopy(chosen) if deepcopy else chosen

    return IndexedBracketStudy

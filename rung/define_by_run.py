"""Define-by-run objectives: ``objective(trial)`` asks for its parameters as it runs.

    def objective(trial):
        layers = trial.suggest_int("layers", 1, 3)
        widths = [trial.suggest_int(f"width_{i}", 16, 256, log=True) for i in range(layers)]
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        for step in range(20):
            trial.report(validate(...), step)
            if trial.should_prune():
                raise optuna.TrialPruned()   # or rung.TrialPruned
        return accuracy

    rung.run(objective, metric="accuracy", mode="max", num_trials=50)

An Optuna objective runs unchanged. Each ``suggest_*`` is a round trip to the driver (as a
report is), whose searcher answers and records the parameter with its domain in the log,
so a trial's space is whatever its objective asked for. The value returned is recorded
under the metric's name (a list of values: one per metric of several objectives); a dict
is recorded as it is.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rung.errors import RungError
from rung.objective import as_number, is_number
from rung.space import Categorical, Float, Int
from rung.trainable import StopTrial, ask_parameter, get_trial_id, report
from rung.trial import Action


class TrialPruned(Exception):
    """Raised by an objective whose trial ``should_prune()``: it ends, stopped."""


class Trial:
    """What a define-by-run objective is handed: ``suggest_*`` for parameters, ``report``
    and ``should_prune`` for intermediate values, as in Optuna."""

    def __init__(self, trial_id: str, metrics: Sequence[str]) -> None:
        self.number = int(trial_id) if trial_id.isdigit() else trial_id
        self.params: dict[str, Any] = {}
        self.user_attrs: dict[str, Any] = {}
        self._metrics = tuple(metrics)
        self._stopped: StopTrial | None = None

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        """A float in ``[low, high]`` (on a log scale, or every ``step``)."""
        if low == high:
            return self._fixed(name, float(low))
        return self._ask(name, Float(low, high, log=log, step=step))

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        """An integer in ``[low, high]``, both included (on a log scale, or every ``step``)."""
        if low == high:
            return self._fixed(name, int(low))
        return self._ask(name, Int(low, high, log=log, step=step))

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        """One of ``choices``."""
        if len(choices) == 1:
            return self._fixed(name, choices[0])
        return self._ask(name, Categorical(tuple(choices)))

    def suggest_uniform(self, name: str, low: float, high: float) -> float:
        """Optuna's older name of ``suggest_float``."""
        return self.suggest_float(name, low, high)

    def suggest_loguniform(self, name: str, low: float, high: float) -> float:
        """Optuna's older name of ``suggest_float(..., log=True)``."""
        return self.suggest_float(name, low, high, log=True)

    def report(self, value: float, step: int) -> None:
        """An intermediate value of the (first) metric at ``step``; the scheduler may stop
        the trial, which ``should_prune()`` then says."""
        if self._stopped is not None:
            return
        try:
            report({self._metrics[0]: value, "step": step})
        except StopTrial as stop:
            self._stopped = stop

    def should_prune(self) -> bool:
        """Whether the scheduler stopped the trial at a ``report`` (one that ran to the
        scheduler's budget is not pruned: the objective may return, and what it returns
        after that is not recorded)."""
        return self._stopped is not None and Action.STOP in self._stopped.args

    def set_user_attr(self, key: str, value: Any) -> None:
        """Keep a value with the trial: numbers are recorded with its final result."""
        self.user_attrs[key] = value

    def __getitem__(self, key: str) -> Any:
        """A trainable written for a configuration, run without a space, ends here by name."""
        raise RungError(
            f"the trainable read {key!r} of what it was handed, and this run has no space: "
            "without one, rung.run hands the function a define-by-run trial "
            "(trial.suggest_float(...)); to hand it a configuration, give rung.run a space"
        )

    def _ask(self, name: str, domain: Any) -> Any:
        value = ask_parameter(name, domain)
        self.params[name] = value
        return value

    def _fixed(self, name: str, value: Any) -> Any:
        self.params[name] = value
        return value


def objective_trainable(objective: Callable[[Trial], Any], metrics: Sequence[str]) -> Callable:
    """A rung trainable that hands ``objective`` a ``Trial`` and records what it returns."""

    @functools.wraps(objective)
    def run_objective(config: dict[str, Any]) -> dict[str, Any] | None:
        trial = Trial(get_trial_id(), metrics)
        try:
            returned = objective(trial)
        except Exception as error:
            if type(error).__name__ != "TrialPruned":  # rung's, or Optuna's
                raise
            returned = None
        if trial._stopped is not None:
            raise trial._stopped  # ends the run as the scheduler asked
        if returned is None:
            return None
        final = {k: as_number(v) for k, v in trial.user_attrs.items() if is_number(v)}
        final.update(_as_metrics(returned, metrics))
        return final

    return run_objective


def _as_metrics(returned: Any, metrics: Sequence[str]) -> dict[str, Any]:
    """What an objective returned, as a result: a number under the metric's name, one
    number per metric, or a dict as it is."""
    if isinstance(returned, Mapping):
        return dict(returned)
    values = list(returned) if isinstance(returned, list | tuple) else [returned]
    if len(values) != len(metrics):
        raise RungError(
            f"the objective returned {returned!r:.60}: {len(values)} value(s) for the "
            f"{len(metrics)} metric(s) {list(metrics)}"
        )
    converted = [as_number(value) for value in values]  # numpy and torch scalars too
    for value, number in zip(values, converted, strict=True):
        if number is None:
            raise RungError(f"the objective returned {value!r:.60}, not a number")
    return dict(zip(metrics, converted, strict=True))

"""The objective: which reported metric to optimize, in which direction, and the one rule
that scores a result.

Every part that ranks results (searchers, schedulers, results, checkpoint retention, the
progress line, loggers) asks the objective, so "best" means the same everywhere: the lowest
score, where the score is the metric (negated to maximize) and a missing, non-numeric, NaN
or infinite value is worst.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

from rung.errors import ConfigError

MODES = ("min", "max")


def is_number(value: Any) -> TypeGuard[float]:
    """A real number (numpy scalars included), not a bool."""
    if type(value) is float or type(value) is int:  # most values: no abstract class check
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def as_number(value: Any) -> float | None:
    """A reported value as a float (numpy and torch scalars included), or None if it is not
    a number (a bool, a string, an array) or one too large for a float (``10**400``)."""
    if type(value) is float:  # most values
        return value
    if isinstance(value, bool | str | bytes) or not hasattr(value, "__float__"):
        return None
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return None


def not_a_number(key: str, value: Any) -> str:
    """Why a reported value is no number, for a message: ``acc=10**400 (int, too large
    for a float)``."""
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:40] + "..." + shown[-10:]
    large = is_number(value) and as_number(value) is None
    kind = f"{type(value).__name__}, too large for a float" if large else type(value).__name__
    return f"{key}={shown} ({kind})"


def _value(result: Mapping[str, Any] | None, metric: str) -> float | None:
    number = as_number((result or {}).get(metric))
    return number if number is not None and math.isfinite(number) else None


def _score(result: Mapping[str, Any] | None, metric: str, sign: float) -> float:
    value = _value(result, metric)
    return math.inf if value is None else sign * value


@dataclass(frozen=True)
class Objective:
    """The metric an experiment optimizes, and whether lower or higher is better; with
    ``others``, several metrics at once (``Objective.of(["acc", "latency"], ["max", "min"])``).

    Single-objective ranking (``value``, ``score``, ``best``) reads ``metric``, the first;
    ``scores`` gives every objective's score, the vector that Pareto dominance compares.

    Attributes:
        metric: the reported key to optimize (the first, with several).
        mode: ``"min"`` or ``"max"``.
        others: the further objectives, as ``(metric, mode)`` pairs.
    """

    metric: str
    mode: str = "min"
    others: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        for metric, mode in ((self.metric, self.mode), *self.others):
            if not isinstance(metric, str) or not metric:
                raise ConfigError(f"metric={metric!r}: name the reported key to optimize")
            if mode not in MODES:
                raise ConfigError(f"mode={mode!r}: use 'min' or 'max'")
        if len(set(self.metrics)) < len(self.metrics):
            raise ConfigError(f"metric={list(self.metrics)!r}: each metric once")

    @classmethod
    def of(cls, metric: str | Sequence[str], mode: str | Sequence[str]) -> Objective:
        """The objective ``rung.run`` is given: one metric and mode, or lists of both of the
        same length (several objectives)."""
        several_modes = isinstance(mode, Sequence) and not isinstance(mode, str)
        if isinstance(metric, str) and not several_modes:
            return cls(metric, mode)  # type: ignore[arg-type]  # a bad mode is named there
        if isinstance(metric, str) or isinstance(mode, str):
            raise ConfigError(
                f"metric={metric!r}, mode={mode!r}: with several metrics give a mode for each, "
                "e.g. metric=['val_acc', 'latency_ms'], mode=['max', 'min']"
            )
        metrics, modes = list(metric), list(mode)
        if not metrics or len(metrics) != len(modes):
            raise ConfigError(f"metric={metrics!r}, mode={modes!r}: give one mode for each metric")
        if len(metrics) == 1:
            return cls(metrics[0], modes[0])
        return cls(metrics[0], modes[0], tuple(zip(metrics[1:], modes[1:], strict=True)))

    @property
    def metrics(self) -> tuple[str, ...]:
        """Every objective's metric, the first first."""
        return (self.metric, *(metric for metric, _ in self.others))

    @property
    def modes(self) -> tuple[str, ...]:
        """Every objective's mode."""
        return (self.mode, *(mode for _, mode in self.others))

    @property
    def several(self) -> bool:
        """Whether there are several objectives (no one best trial: a Pareto front)."""
        return bool(self.others)

    def scores(self, result: Mapping[str, Any] | None) -> tuple[float, ...]:
        """Every objective's score of ``result``, lower is better (+inf: cannot be ranked)."""
        return tuple(
            _score(result, metric, sign)
            for metric, sign in zip(self.metrics, self.signs, strict=True)
        )

    def value(self, result: Mapping[str, Any] | None) -> float | None:
        """The metric in ``result`` as a finite float, or None when it cannot be ranked."""
        return _value(result, self.metric)

    def score(self, result: Mapping[str, Any] | None) -> float:
        """The result's score, lower is better: the metric (negated for ``"max"``), or +inf
        when it cannot be ranked."""
        return _score(result, self.metric, self.sign)

    @property
    def sign(self) -> float:
        """1 to minimize, -1 to maximize: a value times the sign is lower when better."""
        return 1.0 if self.mode == "min" else -1.0

    @property
    def signs(self) -> tuple[float, ...]:
        """Every objective's sign (see ``sign``)."""
        return tuple(1.0 if mode == "min" else -1.0 for mode in self.modes)

    def best(self, values: Iterable[float]) -> float:
        """The best of ``values`` (at least one)."""
        return min(values) if self.mode == "min" else max(values)

    def reaches(self, value: float, target: float) -> bool:
        """Whether metric ``value`` is at least as good as ``target``."""
        return value <= target if self.mode == "min" else value >= target

    def is_better(self, value: float, than: float | None) -> bool:
        """Whether metric ``value`` beats ``than`` (None: nothing yet)."""
        if than is None:
            return True
        return value < than if self.mode == "min" else value > than

    def describe(self) -> str:
        """``"min 'loss'"`` (``"max 'acc', min 'latency'"``), for progress output."""
        return ", ".join(f"{m} {k!r}" for k, m in zip(self.metrics, self.modes, strict=True))

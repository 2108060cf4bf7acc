"""Parameter domains: what one hyperparameter may take, and its map to and from [0, 1].

Bounds are inclusive at both ends everywhere in rung: ``randint(1, 10)`` may return 10 (as in
Optuna, unlike numpy and Ray Tune), and ``quniform(0, 1, 0.25)`` may return 1.0.
"""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rung.errors import SpaceError
from rung.objective import is_number


class Domain(ABC):
    """The set of values one parameter may take."""

    def _fail(self, problem: str, fix: str) -> SpaceError:
        return SpaceError(f"{self}: {problem}; {fix}")


class NumericDomain(Domain):
    """A domain searchers see as one coordinate of the unit cube."""

    @abstractmethod
    def to_unit(self, value: Any) -> float:
        """Position of ``value`` in [0, 1]."""

    @abstractmethod
    def from_unit(self, u: float) -> Any:
        """The value at position ``u`` of [0, 1] (clipped, snapped to the step)."""

    @abstractmethod
    def contains(self, value: Any) -> bool:
        """Whether ``value`` is a value of this domain."""


def _is_integer(x: Any) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _decimal(x: float) -> Decimal:
    return Decimal(int(x)) if _is_integer(x) else Decimal(repr(float(x)))


@dataclass(frozen=True)
class Float(NumericDomain):
    """A real number in ``[low, high]``, optionally on a log scale or a grid of ``step``."""

    low: float
    high: float
    log: bool = False
    step: float | None = None

    def __post_init__(self) -> None:
        if not (is_number(self.low) and is_number(self.high)):
            raise self._fail("bounds must be numbers", "pass numbers such as 0.0 and 1.0")
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise self._fail("bounds must be finite", "use finite low and high")
        if self.low >= self.high:
            raise self._fail(
                "low must be below high", "swap them, or use a constant for a fixed value"
            )
        if self.log and self.low <= 0:
            raise self._fail(
                "a log scale needs low > 0", "raise low (e.g. 1e-8) or drop the log scale"
            )
        if self.step is not None:
            self._check_step()

    def _check_step(self) -> None:
        step = self.step
        if step is None or not is_number(step) or not math.isfinite(step) or step <= 0:
            raise self._fail("step must be a positive number", "pass e.g. step=0.1")
        span = _decimal(self.high) - _decimal(self.low)
        if span % _decimal(step) != 0:
            raise self._fail(
                f"step {step} does not divide the range {self.low}..{self.high}",
                "pick a step that divides high - low, or move high to low + k * step",
            )

    @property
    def _num_steps(self) -> int:
        assert self.step is not None
        return int((_decimal(self.high) - _decimal(self.low)) / _decimal(self.step)) + 1

    def _edges(self) -> tuple[float, float]:
        """Interval that [0, 1] spans; widened by half a step so grid ends are not rarer."""
        low, high = self.low, self.high
        if self.step is not None:
            half = self.step / 2
            low = max(low - half, low / 2) if self.log else low - half
            high = high + half
        if self.log:
            return math.log(low), math.log(high)
        return low, high

    def to_unit(self, value: Any) -> float:
        lo, hi = self._edges()
        x = math.log(value) if self.log else float(value)
        return (x - lo) / (hi - lo)

    def from_unit(self, u: float) -> float:
        lo, hi = self._edges()
        x = lo + float(u) * (hi - lo)
        value = math.exp(x) if self.log else x
        if self.step is None:
            return min(max(value, self.low), self.high)
        k = min(max(round((value - self.low) / self.step), 0), self._num_steps - 1)
        return float(_decimal(self.low) + k * _decimal(self.step))

    def contains(self, value: Any) -> bool:
        if not is_number(value) or not self.low <= value <= self.high:
            return False
        if self.step is None:
            return True
        return (_decimal(value) - _decimal(self.low)) % _decimal(self.step) == 0

    def __str__(self) -> str:
        name = "loguniform" if self.log else "uniform"
        if self.step is None:
            return f"{name}({self.low!r}, {self.high!r})"
        return f"q{name}({self.low!r}, {self.high!r}, {self.step!r})"


@dataclass(frozen=True)
class Int(NumericDomain):
    """An integer in ``[low, high]`` (both included), optionally log-scaled or every ``step``."""

    low: int
    high: int
    log: bool = False
    step: int = 1

    def __post_init__(self) -> None:
        for field in ("low", "high", "step"):
            value = getattr(self, field)
            if not _is_integer(value):
                raise self._fail("bounds and step must be integers", "use uniform() for reals")
            object.__setattr__(self, field, int(value))
        if self.low >= self.high:
            raise self._fail(
                "low must be below high (both are included)",
                "swap them, or use a constant for a fixed value",
            )
        if self.step <= 0:
            raise self._fail("step must be positive", "pass e.g. step=1")
        if (self.high - self.low) % self.step:
            raise self._fail(
                f"step {self.step} does not divide the range {self.low}..{self.high}",
                "pick a step that divides high - low",
            )
        if self.log and self.low < 1:
            raise self._fail("a log scale needs low >= 1", "raise low or drop the log scale")
        if self.log and self.step != 1:
            raise self._fail("a log scale takes no step", "drop step, or drop the log scale")

    def _edges(self) -> tuple[float, float]:
        half = self.step / 2
        if self.log:
            return math.log(self.low - half), math.log(self.high + half)
        return self.low - half, self.high + half

    def to_unit(self, value: Any) -> float:
        lo, hi = self._edges()
        x = math.log(value) if self.log else float(value)
        return (x - lo) / (hi - lo)

    def from_unit(self, u: float) -> int:
        lo, hi = self._edges()
        x = lo + float(u) * (hi - lo)
        value = math.exp(x) if self.log else x
        k = round((value - self.low) / self.step)
        k = min(max(k, 0), (self.high - self.low) // self.step)
        return self.low + k * self.step

    def contains(self, value: Any) -> bool:
        return (
            _is_integer(value)
            and self.low <= value <= self.high
            and (value - self.low) % self.step == 0
        )

    def __str__(self) -> str:
        if self.log:
            return f"lograndint({self.low}, {self.high})"
        if self.step != 1:
            return f"qrandint({self.low}, {self.high}, {self.step})"
        return f"randint({self.low}, {self.high})"


@dataclass(frozen=True)
class Categorical(Domain):
    """One of a list of options; an option that is a dict is a conditional sub-space."""

    options: tuple[Any, ...]

    def __post_init__(self) -> None:
        if len(self.options) == 0:
            raise self._fail("there are no options", "give at least one option")

    def __str__(self) -> str:
        return f"choice([{', '.join(_render(o) for o in self.options)}])"


@dataclass(frozen=True)
class Grid(Domain):
    """Values that grid search enumerates in full; other searchers treat it as a choice."""

    values: tuple[Any, ...]

    def __post_init__(self) -> None:
        if len(self.values) == 0:
            raise self._fail("there are no values", "give at least one value")
        for value in self.values:
            if isinstance(value, Domain | dict):
                raise self._fail(
                    "grid values must be constants",
                    "use choice([...]) for options that hold their own parameters",
                )

    def __str__(self) -> str:
        return f"grid({list(self.values)!r})"


@dataclass(frozen=True)
class SampleFrom(Domain):
    """A value derived from the rest of the configuration: ``fn(config)``.

    Derived values are computed after every sampled one, in definition order, so one may
    read another defined before it. They are not searched over and not encoded.
    """

    fn: Callable[[dict[str, Any]], Any]

    def __post_init__(self) -> None:
        if not callable(self.fn):
            raise SpaceError(f"sample_from({self.fn!r}): needs a function of the config")

    def __str__(self) -> str:
        return f"sample_from({getattr(self.fn, '__name__', 'fn')})"


def _render(value: Any) -> str:
    """``repr`` of a value, with the domains inside it written in their textual form."""
    if isinstance(value, Domain):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_render(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_render(v) for v in value) + "]"
    return repr(value)


def uniform(low: float, high: float) -> Float:
    """A real number drawn uniformly from ``[low, high]``."""
    return Float(low, high)


def loguniform(low: float, high: float) -> Float:
    """A real number whose logarithm is uniform on ``[log low, log high]``; needs ``low > 0``."""
    return Float(low, high, log=True)


def quniform(low: float, high: float, step: float) -> Float:
    """A real number on the grid ``low, low + step, ..., high``; ``step`` divides the range."""
    return Float(low, high, step=step)


def qloguniform(low: float, high: float, step: float) -> Float:
    """Like ``loguniform``, snapped to the grid ``low, low + step, ..., high``."""
    return Float(low, high, log=True, step=step)


def randint(low: int, high: int) -> Int:
    """An integer in ``[low, high]``, both included."""
    return Int(low, high)


def qrandint(low: int, high: int, step: int) -> Int:
    """An integer in ``low, low + step, ..., high``, both ends included."""
    return Int(low, high, step=step)


def lograndint(low: int, high: int) -> Int:
    """An integer in ``[low, high]`` (both included) drawn uniformly on a log scale."""
    return Int(low, high, log=True)


def choice(options: Sequence[Any]) -> Categorical:
    """One of ``options``; dict options are sub-spaces whose parameters exist only when chosen."""
    if isinstance(options, str | bytes) or not isinstance(options, Sequence):
        raise SpaceError(f"choice({options!r}): options must be a list, e.g. choice(['a', 'b'])")
    return Categorical(tuple(options))


def grid(values: Sequence[Any]) -> Grid:
    """Values that grid search tries every one of (the Cartesian product over grids)."""
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise SpaceError(f"grid({values!r}): values must be a list, e.g. grid([1, 2, 3])")
    return Grid(tuple(values))


def sample_from(fn: Callable[[dict[str, Any]], Any]) -> SampleFrom:
    """A value computed from the configuration, e.g. ``sample_from(lambda c: 2 * c["width"])``."""
    return SampleFrom(fn)


# The functions that make domains: passed uncalled, they are a mistake, not a constant.
DOMAIN_FUNCTIONS = (
    uniform,
    loguniform,
    quniform,
    qloguniform,
    randint,
    qrandint,
    lograndint,
    choice,
    grid,
    sample_from,
)

"""Constraints on what trials report: ``"memory_gb <= 16"`` (a reported key against a
number, read without ``eval``) or a function of the result returning a number or numbers,
where <= 0 is feasible (as Optuna's ``constraints_func``).

The driver measures each result's violation when it records it (the largest of the
constraints': <= 0 feasible, +inf when a key is missing or a function fails), so the log
itself says which results were feasible and every reader agrees without the constraints.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rung.errors import ConfigError, RungWarning
from rung.objective import as_number

ConstraintFunction = Callable[[Mapping[str, Any]], Any]
ConstraintsSpec = str | ConstraintFunction | Sequence[str | ConstraintFunction] | None

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_BOUND = re.compile(rf"^\s*([A-Za-z_][\w./-]*)\s*(<=|>=|<|>|==)\s*({_NUMBER})\s*$")


@dataclass(frozen=True)
class Bound:
    """``key <= number`` or ``key >= number`` over a reported key."""

    key: str
    upper: bool
    bound: float

    @classmethod
    def parse(cls, text: str) -> Bound:
        """The bound ``text`` writes, or a ConfigError saying how to write one."""
        match = _BOUND.match(text)
        if match is None:
            raise ConfigError(
                f"constraint {text!r}: write a reported key, <= or >=, and a number, "
                "e.g. 'memory_gb <= 16' (or give a function of the result)"
            )
        key, operator, number = match.groups()
        if operator not in ("<=", ">="):
            raise ConfigError(
                f"constraint {text!r}: use <= or >= ({operator} cannot be told apart from "
                "them on measured values)"
            )
        return cls(key, operator == "<=", float(number))

    def violation(self, result: Mapping[str, Any]) -> float:
        """How far ``result`` is past the bound (<= 0: within it; +inf: the key is missing
        or not a number)."""
        value = as_number(result.get(self.key))
        if value is None or math.isnan(value):
            return math.inf
        return value - self.bound if self.upper else self.bound - value

    def __str__(self) -> str:
        return f"{self.key} {'<=' if self.upper else '>='} {self.bound:g}"


class Constraints:
    """The constraints of an experiment, as ``rung.run(constraints=...)`` takes them: one
    or a list of bounds written as text and functions of the result."""

    def __init__(self, spec: ConstraintsSpec) -> None:
        items: Sequence[Any]
        if spec is None:
            items = ()
        elif isinstance(spec, str) or callable(spec):
            items = (spec,)
        elif isinstance(spec, Sequence):
            items = spec
        else:
            raise ConfigError(
                f"constraints={spec!r}: give 'key <= number' texts, functions of the result, "
                "or a list of them"
            )
        self.parts: list[Bound | ConstraintFunction] = []
        for item in items:
            if isinstance(item, str):
                self.parts.append(Bound.parse(item))
            elif callable(item):
                self.parts.append(item)
            else:
                raise ConfigError(
                    f"constraint {item!r}: give a 'key <= number' text or a function of the "
                    "result returning a number (or numbers), <= 0 when feasible"
                )
        self._warned: set[int] = set()

    def __bool__(self) -> bool:
        return bool(self.parts)

    def saved(self) -> list[str]:
        """The constraints as the experiment's settings keep them (a function by name)."""
        return [str(p) if isinstance(p, Bound) else _name(p) for p in self.parts]

    def violation(self, result: Mapping[str, Any]) -> float:
        """The largest violation of any constraint by ``result``: <= 0 when it is feasible."""
        worst = -math.inf
        for index, part in enumerate(self.parts):
            if isinstance(part, Bound):
                worst = max(worst, part.violation(result))
            else:
                worst = max(worst, self._call(index, part, result))
        return worst

    def _call(self, index: int, function: ConstraintFunction, result: Mapping[str, Any]) -> float:
        """A function's violation; one that fails or returns no number makes the result
        infeasible, said once per function."""
        try:
            returned = function(result)
            values = returned if isinstance(returned, Sequence) else (returned,)
            numbers = [as_number(v) for v in values]
            if not numbers or any(n is None or math.isnan(n) for n in numbers):
                raise ValueError(f"returned {returned!r}, not a number or numbers")
            return max(n for n in numbers if n is not None)
        except Exception as error:  # the user's function: the result is infeasible, not lost
            if index not in self._warned:
                self._warned.add(index)
                warnings.warn(
                    f"constraint {_name(function)} failed on a result ({error}); such results "
                    "count as infeasible",
                    RungWarning,
                    stacklevel=2,
                )
            return math.inf


def _name(function: Any) -> str:
    module = getattr(function, "__module__", None) or "?"
    return f"{module}:{getattr(function, '__qualname__', type(function).__qualname__)}"

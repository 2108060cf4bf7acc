"""Helpers the schedulers share: reading the budget out of a result, checking settings."""

from __future__ import annotations

from typing import Any

from rung.errors import ConfigError
from rung.objective import is_number


def budget_of(result: dict[str, Any], time_attr: str) -> float:
    """How much budget a result says its trial has used, in ``time_attr``'s units."""
    try:
        value = result[time_attr]
    except KeyError:
        raise ConfigError(
            f"the scheduler measures budget by {time_attr!r}, which the result does not have "
            f"(keys: {sorted(result)}); report it or set time_attr= to a reported key"
        ) from None
    if not is_number(value):
        raise ConfigError(f"time_attr {time_attr!r} must be a number, got {value!r}")
    return float(value)


def check_positive(owner: str, **values: float) -> None:
    """Refuse non-positive settings, naming the knob."""
    for name, value in values.items():
        if not is_number(value) or not value > 0:
            raise ConfigError(f"{owner}({name}={value!r}): must be a positive number")


def check_budgets(
    owner: str, max_t: float, grace_period: float | None, reduction_factor: float
) -> None:
    """Refuse budget settings successive halving cannot work with, naming the knob."""
    check_positive(owner, max_t=max_t)
    if grace_period is not None:
        check_positive(owner, grace_period=grace_period)
        if grace_period > max_t:
            raise ConfigError(f"{owner}(grace_period={grace_period}) must not exceed max_t={max_t}")
    if not is_number(reduction_factor) or not reduction_factor > 1:
        raise ConfigError(f"{owner}(reduction_factor={reduction_factor!r}): must be > 1")


def first_rung(max_t: float, grace_period: float | None, reduction_factor: float) -> float:
    """The smallest budget successive halving gives: ``grace_period``, or, not given,
    ``max_t / reduction_factor**3`` (three halvings from the first rung to the last; a
    whole number, at least 1, where ``max_t`` is one: 2 of 52 epochs, 4 of 100). A first
    rung of one epoch ranks trials by a single noisy report; this is the setting the
    scheduler benchmarks measured (docs/benchmarks.md)."""
    if grace_period is not None:
        return grace_period
    derived = max_t / reduction_factor**3
    if float(max_t).is_integer():
        derived = max(1, round(derived))
    return min(derived, max_t)


def geometric_rungs(grace_period: float, reduction_factor: float, max_t: float) -> list[float]:
    """``grace_period * reduction_factor**k`` for every k that stays within ``max_t``."""
    rungs, k = [], 0
    while grace_period * reduction_factor**k <= max_t * (1 + 1e-12):
        rungs.append(grace_period * reduction_factor**k)
        k += 1
    return rungs

"""Known starting points (``points_to_evaluate``): given configurations are tried first, and
the searcher that proposes the rest learns from their results as from its own."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rung.errors import ConfigError, SpaceError
from rung.objective import Objective
from rung.registry import did_you_mean
from rung.searchers.base import Searcher
from rung.space import Space


def _merged(base: Mapping[str, Any], point: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``point``'s values over it, nested dicts merged key by key."""
    merged = copy.deepcopy(dict(base))
    for key, value in point.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _unknown_keys(point: Mapping[str, Any], definition: Mapping[str, Any], path: str) -> list[str]:
    """Keys of ``point`` that the space's definition does not have (nested ones as a/b)."""
    unknown = []
    for key, value in point.items():
        where = f"{path}/{key}" if path else str(key)
        if key not in definition:
            unknown.append(f"{where!r}{did_you_mean(str(key), [str(k) for k in definition])}")
        elif isinstance(value, Mapping) and isinstance(definition[key], Mapping):
            unknown += _unknown_keys(value, definition[key], where)
    return unknown


def check_points(points: Any, space: Space) -> list[dict[str, Any]]:
    """The points as dicts, refusing keys the space lacks and values outside it (a partial
    point is checked over a draw of the space; one that picks a choice option gives that
    option whole)."""
    if not isinstance(points, Sequence) or isinstance(points, str | bytes):
        raise ConfigError("points_to_evaluate: give a list of configurations (dicts)")
    checked = []
    for index, point in enumerate(points):
        if not isinstance(point, Mapping):
            raise ConfigError(f"points_to_evaluate[{index}]: {point!r} is not a dict")
        unknown = _unknown_keys(point, space.definition, "")
        if unknown:
            raise ConfigError(f"points_to_evaluate[{index}]: the space has no {', '.join(unknown)}")
        try:
            space.encode(_merged(space.sample(np.random.default_rng(index)), point))
        except SpaceError as error:
            raise ConfigError(f"points_to_evaluate[{index}]: {error}") from None
        checked.append(dict(point))
    return checked


class StartingPoints(Searcher):
    """Tries ``points`` first, in order, then what ``searcher`` proposes.

    A partial point (some parameters left out) is completed with the searcher's own
    proposal for that trial; a complete one takes no proposal (a grid loses no point). The
    searcher records each point as its proposal, so a model-based searcher (TPE, GP, BOHB,
    CMA-ES) learns from the points' results as from its own.

    Args:
        searcher: the searcher behind the points.
        points: configurations, complete or partial (nested dicts as in the space).
    """

    def __init__(self, searcher: Searcher, points: Sequence[Mapping[str, Any]]) -> None:
        super().__init__(searcher.seed)
        self.searcher = searcher
        self.points = [dict(p) for p in points]

    def setup(
        self,
        space: Space | Mapping[str, Any],
        objective: Objective | None = None,
        rng: np.random.Generator | None = None,
        num_trials: int | None = None,
    ) -> Searcher:
        super().setup(space, objective, rng, num_trials)
        self.searcher.setup(self.space, self.objective, self.rng, num_trials)
        self.adaptive = self.searcher.adaptive
        self.points = check_points(self.points, self.space)
        self._complete = [self.space.contains(point) for point in self.points]
        return self

    def _setup(self) -> None:
        self._next = 0

    def suggest(self, trial_id: str) -> dict[str, Any] | None:
        index = self._next
        if index >= len(self.points):
            return self.searcher.suggest(trial_id)
        self._next += 1
        point = self.points[index]
        if self._complete[index]:
            config = copy.deepcopy(point)
            self.searcher.adopt(trial_id, config)
        else:
            proposal = self.searcher.suggest(trial_id) or self.space.sample(self.rng)
            config = _merged(proposal, point)
            self.searcher.pending[trial_id] = config
        return copy.deepcopy(config)

    def _suggest(self, trial_id: str) -> dict[str, Any] | None:
        raise NotImplementedError("StartingPoints proposes through suggest()")

    def restore(self, trial_id: str, config: dict[str, Any]) -> None:
        index = self._next
        if index >= len(self.points):
            self.searcher.restore(trial_id, config)
            return
        self._next += 1
        if self._complete[index]:
            self.searcher.adopt(trial_id, config)
        else:
            self.searcher.restore(trial_id, config)

    def adopt(self, trial_id: str, config: dict[str, Any]) -> None:
        """A trial proposed elsewhere (a warm start's) is the wrapped searcher's to learn
        from; the given points keep their turn."""
        self.searcher.adopt(trial_id, config)

    def on_trial_result(self, trial_id: str, result: Mapping[str, Any]) -> None:
        self.searcher.on_trial_result(trial_id, result)

    def on_trial_complete(
        self,
        trial_id: str,
        result: Mapping[str, Any] | None,
        failed: bool = False,
        stopped_early: bool = False,
        violation: float | None = None,
    ) -> None:
        self.searcher.on_trial_complete(trial_id, result, failed, stopped_early, violation)

    def describe(self) -> str:
        return f"{self.searcher.describe()} after {len(self.points)} given points"

    @property
    def is_finished(self) -> bool:
        return self._next >= len(self.points) and self.searcher.is_finished

"""Grid search: the Cartesian product of the space's ``grid`` parameters."""

from __future__ import annotations

from typing import Any

from rung.errors import ConfigError
from rung.searchers.base import Searcher
from rung.space import Space


class GridSearch(Searcher):
    """Tries every combination of the ``grid(...)`` parameters, ``num_samples`` times over.

    Parameters that are not grids are drawn at random for each point, so
    ``{"lr": grid([0.1, 0.01]), "seed": randint(0, 1000)}`` with ``num_samples=3`` gives six
    trials, three per learning rate, as grid search does in Ray Tune.

    Args:
        num_samples: how many times the whole grid is repeated.
        seed: seed for the parameters that are drawn, when used on its own.
    """

    adaptive = False
    several_objectives = True

    def __init__(self, num_samples: int = 1, seed: int | None = None) -> None:
        super().__init__(seed)
        if not isinstance(num_samples, int) or num_samples < 1:
            raise ConfigError(f"GridSearch(num_samples={num_samples!r}): must be an int >= 1")
        self.num_samples = num_samples

    def walk_length(self, space: Space) -> int | None:
        return space.grid_size

    def _setup(self) -> None:
        self._points = list(self.space.grid())
        self._next = 0

    @property
    def total(self) -> int:
        """Number of trials the grid gives: grid size times ``num_samples``."""
        return len(self._points) * self.num_samples

    def _suggest(self, trial_id: str) -> dict[str, Any] | None:
        if self.is_finished:
            return None
        point = self._points[self._next % len(self._points)]
        self._next += 1
        return self.space.sample(self.rng, fixed=point)

    @property
    def is_finished(self) -> bool:
        return self._next >= self.total

"""Quasi-random search: a scrambled Sobol sequence, which covers the space more evenly."""

from __future__ import annotations

from typing import Any

import numpy as np

from rung.searchers.base import Searcher

_FIRST_BLOCK = 16


class QuasiRandomSearch(Searcher):
    """Configurations from one scrambled Sobol sequence (``scipy.stats.qmc.Sobol``).

    Low-discrepancy points fill the unit cube more evenly than independent draws, which makes
    them the better tool for exploring a space before a model-based searcher narrows it.
    Points are drawn in blocks that keep the total a power of two (Sobol's balance property)
    and handed out one at a time, continuing the same sequence. Integer and categorical
    coordinates are decoded from the same unit-cube point.

    Args:
        scramble: Owen-scramble the sequence (randomized QMC); False gives the raw sequence.
        seed: seed of the scrambling, when used on its own.
    """

    adaptive = False
    several_objectives = True

    def __init__(self, scramble: bool = True, seed: int | None = None) -> None:
        super().__init__(seed)
        self.scramble = scramble

    def _setup(self) -> None:
        from scipy.stats import qmc

        self._sobol = qmc.Sobol(d=max(self.space.dim, 1), scramble=self.scramble, seed=self.rng)
        self._buffer = np.empty((0, self.space.dim))
        self._drawn = 0

    def _next_point(self) -> np.ndarray:
        if len(self._buffer) == 0:
            block = max(_FIRST_BLOCK, self._drawn)
            self._buffer = self._sobol.random(block)[:, : self.space.dim]
            self._drawn += block
        point, self._buffer = self._buffer[0], self._buffer[1:]
        return point

    def _suggest(self, trial_id: str) -> dict[str, Any]:
        return self.space.decode(self.space.from_unit(self._next_point()))

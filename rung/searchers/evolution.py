"""Regularized (aging) evolution: tournament selection, mutation, and the oldest dies.

Real et al. (AAAI 2019). The population is the ``population_size`` most recently finished
trials; each proposal mutates the best of ``sample_size`` members drawn at random. Removing
the oldest rather than the worst keeps the search moving and is robust to noise; each
proposal needs no model, so it suits large parallel budgets and any mixed or conditional
space. Failed and NaN trials join the population as the worst, and lose every tournament.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from rung.errors import ConfigError
from rung.searchers._observed import ModelSearcher, check_settings


class EvolutionSearch(ModelSearcher):
    """Regularized evolution over any rung space.

    Args:
        population_size: finished trials kept alive; the first ones are quasi-random.
        sample_size: members drawn for each tournament (larger: greedier).
        mutation_scale: standard deviation of a numeric mutation, on the unit scale.
        seed: the searcher's own seed, when used on its own.
    """

    def __init__(
        self,
        population_size: int = 32,
        sample_size: int = 8,
        mutation_scale: float = 0.15,
        seed: int | None = None,
    ) -> None:
        check_settings("EvolutionSearch", {"population_size": (population_size, 1)}, {})
        super().__init__(n_startup=population_size, seed=seed)
        if not isinstance(sample_size, int) or not 1 <= sample_size <= population_size:
            raise ConfigError(
                f"EvolutionSearch(sample_size={sample_size!r}): must be between 1 and "
                f"population_size ({population_size})"
            )
        self.population_size = population_size
        self.sample_size = sample_size
        self.mutation_scale = mutation_scale

    def _setup(self) -> None:
        super()._setup()
        self._population: deque[int] = deque(maxlen=self.population_size)

    def _observe(self, trial_id, config, result, failed, stopped_early, violation=None) -> None:
        super()._observe(trial_id, config, result, failed, stopped_early, violation)
        if config is not None:
            self._population.append(len(self.observed) - 1)

    def _propose(self) -> dict[str, Any]:
        members = np.fromiter(self._population, dtype=int)
        drawn = self.rng.choice(members, size=min(self.sample_size, len(members)), replace=False)
        rank = {index: position for position, index in enumerate(self.observed.ranking())}
        parent = min(drawn, key=rank.__getitem__)
        return self.geometry.decode(self.mutate(self.observed.x[parent]))

    def mutate(self, x: np.ndarray) -> np.ndarray:
        """A child of ``x``: each active coordinate mutates with probability 1/(active count),
        at least one always; numbers move by a Gaussian step, categoricals switch option."""
        geometry, rng = self.geometry, self.rng
        child = x.copy()
        active = np.nonzero(~np.isnan(child))[0]
        chosen = active[rng.random(len(active)) < 1.0 / len(active)]
        if len(chosen) == 0:
            chosen = rng.choice(active, size=1)
        for j in chosen:
            dim = geometry.dims[j]
            if dim.kind == "categorical":
                if dim.size > 1:
                    child[j] = (child[j] + rng.integers(1, dim.size)) % dim.size
            else:
                step = rng.normal(0.0, self.mutation_scale)
                if dim.kind == "discrete" and abs(step) < dim.edges[1] - dim.edges[0]:
                    step = np.sign(step or 1.0) * (dim.edges[1] - dim.edges[0])
                moved = child[j] + step
                moved = -moved if moved < 0 else 2.0 - moved if moved > 1 else moved
                child[j] = geometry.snap(j, np.array([moved]))[0]
        return geometry.complete(child[None, :], rng)[0]

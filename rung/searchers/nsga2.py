"""NSGA-II: a genetic algorithm whose parents are chosen by Pareto order.

Deb et al., "A Fast and Elitist Multiobjective Genetic Algorithm: NSGA-II" (2002). The
population is the ``population_size`` best finished trials in the order of non-dominated
sorting, ties within a front broken by crowding distance (``rung.pareto``): an elitist
(mu + lambda) selection over every trial so far, which suits trials that end one at a time.
Each proposal picks two parents by binary tournament in that order, crosses them (simulated
binary crossover on numbers, a fair coin per categorical) and mutates the child (polynomial
mutation, a new option for a categorical), each coordinate with probability 1 / dimensions.
Under constraints a feasible trial beats every infeasible one and the less violating of two
infeasible ones wins, Deb's constrained domination. Written from the paper, not taken from
a library: the operators act on rung's encoded spaces (log, quantized, integer, categorical,
conditional) and on trials that arrive asynchronously, which pymoo's generation loop does
not serve.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rung.errors import ConfigError
from rung.searchers._observed import ModelSearcher, check_settings


class NSGA2Search(ModelSearcher):
    """NSGA-II over any rung space, for one objective or several.

    Args:
        population_size: trials kept as parents; the first ones are quasi-random.
        crossover_probability: the chance a child is crossed from two parents (else it is a
            copy of the first, then mutated).
        crossover_eta: simulated binary crossover's spread (larger: children nearer their
            parents); Deb's 20 by default (15 in some later papers).
        mutation_eta: polynomial mutation's spread, likewise.
        seed: the searcher's own seed, when used on its own.
    """

    several_objectives = True

    def __init__(
        self,
        population_size: int = 50,
        crossover_probability: float = 0.9,
        crossover_eta: float = 20.0,
        mutation_eta: float = 20.0,
        seed: int | None = None,
    ) -> None:
        check_settings("NSGA2Search", {"population_size": (population_size, 2)}, {})
        super().__init__(n_startup=population_size, seed=seed)
        if not 0 <= crossover_probability <= 1:
            raise ConfigError(
                f"NSGA2Search(crossover_probability={crossover_probability!r}): must be in [0, 1]"
            )
        for name, eta in (("crossover_eta", crossover_eta), ("mutation_eta", mutation_eta)):
            if not eta > 0:
                raise ConfigError(f"NSGA2Search({name}={eta!r}): must be > 0")
        self.population_size = population_size
        self.crossover_probability = crossover_probability
        self.crossover_eta = crossover_eta
        self.mutation_eta = mutation_eta

    def _propose(self) -> dict[str, Any]:
        self.rank_by_pareto_order()
        population = self.observed.ranking()[: self.population_size]  # best first
        first, second = self._tournament(population), self._tournament(population)
        x1, x2 = self.observed.x[first], self.observed.x[second]
        child = x1.copy()
        if self.rng.random() < self.crossover_probability:
            child = self.crossover(x1, x2)
        child = self.mutate(child)
        return self.geometry.decode(self.geometry.complete(child[None, :], self.rng)[0])

    def _tournament(self, population: np.ndarray) -> int:
        """The better of two members drawn at random (``population`` is best first)."""
        drawn = self.rng.choice(len(population), size=min(2, len(population)), replace=False)
        return int(population[drawn.min()])

    def crossover(self, x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
        """A child of two encoded parents: each coordinate, with probability one half,
        crossed by bounded simulated binary crossover (numbers) or taken from either parent
        (categoricals); else the first parent's. A coordinate only one parent has (the
        other's choice closed it) is that parent's."""
        geometry, rng = self.geometry, self.rng
        child = np.where(np.isnan(x1), x2, x1)
        for j, dim in enumerate(geometry.dims):
            a, b = x1[j], x2[j]
            if np.isnan(a) or np.isnan(b) or rng.random() >= 0.5:
                continue
            if dim.kind == "categorical":
                child[j] = b if rng.random() < 0.5 else a
            elif abs(a - b) > 1e-14:
                child[j] = geometry.snap(j, np.array([self._sbx(min(a, b), max(a, b))]))[0]
        return child

    def _sbx(self, low: float, high: float) -> float:
        """One of the two children of bounded simulated binary crossover on [0, 1]."""
        eta, u = self.crossover_eta, self.rng.random()
        gap = high - low
        children = []
        for beta in (1.0 + 2.0 * low / gap, 1.0 + 2.0 * (1.0 - high) / gap):
            alpha = 2.0 - beta ** -(eta + 1.0)
            if u <= 1.0 / alpha:
                spread = (u * alpha) ** (1.0 / (eta + 1.0))
            else:
                spread = (1.0 / (2.0 - u * alpha)) ** (1.0 / (eta + 1.0))
            children.append(spread)
        middle = 0.5 * (low + high)
        pair = (middle - 0.5 * children[0] * gap, middle + 0.5 * children[1] * gap)
        return float(np.clip(pair[int(self.rng.random() < 0.5)], 0.0, 1.0))

    def mutate(self, x: np.ndarray) -> np.ndarray:
        """``x`` with each active coordinate mutated with probability 1 / (active count):
        bounded polynomial mutation on numbers, another option on a categorical."""
        geometry, rng = self.geometry, self.rng
        child = x.copy()
        active = np.flatnonzero(~np.isnan(child))
        for j in active[rng.random(len(active)) < 1.0 / max(1, len(active))]:
            dim = geometry.dims[j]
            if dim.kind == "categorical":
                if dim.size > 1:
                    child[j] = (child[j] + rng.integers(1, dim.size)) % dim.size
            else:
                child[j] = geometry.snap(j, np.array([self._polynomial(child[j])]))[0]
        return child

    def _polynomial(self, y: float) -> float:
        """Bounded polynomial mutation of ``y`` on [0, 1]."""
        power, u = 1.0 / (self.mutation_eta + 1.0), self.rng.random()
        if u < 0.5:
            value = 2.0 * u + (1.0 - 2.0 * u) * (1.0 - y) ** (self.mutation_eta + 1.0)
            step = value**power - 1.0
        else:
            value = 2.0 * (1.0 - u) + 2.0 * (u - 0.5) * y ** (self.mutation_eta + 1.0)
            step = 1.0 - value**power
        return float(np.clip(y + step, 0.0, 1.0))

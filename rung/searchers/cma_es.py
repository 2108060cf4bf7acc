"""CMA-ES (the ``cmaes`` package) for continuous spaces: strong where parameters interact
and the problem is ill-conditioned, and cheap per suggestion.

The numeric parameters are searched in the unit cube of the space's encoding (log-scaled
ones on their log scale); integers and stepped floats are searched as continuous and snapped
when decoded, as Optuna's ``CmaEsSampler`` does. Categorical parameters are drawn at random,
also as Optuna does (say so, once); conditional spaces are refused.

Trials run in parallel: each suggestion is a fresh sample of the current generation, and a
generation is told to CMA-ES once ``population_size`` of its trials have ended (failed ones
do not count; trials of an older generation that end late are left out, as in Optuna).
Trials a scheduler stopped early rank after those that ran to their end.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from rung.errors import ConfigError, RungWarning
from rung.objective import is_number
from rung.searchers.base import Searcher


class CMAESSearch(Searcher):
    """CMA-ES over the numeric parameters, with IPOP restarts.

    Args:
        sigma0: the initial step size, in the unit cube (1/6: the cube is about three
            standard deviations either side of its centre).
        population_size: trials per generation (None: 4 + 3 ln d, CMA-ES's default).
        restart: when CMA-ES has converged, start again with twice the population (IPOP),
            around a fresh random mean; otherwise keep sampling the converged distribution.
        seed: the searcher's own seed, when used on its own.
    """

    def __init__(
        self,
        sigma0: float = 1 / 6,
        population_size: int | None = None,
        restart: bool = True,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed)
        if not is_number(sigma0) or not 0 < sigma0 <= 1:
            raise ConfigError(f"CMAESSearch(sigma0={sigma0!r}): must be a number in (0, 1]")
        if population_size is not None and (
            not isinstance(population_size, int) or population_size < 4
        ):
            raise ConfigError(
                f"CMAESSearch(population_size={population_size!r}): must be an int >= 4 (half "
                "of it, at least two, makes the next generation)"
            )
        self.sigma0 = sigma0
        self.population_size = population_size
        self.restart = restart

    def _setup(self) -> None:
        try:
            import cmaes  # noqa: F401
        except ImportError:
            raise ConfigError(
                "searcher='cmaes' needs the cmaes package: pip install 'rung[cmaes]'"
            ) from None
        if self.space.is_conditional:
            raise ConfigError(
                "CMA-ES searches a fixed set of parameters and this space is conditional "
                "(parameters inside choice options); use searcher='tpe'"
            )
        params = self.space.params
        self._numeric = [i for i, p in enumerate(params) if not p.is_categorical]
        self._categorical = [i for i, p in enumerate(params) if p.is_categorical]
        if not self._numeric:
            raise ConfigError(
                "CMA-ES searches numeric parameters and this space has none; use "
                "searcher='tpe' (or 'grid' for a few choices)"
            )
        if self._categorical:
            names = ", ".join(params[i].name for i in self._categorical)
            warnings.warn(
                f"CMA-ES models numeric parameters only: {names} will be drawn at random "
                "(as Optuna's CmaEsSampler does); searcher='tpe' models them",
                RungWarning,
                stacklevel=2,
            )
        self._population: int = self.population_size or 0  # 0: cmaes's default, set below
        self._generation = 0
        self._asked: dict[str, tuple[int, np.ndarray]] = {}
        self._told: list[tuple[np.ndarray, float, bool, float]] = []
        self._strategy = self._new_strategy(np.full(self._dim, 0.5))

    @property
    def _dim(self) -> int:
        # cmaes needs two coordinates at least; a lone parameter gets a silent partner.
        return max(2, len(self._numeric))

    def _new_strategy(self, mean: np.ndarray) -> Any:
        import cmaes

        bounds = np.tile([0.0, 1.0], (self._dim, 1))
        strategy = cmaes.CMA(
            mean=mean,
            sigma=self.sigma0,
            bounds=bounds,
            seed=int(self.rng.integers(2**31 - 1)),
            population_size=self._population or None,
        )
        self._population = strategy.population_size
        return strategy

    def _suggest(self, trial_id: str) -> dict[str, Any] | None:
        x = self._strategy.ask()
        self._asked[trial_id] = (self._generation, x)
        return self._decode(x)

    def _decode(self, x: np.ndarray) -> dict[str, Any]:
        point = self.space.from_unit(self.rng.random(self.space.dim))  # categoricals at random
        point[self._numeric] = x[: len(self._numeric)]
        return self.space.decode(point)

    def adopt(self, trial_id: str, config: dict[str, Any]) -> None:
        """A starting point joins the current generation at its place in the cube."""
        x = np.full(self._dim, 0.5)
        x[: len(self._numeric)] = np.clip(self.space.encode(config)[self._numeric], 0.0, 1.0)
        self._asked[trial_id] = (self._generation, x)
        self.pending[trial_id] = config

    def restore(self, trial_id: str, config: dict[str, Any]) -> None:
        """Ask again, as the run did: the strategy is seeded and told the same generations
        in the same order, so it asks the same points and a resumed run goes on as an
        unbroken one would."""
        self._suggest(trial_id)
        self.pending[trial_id] = config

    def _observe(
        self,
        trial_id: str,
        config: dict[str, Any] | None,
        result: Mapping[str, Any] | None,
        failed: bool,
        stopped_early: bool,
        violation: float | None = None,
    ) -> None:
        generation, x = self._asked.pop(trial_id, (None, None))
        infeasible = violation is not None and violation > 0  # as a failure: not told
        loss = math.inf if infeasible else self.objective.score(result)
        if generation != self._generation or x is None or failed or not math.isfinite(loss):
            return
        budget = float((result or {}).get("training_iteration", 0) or 0)
        self._told.append((x, loss, stopped_early, budget))
        if len(self._told) < self._population:
            return
        self._strategy.tell(_ranked(self._told))
        self._told = []
        self._generation += 1
        if self.restart and self._strategy.should_stop():
            self._population *= 2
            self._strategy = self._new_strategy(self.rng.random(self._dim))

    def describe(self) -> str:
        return f"CMAESSearch (population {self._population}, generation {self._generation})"


def _ranked(told: list[tuple[np.ndarray, float, bool, float]]) -> list[tuple[np.ndarray, float]]:
    """The generation as CMA-ES takes it: trials that ran to their end keep their loss;
    those a scheduler stopped early come after all of them (longer-trained first, then by
    loss), as the other model-based searchers rank them, since their losses were measured
    on smaller budgets. CMA-ES only uses the order."""
    complete = [(x, loss) for x, loss, stopped, _ in told if not stopped]
    stopped = sorted(
        ((x, loss, budget) for x, loss, cut, budget in told if cut), key=lambda s: (-s[2], s[1])
    )
    worst = max([loss for _, loss in complete], default=0.0)
    return complete + [(x, worst + 1.0 + rank) for rank, (x, _, _) in enumerate(stopped)]

"""Searchers: which configuration to try next. Selectable by name or as an instance."""

from __future__ import annotations

import math

from rung.searchers.anneal import AnnealSearch
from rung.searchers.auto import AutoSearch
from rung.searchers.base import Searcher
from rung.searchers.bohb import BOHBSearch
from rung.searchers.cma_es import CMAESSearch
from rung.searchers.evolution import EvolutionSearch
from rung.searchers.given import GivenConfigs
from rung.searchers.gp import GPSearch
from rung.searchers.grid import GridSearch
from rung.searchers.named import SEARCHERS, make_searcher
from rung.searchers.nsga2 import NSGA2Search
from rung.searchers.portfolio import PortfolioSearch
from rung.searchers.quasirandom import QuasiRandomSearch
from rung.searchers.random import RandomSearch
from rung.searchers.tpe import TPESearch
from rung.space import Space


def default_searcher(space: Space, num_trials: int | None) -> Searcher:
    """The searcher of a run that names none: random search, or, when the space has ``grid``
    parameters, grid search repeated to fill ``num_trials`` (once without it) with the other
    parameters drawn at random, as Ray Tune does."""
    if not space.has_grid:
        return RandomSearch()
    repeats = 1 if num_trials is None else math.ceil(num_trials / space.grid_size)
    return GridSearch(num_samples=repeats)


__all__ = [
    "SEARCHERS",
    "AnnealSearch",
    "AutoSearch",
    "BOHBSearch",
    "CMAESSearch",
    "EvolutionSearch",
    "GPSearch",
    "GivenConfigs",
    "GridSearch",
    "NSGA2Search",
    "PortfolioSearch",
    "QuasiRandomSearch",
    "RandomSearch",
    "Searcher",
    "TPESearch",
    "default_searcher",
    "make_searcher",
]

"""Searchers by name: ``searcher="tpe"`` or ``{"name": "tpe", ...}``. The classes are
imported when first named, so searchers that build others by name (``auto``, ``portfolio``)
need not import them all."""

from __future__ import annotations

from typing import Any

from rung.registry import LazyRegistry, resolve
from rung.searchers.base import Searcher

SEARCHERS: LazyRegistry[Searcher] = LazyRegistry(
    {
        "random": "rung.searchers.random:RandomSearch",
        "grid": "rung.searchers.grid:GridSearch",
        "quasirandom": "rung.searchers.quasirandom:QuasiRandomSearch",
        "tpe": "rung.searchers.tpe:TPESearch",
        "gp": "rung.searchers.gp:GPSearch",
        "evolution": "rung.searchers.evolution:EvolutionSearch",
        "nsga2": "rung.searchers.nsga2:NSGA2Search",
        "anneal": "rung.searchers.anneal:AnnealSearch",
        "bohb": "rung.searchers.bohb:BOHBSearch",
        "cmaes": "rung.searchers.cma_es:CMAESSearch",
        "portfolio": "rung.searchers.portfolio:PortfolioSearch",
        "auto": "rung.searchers.auto:AutoSearch",
        "given": "rung.searchers.given:GivenConfigs",
    }
)


def make_searcher(spec: Any) -> Searcher:
    """The searcher named by ``spec`` (see ``SEARCHERS``), or ``spec`` itself if an instance."""
    return resolve("searcher", spec, SEARCHERS, Searcher)

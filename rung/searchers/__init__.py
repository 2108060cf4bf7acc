"""Searchers: which configuration to try next. Selectable by name or as an instance."""

from __future__ import annotations

from rung.registry import resolve
from rung.searchers.auto import AutoSearch
from rung.searchers.base import Searcher
from rung.searchers.bohb import BOHBSearch
from rung.searchers.evolution import EvolutionSearch
from rung.searchers.gp import GPSearch
from rung.searchers.grid import GridSearch
from rung.searchers.quasirandom import QuasiRandomSearch
from rung.searchers.random import RandomSearch
from rung.searchers.tpe import TPESearch

SEARCHERS: dict[str, type[Searcher]] = {
    "random": RandomSearch,
    "grid": GridSearch,
    "quasirandom": QuasiRandomSearch,
    "tpe": TPESearch,
    "gp": GPSearch,
    "evolution": EvolutionSearch,
    "bohb": BOHBSearch,
    "auto": AutoSearch,
}


def make_searcher(spec: str | Searcher) -> Searcher:
    """The searcher named by ``spec`` (see ``SEARCHERS``), or ``spec`` itself if an instance."""
    return resolve("searcher", spec, SEARCHERS, Searcher)


__all__ = [
    "SEARCHERS",
    "AutoSearch",
    "BOHBSearch",
    "EvolutionSearch",
    "GPSearch",
    "GridSearch",
    "QuasiRandomSearch",
    "RandomSearch",
    "Searcher",
    "TPESearch",
    "make_searcher",
]

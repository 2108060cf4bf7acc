"""Searchers: which configuration to try next. Selectable by name or as an instance."""

from __future__ import annotations

from rung.errors import ConfigError
from rung.searchers.base import Searcher
from rung.searchers.grid import GridSearch
from rung.searchers.quasirandom import QuasiRandomSearch
from rung.searchers.random import RandomSearch

SEARCHERS: dict[str, type[Searcher]] = {
    "random": RandomSearch,
    "grid": GridSearch,
    "quasirandom": QuasiRandomSearch,
}


def make_searcher(spec: str | Searcher) -> Searcher:
    """The searcher named by ``spec`` (see ``SEARCHERS``), or ``spec`` itself if an instance."""
    if isinstance(spec, Searcher):
        return spec
    if isinstance(spec, str) and spec in SEARCHERS:
        return SEARCHERS[spec]()
    raise ConfigError(
        f"searcher={spec!r} is not a searcher; pass one of {sorted(SEARCHERS)} "
        "or an instance such as rung.searchers.RandomSearch(seed=0)"
    )


__all__ = [
    "SEARCHERS",
    "GridSearch",
    "QuasiRandomSearch",
    "RandomSearch",
    "Searcher",
    "make_searcher",
]

"""Random search: every configuration drawn independently from the space."""

from __future__ import annotations

from typing import Any

from rung.searchers.base import Searcher


class RandomSearch(Searcher):
    """Draws each parameter uniformly on its own scale (log-uniform for log domains).

    A strong baseline, embarrassingly parallel, and what early-stopping schedulers such as
    ASHA are usually paired with.
    """

    adaptive = False
    several_objectives = True

    def _suggest(self, trial_id: str) -> dict[str, Any]:
        return self.space.sample(self.rng)

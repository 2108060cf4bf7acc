"""Given configurations, tried in order: re-running chosen configurations (``rung.repeat``)
or evaluating known points."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from rung.errors import ConfigError
from rung.searchers.base import Searcher


class GivenConfigs(Searcher):
    """Proposes ``configs``, one trial each, in order, then nothing more.

    Args:
        configs: complete configurations (dicts, nested ones too).
    """

    adaptive = False
    several_objectives = True

    def __init__(self, configs: Sequence[Mapping[str, Any]], seed: int | None = None) -> None:
        super().__init__(seed)
        if not configs or not all(isinstance(c, Mapping) for c in configs):
            raise ConfigError("GivenConfigs(configs=...): give a non-empty list of dicts")
        self.configs = [dict(c) for c in configs]

    def _setup(self) -> None:
        self._next = 0

    def _suggest(self, trial_id: str) -> dict[str, Any] | None:
        if self.is_finished:
            return None
        config = copy.deepcopy(self.configs[self._next])
        self._next += 1
        return config

    @property
    def is_finished(self) -> bool:
        return self._next >= len(self.configs)

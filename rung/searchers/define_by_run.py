"""The searcher of a define-by-run objective: one model per parameter the objectives ask for.

A define-by-run objective asks for its parameters as it runs (``trial.suggest_float(...)``),
so the space is known only parameter by parameter, and may differ from trial to trial
(the layers asked for depend on the number of layers drawn). Each parameter, by its name and
domain, gets a searcher of its own over that one parameter (TPE by default), which learns
from every finished trial that asked for it: per parameter, as Optuna's TPE does unless
told otherwise. A parameter seen for the first time learns at once from the trials that
asked for it before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from rung.searchers.base import Searcher
from rung.searchers.named import make_searcher
from rung.space import Space, parse_domain

Key = tuple[str, str]  # a parameter: its name and its domain's text


class DefineByRunSearch(Searcher):
    """A searcher per asked parameter.

    Args:
        searcher: what each parameter's searcher is (a name or a ``{"name": ...}`` spec);
            TPE by default.
        seed: the searcher's own seed, when used on its own.
    """

    def __init__(self, searcher: Any = "tpe", seed: int | None = None) -> None:
        super().__init__(seed)
        self.spec = searcher
        sample = make_searcher(searcher)
        self.several_objectives = sample.several_objectives
        self.adaptive = sample.adaptive

    def describe(self) -> str:
        name = self.spec if isinstance(self.spec, str) else self.spec.get("name", "?")
        return f"define-by-run: {name} per parameter, {len(self._models)} parameters so far"

    def _setup(self) -> None:
        self._models: dict[Key, Searcher] = {}
        self._asked: dict[str, dict[Key, Any]] = {}
        # Every ended trial: what it asked and how it ended, for a parameter seen later.
        self._ended: list[tuple[dict[Key, Any], Any, bool, bool, float | None]] = []

    def _suggest(self, trial_id: str) -> dict[str, Any] | None:
        self._asked[trial_id] = {}
        return {}

    def restore(self, trial_id: str, config: dict[str, Any]) -> None:
        self._asked[trial_id] = {}
        self.pending[trial_id] = config

    def adopt(self, trial_id: str, config: dict[str, Any]) -> None:
        self._asked[trial_id] = {}
        self.pending[trial_id] = config

    def suggest_parameter(self, trial_id: str, name: str, domain: Any) -> Any:
        key = (name, str(domain))
        value = self._model(key, domain).suggest(trial_id)
        assert value is not None  # a searcher over one parameter always proposes
        self._asked.setdefault(trial_id, {})[key] = value[name]
        return value[name]

    def on_parameter(self, trial_id: str, name: str, domain: str, value: Any) -> None:
        key = (name, domain)
        self._model(key, parse_domain(domain)).restore(trial_id, {name: value})
        self._asked.setdefault(trial_id, {})[key] = value

    def on_trial_complete(
        self,
        trial_id: str,
        result: Mapping[str, Any] | None,
        failed: bool = False,
        stopped_early: bool = False,
        violation: float | None = None,
    ) -> None:
        self.pending.pop(trial_id, None)
        asked = self._asked.pop(trial_id, {})
        self._ended.append((asked, result, failed, stopped_early, violation))
        for key in asked:
            self._models[key].on_trial_complete(trial_id, result, failed, stopped_early, violation)

    def _model(self, key: Key, domain: Any) -> Searcher:
        """The searcher of one parameter, made (and taught what ended before) when first
        asked for."""
        model = self._models.get(key)
        if model is None:
            name = key[0]
            model = make_searcher(self.spec)
            seed = int(self.rng.integers(2**63))
            model.setup(Space({name: domain}), self.objective, np.random.default_rng(seed))
            for index, (asked, result, failed, stopped, violation) in enumerate(self._ended):
                if key in asked:
                    earlier = f"ended-{index}"
                    model.adopt(earlier, {name: asked[key]})
                    model.on_trial_complete(earlier, result, failed, stopped, violation)
            self._models[key] = model
        return model

"""The searcher of a define-by-run objective: joint models over the parameters that are
asked together, and one per parameter for what is new.

A define-by-run objective asks for its parameters as it runs (``trial.suggest_float(...)``),
so the space is known only from the trials so far, and may differ from trial to trial (the
widths asked for depend on the number of layers drawn). As Optuna's TPE does with
``group=True``, the parameters seen so far are split into groups that were always asked
together (the finest partition no trial cuts across; a parameter is its name with its
domain): when a trial is created, each group gets a joint proposal from a searcher over
that group's space (multivariate TPE by default), taught by every ended trial that asked
for the whole group, and a parameter the objective asks for is answered from its group's
proposal. A parameter never seen ended before is drawn by a searcher of its own (its
start-up draws). An objective that asks the same parameters every time is thus searched
jointly, as a space given up front would be.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from rung.errors import ConfigError
from rung.searchers.base import Searcher
from rung.searchers.named import make_searcher
from rung.space import Space, parse_domain

Key = tuple[str, str]  # a parameter: its name and its domain's text


def groups_of(asked_sets: list[frozenset[Key]]) -> list[frozenset[Key]]:
    """The finest partition of the parameters into groups that no trial cuts across: each
    group is asked for whole or not at all by every trial (Optuna's group decomposition)."""
    groups: list[frozenset[Key]] = []
    for asked in asked_sets:
        split: list[frozenset[Key]] = []
        for group in groups:
            inside, outside = group & asked, group - asked
            split += [part for part in (inside, outside) if part]
        new = asked - frozenset().union(*groups) if groups else asked
        if new:
            split.append(frozenset(new))
        groups = split
    return groups


class DefineByRunSearch(Searcher):
    """Joint searchers over groups of parameters asked together.

    Args:
        searcher: what each group's and each new parameter's searcher is (a name or a
            ``{"name": ...}`` spec); TPE by default.
        points: values to answer the first trials with, one dict per trial, as Optuna's
            ``enqueue_trial`` (a parameter a point lacks is the searcher's to answer).
        seed: the searcher's own seed, when used on its own.
    """

    def __init__(
        self,
        searcher: Any = "tpe",
        points: list[dict[str, Any]] | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed)
        self.spec = searcher
        self.points = [dict(p) for p in points or []]
        sample = make_searcher(searcher)
        self.several_objectives = sample.several_objectives
        self.adaptive = sample.adaptive

    def describe(self) -> str:
        name = self.spec if isinstance(self.spec, str) else self.spec.get("name", "?")
        return f"define-by-run: {name} over the groups of parameters asked together"

    def _setup(self) -> None:
        self._domains: dict[Key, Any] = {}
        self._order: dict[Key, int] = {}  # first seen: a group's space lists them so
        self._groups: dict[frozenset[Key], Searcher] = {}
        self._singles: dict[Key, Searcher] = {}
        self._planned: dict[str, dict[Key, Any]] = {}
        self._asked: dict[str, dict[Key, Any]] = {}
        # Every ended trial: what it asked and how it ended, for a searcher made later.
        self._ended: list[tuple[dict[Key, Any], Any, bool, bool, float | None]] = []
        self._given: dict[str, dict[str, Any]] = {}
        self._created = 0

    def _give(self, trial_id: str) -> None:
        """The next given point is this trial's, while there are points left."""
        if self._created < len(self.points):
            self._given[trial_id] = self.points[self._created]
        self._created += 1

    def _suggest(self, trial_id: str) -> dict[str, Any] | None:
        self._give(trial_id)
        self._asked[trial_id] = {}
        planned: dict[Key, Any] = {}
        for group in groups_of([frozenset(asked) for asked, *_ in self._ended]):
            proposal = self._group(group).suggest(trial_id)
            assert proposal is not None  # a searcher over a space of numbers always proposes
            planned.update({key: proposal[key[0]] for key in group})
        self._planned[trial_id] = planned
        return {}

    def restore(self, trial_id: str, config: dict[str, Any]) -> None:
        self._give(trial_id)
        self._asked[trial_id] = {}
        self._planned[trial_id] = {}
        self.pending[trial_id] = config

    def suggest_parameter(self, trial_id: str, name: str, domain: Any) -> Any:
        key = (name, str(domain))
        self._domains.setdefault(key, domain)
        self._order.setdefault(key, len(self._order))
        planned = self._planned.get(trial_id, {})
        given = self._given.get(trial_id, {})
        if name in given:
            value = given[name]
            if not Space({name: domain}).contains({name: value}):
                raise ConfigError(
                    f"points_to_evaluate gives {name}={value!r} to trial {trial_id}, and its "
                    f"objective asks for {name!r} from {domain}"
                )
        elif key in planned:
            value = planned[key]
        else:
            proposal = self._single(key).suggest(trial_id)
            assert proposal is not None
            value = proposal[name]
        self._asked.setdefault(trial_id, {})[key] = value
        return value

    def on_parameter(self, trial_id: str, name: str, domain: str, value: Any) -> None:
        key = (name, domain)
        self._domains.setdefault(key, parse_domain(domain))
        self._order.setdefault(key, len(self._order))
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
        self._planned.pop(trial_id, None)
        self._given.pop(trial_id, None)
        asked = self._asked.pop(trial_id, {})
        ending = (asked, result, failed, stopped_early, violation)
        self._ended.append(ending)
        for group, model in self._groups.items():
            self._teach(model, trial_id, group, ending)
        for key, model in self._singles.items():
            self._teach(model, trial_id, frozenset([key]), ending)

    @staticmethod
    def _teach(
        model: Searcher,
        trial_id: str,
        group: frozenset[Key],
        ending: tuple[dict[Key, Any], Any, bool, bool, float | None],
    ) -> None:
        """Tell ``model`` how a trial ended if it asked for all of ``group`` (with what it
        was answered), and forget the trial otherwise."""
        asked, result, failed, stopped, violation = ending
        if not group <= asked.keys():
            model.pending.pop(trial_id, None)
            return
        model.pending[trial_id] = {name: asked[(name, text)] for name, text in group}
        model.on_trial_complete(trial_id, result, failed, stopped, violation)

    def _group(self, group: frozenset[Key]) -> Searcher:
        model = self._groups.get(group)
        if model is None:
            model = self._groups[group] = self._made(sorted(group, key=self._order.__getitem__))
        return model

    def _single(self, key: Key) -> Searcher:
        model = self._singles.get(key)
        if model is None:
            model = self._singles[key] = self._made([key])
        return model

    def _made(self, keys: list[Key]) -> Searcher:
        """A searcher over ``keys``' space, taught every ended trial that asked for them."""
        model = make_searcher(self.spec)
        space = Space({name: self._domains[(name, text)] for name, text in keys})
        seed = int(self.rng.integers(2**63))
        model.setup(space, self.objective, np.random.default_rng(seed))
        for index, ending in enumerate(self._ended):
            earlier = f"ended-{index}"
            if frozenset(keys) <= ending[0].keys():
                model.adopt(earlier, {})
                self._teach(model, earlier, frozenset(keys), ending)
        return model

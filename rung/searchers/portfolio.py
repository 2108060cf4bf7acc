"""Model-based searchers taking turns, by which one's proposals have lately improved the best.

No model wins everywhere: GP-BO leads on smooth functions and small budgets, TPE on rugged
and deceptive ones (docs/benchmarks.md). A portfolio runs both on the same observations and
re-chooses at every suggestion from the evidence of the run itself: among the last
``window`` trials that ended, the share of each member's proposals that beat every result
before them. Each member still learns from every trial, whoever proposed it, so a turn to
one costs the other nothing but that proposal.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from rung.errors import ConfigError
from rung.objective import is_number
from rung.searchers.base import Searcher
from rung.searchers.named import make_searcher


class PortfolioSearch(Searcher):
    """Proposes with one of ``members`` at a time: the first during its start-up, then the
    one whose proposals most often improved on the best result among the last ``window``
    trials that ended (a Beta(1, 1) prior; ties go to the earlier member), while every
    member gets at least ``min_share`` of each ``window`` suggestions, so that the evidence
    keeps coming. The choice depends only on the results, so a resumed run chooses as the
    unbroken one did.

    Args:
        members: searcher names or instances, model-based ones that learn from any trial.
        window: how many of the latest ended trials count as evidence.
        min_share: the least share of the latest suggestions each member gets.
    """

    def __init__(
        self,
        members: Sequence[str | Searcher] = ("gp", "tpe"),
        window: int = 30,
        min_share: float = 0.2,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed)
        name = type(self).__name__
        if isinstance(members, str | Searcher) or len(members) < 2:
            raise ConfigError(f"{name}(members={members!r}): needs at least two searchers")
        if not isinstance(window, int) or isinstance(window, bool) or window < 2:
            raise ConfigError(f"{name}(window={window!r}): must be an int >= 2")
        if not is_number(min_share) or not 0 <= min_share * len(members) <= 1:
            raise ConfigError(
                f"{name}(min_share={min_share!r}): must be in [0, 1 / {len(members)}]"
            )
        self.member_specs = list(members)
        self.window = window
        self.min_share = min_share

    def _setup(self) -> None:
        self.members = [make_searcher(spec) for spec in self.member_specs]
        for member in self.members:
            member.setup(self.space, self.objective, self.rng, self.num_trials)
        self._startup = getattr(self.members[0], "n_startup", 0)
        self._asked = 0
        self._proposer: dict[str, int] = {}
        # Who proposed the latest window - 1 suggestions: with the next, a whole window.
        self._recent: deque[int] = deque(maxlen=self.window - 1)
        self._least = math.ceil(self.min_share * self.window - 1e-9)
        self._evidence: deque[tuple[int, bool]] = deque(maxlen=self.window)
        self._best = math.inf
        self.proposed = [0] * len(self.members)

    def _choose(self) -> int:
        """The member for the next proposal (deterministic in what has been observed)."""
        self._asked += 1
        if self._asked <= self._startup:
            return 0
        if len(self._recent) == self.window - 1:
            starved = [i for i in range(len(self.members)) if self._recent.count(i) < self._least]
            if starved:
                return min(starved, key=self._recent.count)
        rates = []
        for i in range(len(self.members)):
            outcomes = [improved for member, improved in self._evidence if member == i]
            rates.append((1 + sum(outcomes)) / (2 + len(outcomes)))
        return max(range(len(self.members)), key=lambda i: (rates[i], -i))

    def _record(self, trial_id: str, member: int) -> None:
        self._proposer[trial_id] = member
        self._recent.append(member)
        self.proposed[member] += 1

    def _suggest(self, trial_id: str) -> dict[str, Any] | None:
        chosen = self._choose()
        order = [chosen] + [i for i in range(len(self.members)) if i != chosen]
        for member in order:  # a member with nothing to propose now passes its turn
            config = self.members[member].suggest(trial_id)
            if config is not None:
                for other, searcher in enumerate(self.members):
                    if other != member:
                        searcher.adopt(trial_id, config)
                self._record(trial_id, member)
                return config
        return None

    def restore(self, trial_id: str, config: dict[str, Any]) -> None:
        member = self._choose()
        for index, searcher in enumerate(self.members):
            if index == member:
                searcher.restore(trial_id, config)
            else:
                searcher.adopt(trial_id, config)
        self._record(trial_id, member)
        self.pending[trial_id] = config

    def adopt(self, trial_id: str, config: dict[str, Any]) -> None:
        for searcher in self.members:
            searcher.adopt(trial_id, config)
        self._asked += 1  # a given starting point takes a start-up turn, as in the members
        self.pending[trial_id] = config

    def on_trial_result(self, trial_id: str, result: Mapping[str, Any]) -> None:
        for searcher in self.members:
            searcher.on_trial_result(trial_id, result)

    def _observe(
        self,
        trial_id: str,
        config: dict[str, Any] | None,
        result: Mapping[str, Any] | None,
        failed: bool,
        stopped_early: bool,
        violation: float | None = None,
    ) -> None:
        for searcher in self.members:
            searcher.on_trial_complete(trial_id, result, failed, stopped_early, violation)
        infeasible = violation is not None and violation > 0
        bad = failed or stopped_early or infeasible
        loss = math.inf if bad else self.objective.score(result)
        member = self._proposer.pop(trial_id, None)
        if member is not None:
            self._evidence.append((member, loss < self._best))
        self._best = min(self._best, loss)

    def describe(self) -> str:
        counts = ", ".join(
            f"{type(m).__name__} {n}" for m, n in zip(self.members, self.proposed, strict=True)
        )
        return f"portfolio ({counts} proposals)"

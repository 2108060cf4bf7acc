"""The searcher contract: propose configurations, learn from what trials report."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

import numpy as np

from rung.errors import ConfigError
from rung.objective import Objective
from rung.peer_arguments import refuse_objective_arguments
from rung.space import Space


class Searcher(ABC):
    """Proposes configurations (``suggest``) and learns from finished trials.

    Constructors only store settings; ``setup`` binds the space, the objective and the random
    generator, so one searcher object describes a strategy independent of any experiment.
    Trials suggested but not completed are in ``pending``, so that a searcher proposing for
    several parallel workers can spread its proposals out.

    Args:
        seed: the searcher's own seed; without one, it takes the generator the experiment
            injects (itself seeded from ``rung.run(seed=...)``).
    """

    # Whether results steer the proposals. A searcher whose proposals do not depend on them
    # (random, grid, quasi-random) lets an executor hand a slot its next trial before the
    # slot's running trial ends.
    adaptive: bool = True
    # Whether the searcher can serve an experiment with several objectives (one whose
    # proposals do not depend on results can: it never ranks them).
    several_objectives: bool = False
    # Whether the searcher models results at several budgets (BOHB): it needs a scheduler that
    # stops trials at them (one with ``max_t``).
    models_budgets: bool = False
    # The most training one trial gets under the experiment's scheduler (its ``max_t``; None:
    # each runs to its end), told by ``rung.run`` before ``setup``.
    scheduler_budget: float | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        refuse_objective_arguments(cls)

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed

    def setup(
        self,
        space: Space | Mapping[str, Any],
        objective: Objective | None = None,
        rng: np.random.Generator | None = None,
        num_trials: int | None = None,
    ) -> Searcher:
        """Bind the searcher to a space, the objective it optimizes and its randomness.

        ``objective`` scores results (``objective.score``); searchers that learn need it
        (default: minimize ``"loss"``). ``num_trials`` is the experiment's trial budget when
        it has one (searchers that adapt to the budget read it; ``"auto"`` picks with it)."""
        self.space = Space.of(space)
        self.objective = objective if objective is not None else Objective("loss")
        self.num_trials = num_trials
        if self.seed is not None or rng is None:
            rng = np.random.default_rng(self.seed)
        self.rng = rng
        self.pending: dict[str, dict[str, Any]] = {}
        self._setup()
        return self

    def _setup(self) -> None:
        """Prepare per-experiment state once the space is known."""

    def walk_length(self, space: Space) -> int | None:
        """How many trials one walk of ``space`` takes for a searcher whose proposals come to
        an end (a grid: its size), None for one that proposes without end."""
        return None

    def suggest(self, trial_id: str) -> dict[str, Any] | None:
        """A configuration for a new trial, or None when there is nothing to propose now."""
        config = self._suggest(trial_id)
        if config is not None:
            self.pending[trial_id] = config
        return config

    @abstractmethod
    def _suggest(self, trial_id: str) -> dict[str, Any] | None:
        """The proposal itself; ``suggest`` keeps the bookkeeping."""

    def restore(self, trial_id: str, config: dict[str, Any]) -> None:
        """Replay a suggestion made before a resume: the trial is pending again, and the
        searcher's own sequence (random draws, grid points, Sobol points) moves past it, so
        a resumed run proposes what an uninterrupted one would have."""
        self._suggest(trial_id)
        self.pending[trial_id] = config

    def adopt(self, trial_id: str, config: dict[str, Any]) -> None:
        """Take a configuration proposed elsewhere (a starting point) as this searcher's own
        proposal for ``trial_id``: it is pending, and learnt from when the trial ends."""
        self.pending[trial_id] = config

    def suggest_parameter(self, trial_id: str, name: str, domain: Any) -> Any:
        """A value of ``domain`` for parameter ``name`` of a running trial whose objective
        asks for it (define-by-run); only ``DefineByRunSearch`` answers."""
        raise ConfigError(
            f"{type(self).__name__} proposes whole configurations from a space; a "
            "define-by-run objective (no space) needs rung.run(objective, metric=...) "
            "without a space"
        )

    def on_parameter(self, trial_id: str, name: str, domain: str, value: Any) -> None:
        """A parameter answered before a resume (``domain``: its text), replayed."""

    def on_trial_result(self, trial_id: str, result: Mapping[str, Any]) -> None:
        """An intermediate result (multi-fidelity searchers use them; others ignore them)."""

    def on_trial_complete(
        self,
        trial_id: str,
        result: Mapping[str, Any] | None,
        failed: bool = False,
        stopped_early: bool = False,
        violation: float | None = None,
    ) -> None:
        """A trial ended: ``result`` is its last report (None if it reported nothing);
        ``failed`` if it raised or died, ``stopped_early`` if the scheduler cut it short;
        ``violation`` how far that report is past the experiment's constraints (> 0:
        infeasible; None: there are none)."""
        config = self.pending.pop(trial_id, None)
        self._observe(trial_id, config, result, failed, stopped_early, violation)

    def _observe(
        self,
        trial_id: str,
        config: dict[str, Any] | None,
        result: Mapping[str, Any] | None,
        failed: bool,
        stopped_early: bool,
        violation: float | None = None,
    ) -> None:
        """Learn from a finished trial; searchers that learn nothing leave this alone."""

    def describe(self) -> str:
        """What this searcher is, for progress output (``"auto"`` says what it picked)."""
        return type(self).__name__

    @property
    def is_finished(self) -> bool:
        """Whether the searcher will never propose again (a grid walked to its end)."""
        return False

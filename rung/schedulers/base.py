"""The scheduler contract: given each result, say continue, stop or pause."""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

from rung.objective import Objective
from rung.peer_arguments import refuse_objective_arguments
from rung.trial import Decision, Trial


class Scheduler(ABC):
    """Decides how much budget running trials get; reads only reported results.

    Constructors only store settings; the experiment calls ``setup`` with the objective and
    a seeded generator before the first trial.
    """

    # Whether results can stop, pause or change running trials (every scheduler but FIFO).
    acts_on_results: bool = True
    # Whether it compares trials by several objectives when the experiment has them (else
    # an experiment with several objectives refuses it, naming it).
    several_objectives: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        refuse_objective_arguments(cls)

    # The reported key the scheduler measures budget by (None: it reads none); every result
    # must hold it as a finite number, or its trial fails before the scheduler sees it.
    time_attr: str | None = None
    # The most of ``time_attr`` one trial is given (None: the scheduler sets no limit). A
    # scheduler that works in a budget takes it as its ``max_t`` argument and keeps it here:
    # rung.run, BOHB and RungSearchCV read it, and need nothing else to know the scheduler.
    max_t: float | None = None

    @classmethod
    def takes_max_t(cls) -> bool:
        """Whether the scheduler's budget is set by a ``max_t`` argument."""
        return "max_t" in inspect.signature(cls).parameters

    def setup(
        self,
        objective: Objective,
        rng: np.random.Generator | None = None,
        num_trials: int | None = None,
    ) -> None:
        """Bind the scheduler to the objective it compares trials by.

        Args:
            objective: the metric and mode; ``objective.score(result)`` ranks results.
            rng: the scheduler's randomness.
            num_trials: how many trials the experiment will create, if known.
        """
        self.objective = objective
        self.rng = rng if rng is not None else np.random.default_rng()
        self.num_trials = num_trials
        self._setup()

    def _setup(self) -> None:
        """Prepare per-experiment state once the objective is known."""

    def on_trial_add(self, trial: Trial) -> None:
        """A new trial was created."""

    @abstractmethod
    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> Decision:
        """Decide what the trial does after this result.

        ``trial`` is as it was before the result (the driver records the result together
        with this decision); ``result`` is the result itself.
        """

    def on_trial_complete(self, trial: Trial, result: dict[str, Any] | None) -> None:
        """A trial ended for good (finished, stopped or failed)."""

    def choose_trial_to_run(self, candidates: Sequence[Trial], more_coming: bool) -> Trial | None:
        """Which waiting trial (paused, or to be retried) runs next; None starts a new one.

        A choice only: the scheduler hears that the trial really starts through
        ``on_trial_start``, which a resume replays.

        Args:
            candidates: trials waiting for a slot.
            more_coming: whether new trials can still be created.
        """
        return candidates[0] if candidates else None

    def on_trial_start(self, trial: Trial) -> None:
        """A run of the trial started (a new trial, a resumed or a retried one)."""

    def on_no_more_trials(self) -> None:
        """The experiment created its last trial (``num_trials`` reached, or the searcher has
        nothing left): schedulers waiting for more members can stop waiting."""

    def take_stopped(self) -> list[str]:
        """Ids of waiting (paused) trials the scheduler has ended since last asked; a
        synchronous bracket ends the losers of a rung this way."""
        return []

"""One replay: the event log folded into trials, and into the searcher and scheduler that
made it. ``rung.load`` replays a log into trials; resuming replays it into the algorithms
too, calling them in the order the live driver did, so a resumed run decides what an
uninterrupted one would have.
"""

from __future__ import annotations

from collections.abc import Iterable

from rung.events import (
    Event,
    ParameterAsked,
    ResultReported,
    RunStarted,
    TrialCreated,
    TrialEnded,
    TrialImported,
    TrialStatus,
)
from rung.schedulers.base import Scheduler
from rung.searchers.base import Searcher
from rung.trial import Trial
from rung.view import TrialFold


def no_more_trials(created: int, num_trials: int | None, searcher: Searcher | None) -> bool:
    """Whether the experiment will create no trial beyond the ``created`` ones."""
    limit_reached = num_trials is not None and created >= num_trials
    return limit_reached or (searcher is not None and searcher.is_finished)


def complete(trial: Trial, searcher: Searcher | None, scheduler: Scheduler | None) -> None:
    """Tell the algorithms a trial ended for good."""
    if searcher is not None:
        searcher.on_trial_complete(
            trial.trial_id,
            trial.last_result,
            failed=trial.status is TrialStatus.ERROR,
            stopped_early=trial.status is TrialStatus.STOPPED,
            violation=trial.violation,
        )
    if scheduler is not None:
        scheduler.on_trial_complete(trial, trial.last_result)


def replay(
    events: Iterable[Event],
    searcher: Searcher | None = None,
    scheduler: Scheduler | None = None,
    num_trials: int | None = None,
    fold: TrialFold | None = None,
) -> dict[str, Trial]:
    """Trials rebuilt from a log, the searcher and the scheduler (when given) brought to the
    state they had after its last event.

    The log holds every decision the scheduler made (with the results that caused it, or as
    their own events), so what the replayed scheduler says now is not acted on: its
    ``take_stopped`` list is emptied as the live driver emptied it.

    Args:
        events: the log, in order.
        searcher: a searcher set up as the experiment's was.
        scheduler: a scheduler set up as the experiment's was.
        num_trials: the experiment's trial budget (the scheduler hears when it is reached).
        fold: where the trials are folded (the driver's view); a new one by default.
    """
    fold = fold if fold is not None else TrialFold()
    closed = False

    def drain() -> None:
        if scheduler is not None:
            scheduler.take_stopped()

    for event in events:
        if isinstance(event, TrialImported):  # learnt from; no scheduler ever ran it
            trial = fold.apply(event)
            if searcher is not None:
                searcher.adopt(event.trial_id, event.config)
                complete(trial, searcher, None)
            continue
        if isinstance(event, TrialCreated):
            trial = fold.apply(event)
            if searcher is not None:
                searcher.restore(event.trial_id, event.config)
            if scheduler is not None:
                scheduler.on_trial_add(trial)
                if not closed and no_more_trials(fold.created, num_trials, searcher):
                    closed = True
                    scheduler.on_no_more_trials()
                    drain()
            continue
        trial = fold.trial_of(event)
        if isinstance(event, ParameterAsked) and searcher is not None:
            searcher.on_parameter(event.trial_id, event.name, event.domain, event.value)
        if isinstance(event, ResultReported):
            if searcher is not None:
                searcher.on_trial_result(trial.trial_id, event.metrics)
            if scheduler is not None:
                scheduler.on_trial_result(trial, event.metrics)
                drain()
        fold.apply(event)
        if isinstance(event, RunStarted) and scheduler is not None:
            scheduler.on_trial_start(trial)
        elif isinstance(event, TrialEnded):
            complete(trial, searcher, scheduler)
            drain()
    return fold.trials

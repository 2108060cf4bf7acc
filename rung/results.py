"""What an experiment found: best trial, configuration and checkpoint, and tables of it all."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rung.checkpoint import located_path
from rung.configs import flatten
from rung.objective import Objective
from rung.trial import Trial, TrialStatus

if TYPE_CHECKING:
    import pandas as pd


def trial_score(trial: Trial, objective: Objective, scope: str = "last") -> float:
    """How a trial ranks, lower is better: by its last result (``scope="last"``) or its best
    one (``"all"``); +inf for a trial that ended in error or has nothing to rank by. The one
    rule behind ``best_trial``, the final table and the progress line's "new best"."""
    if trial.status is TrialStatus.ERROR:
        return math.inf
    if scope == "last":
        return objective.score(trial.last_result)
    if scope == "all":
        return min(map(objective.score, trial.results), default=math.inf)
    raise ValueError(f"scope={scope!r}: use 'last' or 'all'")


class Results:
    """The trials of one experiment, ranked by its objective.

    Non-finite metric values (NaN, inf) are kept in the tables but never ranked best; trials
    that ended in error are not candidates for best.
    """

    def __init__(
        self,
        trials: Sequence[Trial],
        objective: Objective,
        stop_reason: str | None = None,
        path: str | None = None,
    ) -> None:
        self.trials = list(trials)
        self.objective = objective
        self.stop_reason = stop_reason
        self.path = path

    @property
    def metric(self) -> str:
        """The metric the experiment optimized."""
        return self.objective.metric

    @property
    def mode(self) -> str:
        """``"min"`` or ``"max"``."""
        return self.objective.mode

    def get_best_trial(
        self, metric: str | None = None, mode: str | None = None, scope: str = "last"
    ) -> Trial | None:
        """The trial whose metric is best.

        Args:
            metric: defaults to the experiment's metric.
            mode: ``"min"`` or ``"max"``, defaults to the experiment's.
            scope: ``"last"`` compares each trial's last report; ``"all"`` its best report.
        """
        objective = Objective(metric or self.metric, mode or self.mode)
        scored = [(trial_score(trial, objective, scope), trial) for trial in self.trials]
        ranked = [pair for pair in scored if pair[0] != math.inf]
        if not ranked:
            return None
        return min(ranked, key=lambda pair: pair[0])[1]

    def ranked(self) -> list[Trial]:
        """The trials that can be ranked (not in error, with a finite metric), best first,
        by their last result: ``ranked()[0]`` is ``best_trial``."""
        scored = [(trial_score(t, self.objective), i, t) for i, t in enumerate(self.trials)]
        return [t for score, _, t in sorted(scored, key=lambda s: s[:2]) if score != math.inf]

    @property
    def best_trial(self) -> Trial | None:
        """The trial with the best last-reported metric."""
        return self.get_best_trial()

    @property
    def best_config(self) -> dict[str, Any] | None:
        """The best trial's configuration."""
        best = self.best_trial
        return best.config if best else None

    @property
    def best_result(self) -> dict[str, Any] | None:
        """The best trial's last result."""
        best = self.best_trial
        return best.last_result if best else None

    @property
    def best_checkpoint(self) -> str | None:
        """Where the best trial's latest checkpoint is now: the state behind ``best_result``
        when it was saved with that report (``best_trial.checkpoint_iteration`` says which
        iteration it holds). Load it with ``rung.load_checkpoint``."""
        best = self.best_trial
        recorded = best.checkpoint if best else None
        if recorded is None or self.path is None:
            return recorded
        return located_path(recorded, self.path)

    @property
    def errors(self) -> list[Trial]:
        """Trials that ended in error."""
        return [t for t in self.trials if t.status is TrialStatus.ERROR]

    def dataframe(self) -> pd.DataFrame:
        """One row per trial: status, iterations, last and best metric, time, error, config."""
        import pandas as pd

        rows = []
        for trial in self.trials:
            last = trial.last_result or {}
            rows.append(
                {
                    "trial_id": trial.trial_id,
                    "status": trial.status.value,
                    "iterations": trial.iterations,
                    self.metric: last.get(self.metric),
                    f"best_{self.metric}": trial.best_value(self.objective),
                    "time_total_s": last.get("time_total_s"),
                    "error": trial.error,
                    **{f"config/{k}": v for k, v in flatten(trial.config).items()},
                }
            )
        return pd.DataFrame(rows)

    def results_dataframe(self) -> pd.DataFrame:
        """Every reported result, one row each, with its trial id."""
        import pandas as pd

        rows = [{"trial_id": t.trial_id, **r} for t in self.trials for r in t.results]
        return pd.DataFrame(rows)

    def __len__(self) -> int:
        return len(self.trials)

    def __repr__(self) -> str:
        counts: dict[str, int] = {}
        for trial in self.trials:
            counts[trial.status.value] = counts.get(trial.status.value, 0) + 1
        best = (self.best_result or {}).get(self.metric)
        return f"Results({len(self.trials)} trials {counts}, best {self.metric}={best})"

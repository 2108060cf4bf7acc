"""What an experiment found: best trial, configuration and checkpoint, and tables of it all."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from itertools import zip_longest
from typing import TYPE_CHECKING, Any

from rung.checkpoint import located_path
from rung.configs import flatten
from rung.errors import ConfigError
from rung.objective import Objective
from rung.pareto import non_dominated
from rung.trial import Trial, TrialStatus

if TYPE_CHECKING:
    import pandas as pd


def trial_score(trial: Trial, objective: Objective, scope: str = "last") -> float:
    """How a trial ranks, lower is better: by its last result (``scope="last"``) or its best
    one (``"all"``); +inf for a trial that ended in error, whose result breaks the
    experiment's constraints, or that has nothing to rank by. The one
    rule behind ``best_trial``, the final table and the progress line's "new best"."""
    if trial.status is TrialStatus.ERROR:
        return math.inf
    if scope == "last":
        return objective.score(trial.last_result) if trial.feasible else math.inf
    if scope == "all":
        feasible = (
            result
            for result, violation in zip_longest(trial.results, trial.violations)
            if violation is None or violation <= 0
        )
        return min(map(objective.score, feasible), default=math.inf)
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
        if self.objective.several and metric is None:
            raise ConfigError(
                f"this experiment has several objectives ({self.objective.describe()}): no "
                "one trial is best. results.pareto_front() gives the trials no other beats on "
                "all of them; get_best_trial(metric=..., mode=...) ranks by one"
            )
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

    def front(self) -> list[Trial]:
        """The trials on the Pareto front of the objectives: not in error, feasible, every
        objective reported as a finite number in their last report, and beaten by no other
        such trial on all objectives at once (each by its last report, as ``best_trial``
        ranks). With one objective: the best trial (or those tied with it)."""
        import numpy as np

        candidates = [
            (trial, scores)
            for trial in self.trials
            if trial.status is not TrialStatus.ERROR and trial.feasible
            for scores in [self.objective.scores(trial.last_result)]
            if math.inf not in scores
        ]
        if not candidates:
            return []
        points = np.array([scores for _, scores in candidates])
        kept = non_dominated(points)
        return [trial for (trial, _), keep in zip(candidates, kept, strict=True) if keep]

    def pareto_front(self) -> pd.DataFrame:
        """The Pareto front (``front()``) as a DataFrame, one row per trial: its objectives'
        values and its configuration, sorted by the first objective."""
        import pandas as pd

        rows = []
        for trial in self.front():
            result = trial.last_result or {}
            row: dict[str, Any] = {"trial_id": trial.trial_id}
            row.update({metric: result.get(metric) for metric in self.objective.metrics})
            row.update({f"config/{k}": v for k, v in flatten(trial.config).items()})
            rows.append(row)
        frame = pd.DataFrame(rows, columns=None if rows else ["trial_id", *self.objective.metrics])
        ascending = self.objective.mode == "min"
        return frame.sort_values(self.metric, ascending=ascending, ignore_index=True)

    def hypervolume(self, reference: Sequence[float] | None = None) -> float:
        """The hypervolume of the Pareto front: the volume of objective space it dominates up
        to ``reference`` (one value per objective, in the metrics' own units and
        directions; default: ``reference_point()``, the worst value each objective took).
        Larger is better. Needs ``moocore`` (``rung[multiobjective]``)."""
        last = [
            (t.last_result, t.violation)
            for t in self.trials
            if t.status is not TrialStatus.ERROR and t.last_result is not None
        ]
        if reference is None:
            return self.hypervolume_of(last, self.reference_point())
        if len(reference) != len(self.objective.metrics):
            raise ConfigError(
                f"reference={list(reference)!r}: give one value per objective "
                f"({', '.join(self.objective.metrics)})"
            )
        return self.hypervolume_of(last, [float(v) for v in reference])

    def reference_point(self) -> list[float]:
        """The default hypervolume reference: each objective's worst value over the feasible
        trials' last reports that rank (empty when none does)."""
        scores = [
            self.objective.scores(t.last_result)
            for t in self.trials
            if t.status is not TrialStatus.ERROR and t.feasible
        ]
        finite = [s for s in scores if math.inf not in s]
        if not finite:
            return []
        worst = [max(column) for column in zip(*finite, strict=True)]
        return [s * w for s, w in zip(self.objective.signs, worst, strict=True)]

    def hypervolume_of(
        self, reports: Sequence[tuple[Any, float | None]], reference: Sequence[float]
    ) -> float:
        """The hypervolume the feasible ones of ``reports`` (``(result, violation)`` pairs)
        dominate up to ``reference`` (metric units): what ``hypervolume`` computes for the
        last reports, and the hypervolume chart for the reports standing at a moment."""
        try:
            import moocore
        except ImportError:
            raise ConfigError(
                "the hypervolume needs moocore: pip install 'rung[multiobjective]'"
            ) from None
        import numpy as np

        scored = [
            self.objective.scores(result)
            for result, violation in reports
            if violation is None or violation <= 0
        ]
        points = np.array([s for s in scored if math.inf not in s], dtype=float)
        if not len(points) or not len(reference):
            return 0.0
        signs = np.array(self.objective.signs)
        return float(moocore.hypervolume(points, ref=signs * np.asarray(reference, dtype=float)))

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

        return pd.DataFrame(list(self.table()))

    def table(self) -> Iterator[dict[str, Any]]:
        """The rows of ``dataframe()`` as dicts, one at a time (what ``trials.csv`` holds,
        written without pandas and without holding every row at once)."""
        for trial in self.trials:
            last = trial.last_result or {}
            yield {
                "trial_id": trial.trial_id,
                "status": trial.status.value,
                "iterations": trial.iterations,
                self.metric: last.get(self.metric),
                f"best_{self.metric}": trial.best_value(self.objective),
                "time_total_s": last.get("time_total_s"),
                "error": trial.error,
                **{f"config/{k}": v for k, v in flatten(trial.config).items()},
            }

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

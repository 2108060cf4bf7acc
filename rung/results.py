"""What an experiment found: best trial, configuration and checkpoint, and tables of it all."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rung.trial import Trial, TrialStatus

if TYPE_CHECKING:
    import pandas as pd


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested dict as one level, keys joined by ``/``."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}/"))
        else:
            flat[name] = value
    return flat


def _is_finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class Results:
    """The trials of one experiment, ranked by its metric.

    Non-finite metric values (NaN, inf) are kept in the tables but never ranked best; trials
    that ended in error are not candidates for best.
    """

    def __init__(
        self,
        trials: Sequence[Trial],
        metric: str,
        mode: str,
        stop_reason: str | None = None,
        path: str | None = None,
    ) -> None:
        self.trials = list(trials)
        self.metric = metric
        self.mode = mode
        self.stop_reason = stop_reason
        self.path = path

    def _score(self, trial: Trial, metric: str, mode: str, scope: str) -> float | None:
        if scope == "last":
            last = trial.last_result or {}
            value = last.get(metric)
            return value if _is_finite_number(value) else None
        if scope == "all":
            return trial.best_value(metric, mode)
        raise ValueError(f"scope={scope!r}: use 'last' or 'all'")

    def get_best_trial(
        self, metric: str | None = None, mode: str | None = None, scope: str = "last"
    ) -> Trial | None:
        """The trial whose metric is best.

        Args:
            metric: defaults to the experiment's metric.
            mode: ``"min"`` or ``"max"``, defaults to the experiment's.
            scope: ``"last"`` compares each trial's last report; ``"all"`` its best report.
        """
        metric = metric or self.metric
        mode = mode or self.mode
        scored = [
            (score, trial)
            for trial in self.trials
            if trial.status is not TrialStatus.ERROR
            and (score := self._score(trial, metric, mode, scope)) is not None
        ]
        if not scored:
            return None
        pick = min if mode == "min" else max
        return pick(scored, key=lambda pair: pair[0])[1]

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
        """The best trial's checkpoint: its best-scoring one kept on disk, else its latest."""
        best = self.best_trial
        if best is None or not best.checkpoints:
            return best.checkpoint if best else None
        scored = [c for c in best.checkpoints if c.get("score") is not None]
        if not scored:
            return best.checkpoints[-1]["path"]
        return min(scored, key=lambda c: c["score"])["path"]

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
                    f"best_{self.metric}": trial.best_value(self.metric, self.mode),
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

    def pbt_schedule(self, param: str, trial: Trial | None = None) -> list[tuple[float, Any]]:
        """The values of ``param`` the best trial's state was trained with, over time.

        Population-based training copies states between trials; this follows the copies
        back along the trial's lineage. Returns ``[(training_iteration, value), ...]``, each
        value holding from its iteration on. ``rung.pbt_schedule.fit_step_schedule`` turns
        it into milestones and factors for ``MultiStepLR``.

        Args:
            param: a config key, ``"a/b"`` for nested ones.
            trial: the trial to follow (default: the best one).
        """
        from rung.pbt_schedule import lineage_schedule

        trial = trial or self.best_trial
        if trial is None:
            return []
        by_id = {t.trial_id: t for t in self.trials}
        return lineage_schedule(by_id, trial.trial_id, param)

    def __len__(self) -> int:
        return len(self.trials)

    def __repr__(self) -> str:
        counts: dict[str, int] = {}
        for trial in self.trials:
            counts[trial.status.value] = counts.get(trial.status.value, 0) + 1
        best = (self.best_result or {}).get(self.metric)
        return f"Results({len(self.trials)} trials {counts}, best {self.metric}={best})"

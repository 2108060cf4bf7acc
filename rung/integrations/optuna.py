"""An Optuna study's finished trials as a warm start for rung (``rung[optuna]``):

    study = optuna.load_study(study_name="old", storage="sqlite:///old.db")
    rung.run(train, space, metric="loss", mode="min",
             warm_start=rung.integrations.optuna.import_study(study, metric="loss"))

Each COMPLETE trial becomes a ``(config, reports)`` pair: its parameters as the config, its
intermediate values (one objective) as reports at their steps, and its final value(s)
under the ``metric`` name(s) with its numeric user attributes as the last report. Pruned,
failed and running trials are left out: they reached no value of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rung.errors import ConfigError
from rung.objective import is_number


def import_study(
    study: Any, metric: str | Sequence[str] = "value"
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """The study's finished trials as ``(config, reports)`` pairs for ``warm_start=``;
    ``metric`` names its objective (a list: one name per direction of a several-objective
    study)."""
    import optuna

    names = [metric] if isinstance(metric, str) else list(metric)
    if len(names) != len(study.directions):
        raise ConfigError(
            f"import_study(metric={metric!r}): the study has {len(study.directions)} "
            f"objective(s); give one name for each"
        )
    pairs = []
    complete = (optuna.trial.TrialState.COMPLETE,)
    for trial in study.get_trials(deepcopy=False, states=complete):
        reports: list[dict[str, Any]] = []
        if len(names) == 1:
            reports = [
                {names[0]: value, "training_iteration": step}
                for step, value in sorted(trial.intermediate_values.items())
            ]
        last = {k: v for k, v in trial.user_attrs.items() if is_number(v)}
        last.update(zip(names, trial.values, strict=True))
        pairs.append((dict(trial.params), [*reports, last]))
    return pairs

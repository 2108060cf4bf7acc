"""Re-running configurations with several seeds, to see whether their ranking survives the
noise between runs (large in deep learning: a tuning run's winner is often lucky).

    best = rung.repeat(train, [config_a, config_b], seeds=5, metric="val_acc", mode="max")
    print(best.table)      # mean, std, confidence interval, test against the best
    best.separable         # do the top two differ by more than the seed noise?
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rung.configs import flatten
from rung.errors import ConfigError, RungWarning
from rung.objective import Objective
from rung.results import Results
from rung.searchers.given import GivenConfigs
from rung.store.sqlite import DB_NAME

if TYPE_CHECKING:
    import pandas as pd

    from rung.trial import Trial


def repeat(
    trainable: Any,
    configs: Sequence[Mapping[str, Any]],
    seeds: int | Sequence[int] = 5,
    *,
    metric: str,
    mode: str = "min",
    seed_key: str = "seed",
    scope: str = "last",
    confidence: float = 0.95,
    **run_settings: Any,
) -> Repeats:
    """Run each of ``configs`` once per seed and compare them.

    Args:
        trainable: as for ``rung.run``; it reads its seed from ``config[seed_key]``.
        configs: the configurations to compare (any seed key in them is replaced).
        seeds: how many seeds (0, 1, ...), or the seeds themselves.
        metric, mode: what to compare, as for ``rung.run``.
        seed_key: the config key that carries the seed.
        scope: ``"last"`` compares each run's last report, ``"all"`` its best one.
        confidence: for the confidence intervals and the tests between configurations.
        run_settings: any other ``rung.run`` setting (``executor``, ``max_concurrent``,
            ``storage_path``, ...). Runs are not stopped early unless a ``scheduler`` is
            given.
    """
    from rung.api import run
    from rung.space import choice

    if isinstance(seeds, int) and not isinstance(seeds, bool):
        seed_list = list(range(seeds))
    elif isinstance(seeds, Sequence) and all(isinstance(s, int) for s in seeds):
        seed_list = list(seeds)
    else:
        seed_list = []
    if not seed_list or len(set(seed_list)) < len(seed_list):
        raise ConfigError(f"seeds={seeds!r}: give a number >= 1 or distinct integer seeds")
    if not configs or not all(isinstance(c, Mapping) for c in configs):
        raise ConfigError("repeat(configs=...): give a non-empty list of configuration dicts")
    if scope not in ("last", "all"):
        raise ConfigError(f"scope={scope!r}: use 'last' or 'all'")
    if not 0 < confidence < 1:
        raise ConfigError(f"confidence={confidence}: give a level between 0 and 1")
    for reserved in ("searcher", "num_trials"):
        if reserved in run_settings:
            raise ConfigError(f"repeat decides {reserved} itself: one trial per config and seed")
    points = [{**config, seed_key: seed} for config in configs for seed in seed_list]
    # The space the runs are recorded with: each key that varies, as a choice of its values.
    space: dict[str, Any] = {}
    for key in dict.fromkeys(k for p in points for k in p):
        values = list({repr(p.get(key)): p.get(key) for p in points}.values())
        space[key] = values[0] if len(values) == 1 else choice(values)
    run_settings.setdefault("name", "repeat")
    results = run(
        trainable,
        space,
        metric=metric,
        mode=mode,
        searcher=GivenConfigs(points),
        num_trials=len(points),
        **run_settings,
    )
    return Repeats(results, [dict(c) for c in configs], seed_key, scope, confidence)


def rerun_best(
    results: Results,
    k: int = 3,
    seeds: int | Sequence[int] = 5,
    trainable: Any = None,
    **settings: Any,
) -> Repeats:
    """Re-run the ``k`` best configurations of ``results`` with several seeds (``repeat``),
    to see whether their ranking holds beyond the seed noise.

    Args:
        results: an experiment's results (``rung.run``'s, or ``rung.load(folder)``).
        k: how many of the best trials' configurations.
        seeds: how many seeds, or the seeds.
        trainable: the trainable; by default the one saved in the experiment's folder,
            which is unpickled (that runs code: pass it for a folder you do not trust).
        settings: ``repeat`` and ``rung.run`` settings (``seed_key``, ``executor``,
            ``max_concurrent``, ``storage_path``, ...).
    """
    configs = [trial.config for trial in results.ranked()[:k]]
    if not configs:
        raise ConfigError("no trial has a result to rank: nothing to re-run")
    if trainable is None:
        if results.path is None or not Path(results.path, DB_NAME).exists():
            raise ConfigError(
                "these results were not saved to a folder: pass the trainable, "
                "rung.rerun_best(results, trainable=train, ...)"
            )
        from rung.storage import load_payload

        trainable = load_payload(results.path)[1]["trainable"]
    return repeat(trainable, configs, seeds, metric=results.metric, mode=results.mode, **settings)


class Repeats:
    """Configurations re-run with several seeds, compared.

    Attributes:
        results: every run, as ``rung.run`` returns them.
        table: one row per configuration, best mean first: its parameters, ``n`` runs,
            ``mean``, ``std``, the confidence interval ``ci_low``/``ci_high`` of the mean,
            ``p_vs_best`` (Welch's t-test against the best configuration) and
            ``differs_from_best`` (that p-value below ``1 - confidence``).
    """

    def __init__(
        self,
        results: Results,
        configs: list[dict[str, Any]],
        seed_key: str,
        scope: str,
        confidence: float,
    ) -> None:
        self.results = results
        self.configs = configs
        self.seed_key = seed_key
        self.scope = scope
        self.confidence = confidence
        self.values = self._values_per_config()
        self.table = self._table()
        if self.seeds_had_no_effect:
            warnings.warn(
                f"every configuration gave the same {results.metric} for each of its seeds: "
                f"the trainable seems not to read config[{seed_key!r}], so these runs say "
                "nothing about seed noise, and no configuration is called separable",
                RungWarning,
                stacklevel=3,
            )

    def _values_per_config(self) -> list[list[float]]:
        """Each configuration's metric, one value per run that gave one."""
        objective = self.results.objective
        keys = [_key(c, self.seed_key) for c in self.configs]
        values: list[list[float]] = [[] for _ in self.configs]
        for trial in self.results.trials:
            value = _value(trial, objective, self.scope)
            key = _key(trial.initial_config or trial.config, self.seed_key)
            if value is not None and key in keys:
                values[keys.index(key)].append(value)
        return values

    def _table(self) -> pd.DataFrame:
        import pandas as pd
        from scipy import stats

        sign = self.results.objective.sign
        means = [float(np.mean(v)) if v else math.nan for v in self.values]
        order = sorted(
            range(len(self.configs)), key=lambda i: (math.isnan(means[i]), sign * means[i])
        )
        best = self.values[order[0]]
        rows = []
        for index in order:
            values = np.asarray(self.values[index], dtype=float)
            n = len(values)
            std = float(values.std(ddof=1)) if n > 1 else math.nan
            half = (
                float(stats.t.ppf((1 + self.confidence) / 2, n - 1) * std / math.sqrt(n))
                if n > 1
                else math.nan
            )
            no_spread = [np.ptp(v) == 0 for v in (values, best) if len(v) > 1]
            if index == order[0] or n < 2 or len(best) < 2 or any(no_spread):
                # A test against runs without spread would call any difference certain.
                p_value = math.nan
            else:
                p_value = float(stats.ttest_ind(best, values, equal_var=False).pvalue)
            rows.append(
                {
                    "config": index,
                    **flatten({k: v for k, v in self.configs[index].items() if k != self.seed_key}),
                    "n": n,
                    "mean": means[index],
                    "std": std,
                    "ci_low": means[index] - half,
                    "ci_high": means[index] + half,
                    "p_vs_best": p_value,
                    "differs_from_best": bool(p_value < 1 - self.confidence),
                }
            )
        return pd.DataFrame(rows)

    @property
    def best_config(self) -> dict[str, Any]:
        """The configuration with the best mean."""
        return self.configs[int(self.table["config"].iloc[0])]

    @property
    def seeds_had_no_effect(self) -> bool:
        """Whether every configuration run with several seeds gave one value for all of
        them (a trainable that ignores its seed)."""
        repeated = [v for v in self.values if len(v) > 1]
        return bool(repeated) and all(np.ptp(v) == 0 for v in repeated)

    @property
    def separable(self) -> bool:
        """Whether the best configuration's mean beats the runner-up's by more than the
        seed noise explains (Welch's t-test at ``1 - confidence``)."""
        return len(self.table) > 1 and bool(self.table["differs_from_best"].iloc[1])

    def __repr__(self) -> str:
        verdict = "separable" if self.separable else "not separable from the runner-up"
        if self.seeds_had_no_effect:
            verdict = f"seeds had no effect: does the trainable read config[{self.seed_key!r}]?"
        seeds = len(self.results.trials) // len(self.configs)
        best = self.table["mean"].iloc[0]
        return (
            f"Repeats({len(self.configs)} configs x {seeds} seeds, best mean "
            f"{self.results.metric}={best:.4g}, {verdict})"
        )


def _key(config: Mapping[str, Any], seed_key: str) -> str:
    return repr(sorted((k, repr(v)) for k, v in flatten(config).items() if k != seed_key))


def _value(trial: Trial, objective: Objective, scope: str) -> float | None:
    if scope == "all":
        return trial.best_value(objective)
    return objective.value(trial.last_result)

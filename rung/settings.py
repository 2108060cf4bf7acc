"""Settings: every knob of ``rung.run`` as one value.

``rung.run``'s keywords, the settings the store keeps (and ``rung resume`` reloads) and the
keys of an experiment file are all the fields of ``Settings``: a knob added here is
everywhere. A Settings validates itself, naming the knob and the fix.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rung.checkpoint import CheckpointKeep
from rung.constraints import Constraints
from rung.errors import ConfigError
from rung.objective import Objective, is_number
from rung.registry import did_you_mean

# What users of the other tuners reach for first, and what rung calls it.
PEER_NAMES = {
    "num_samples": "num_trials",
    "n_trials": "num_trials",
    "n_jobs": "max_concurrent",
    "max_concurrent_trials": "max_concurrent",
    "resources": "resources_per_trial",
    "local_dir": "storage_path",
    "storage": "storage_path",
    "search_alg": "searcher",
    "sampler": "searcher",
    "pruner": "scheduler",
    "timeout": "time_budget_s",
    "time_budget": "time_budget_s",
    "config": "space",
    "direction": "mode: 'min' or 'max'",
    "param_space": "space",
}


def _knob(doc: str, saved: bool = True, in_file: bool = True) -> dict[str, Any]:
    """Field metadata: what the knob is, whether the store keeps it, whether an experiment
    file may set it."""
    return {"doc": doc, "saved": saved, "in_file": in_file}


@dataclass(frozen=True)
class Settings:
    """Every knob of an experiment. See ``rung.run`` for what each does."""

    metric: str | Sequence[str] = field(
        metadata=_knob("the reported key to optimize, or a list of them (several objectives)")
    )
    mode: str | Sequence[str] = field(metadata=_knob("'min' or 'max' (a list: one each)"))
    constraints: Any = field(
        default=None,
        metadata=_knob("'key <= number' texts or functions of the result (<= 0 feasible)"),
    )
    searcher: Any = field(default=None, metadata=_knob("a searcher name, or {name: ..., ...}"))
    scheduler: Any = field(default="fifo", metadata=_knob("a scheduler name, or {name: ...}"))
    points_to_evaluate: Sequence[Mapping[str, Any]] | None = field(
        default=None, metadata=_knob("configurations (whole or partial) to try first")
    )
    warm_start: Any = field(
        default=None,
        metadata=_knob(
            "an experiment folder (or Results, DataFrame, (config, metrics) pairs) to learn from",
            saved=False,
        ),
    )
    num_trials: int | None = field(default=None, metadata=_knob("trials to run in all"))
    max_concurrent: int | None = field(default=None, metadata=_knob("trials at once"))
    resources_per_trial: Mapping[str, float] | None = field(
        default=None, metadata=_knob("{cpu: 1, gpu: 0}; gpu: 0.25 packs four per GPU")
    )
    time_budget_s: float | None = field(default=None, metadata=_knob("seconds in all"))
    stop: Mapping[str, float] | None = field(
        default=None, metadata=_knob("{key: target}: the experiment ends when one is reached")
    )
    max_iterations: int | None = field(
        default=None, metadata=_knob("training iterations per trial")
    )
    max_failures: int = field(default=0, metadata=_knob("retries of a failed trial"))
    fail_fast: bool = field(default=False, metadata=_knob("end at the first failed trial"))
    trial_timeout_s: float | None = field(default=None, metadata=_knob("kill slower trials"))
    executor: Any = field(
        default="auto", metadata=_knob("'auto' (Ray where RAY_ADDRESS is set), 'process', ...")
    )
    seed: int | None = field(default=None, metadata=_knob("for a reproducible run"))
    name: str | None = field(default=None, metadata=_knob("the experiment's folder"))
    storage_path: str | os.PathLike | None = field(
        default=None, metadata=_knob("where experiment folders go")
    )
    callbacks: Sequence[Any] = field(
        default=(), metadata=_knob("extra rung.Callback objects", saved=False, in_file=False)
    )
    verbose: int = field(default=1, metadata=_knob("0 silent, 1 progress, 2 a line a trial"))
    resume: bool | Literal["auto"] = field(
        default=False,
        metadata=_knob("continue storage_path/name; 'auto': if it exists", saved=False),
    )
    checkpoint_keep: int | Mapping[str, int] | None = field(
        default=None, metadata=_knob("N, or {last: N, best: M}; None keeps all")
    )
    result_files: bool = field(default=True, metadata=_knob("results/part-*.jsonl and trials.csv"))

    def __post_init__(self) -> None:
        self.objective  # noqa: B018 - validates metric and mode
        Constraints(self.constraints)
        if self.resume not in (True, False, "auto"):
            raise ConfigError(f"resume={self.resume!r}: use True, False or 'auto'")
        for knob, kind in [
            ("num_trials", int),
            ("max_concurrent", int),
            ("max_iterations", int),
            ("time_budget_s", float),
            ("trial_timeout_s", float),
        ]:
            _check_positive(knob, getattr(self, knob), kind)
        if not isinstance(self.max_failures, int) or self.max_failures < 0:
            raise ConfigError(f"max_failures={self.max_failures!r}: must be an int >= 0")
        for key, target in (self.stop or {}).items():
            if not is_number(target):
                raise ConfigError(f"stop={{{key!r}: {target!r}}}: targets must be numbers")
        if not isinstance(self.verbose, int) or isinstance(self.verbose, bool):
            raise ConfigError(f"verbose={self.verbose!r}: use 0, 1 or 2")
        if self.seed is not None and (not isinstance(self.seed, int) or self.seed < 0):
            raise ConfigError(f"seed={self.seed!r}: must be an int >= 0 or None")
        CheckpointKeep.of(self.checkpoint_keep)
        points = self.points_to_evaluate
        if points is not None and (
            isinstance(points, str | bytes | Mapping)
            or not isinstance(points, Sequence)
            or not all(isinstance(p, Mapping) for p in points)
        ):
            raise ConfigError(
                f"points_to_evaluate={points!r}: give a list of configurations (dicts)"
            )

    @property
    def objective(self) -> Objective:
        """The metric and mode (or metrics and modes), as one value."""
        return Objective.of(self.metric, self.mode)

    @classmethod
    def describe_keys(cls) -> str:
        """One line per key an experiment file may set (``trainable`` and ``space`` first),
        with what it is: ``rung run --help`` shows them."""
        lines = [
            ("trainable", "module:function, or path/to/file.py:function (required)"),
            ("space", "parameter: domain, e.g. lr: loguniform(1e-5, 1e-1) (required)"),
        ]
        lines += [
            (f.name, f.metadata["doc"]) for f in dataclasses.fields(cls) if f.metadata["in_file"]
        ]
        width = max(len(name) for name, _ in lines)
        return "\n".join(f"  {name:<{width}}  {doc}" for name, doc in lines)

    @classmethod
    def knobs(cls, *, saved: bool | None = None, in_file: bool | None = None) -> list[str]:
        """The names of the knobs (those the store keeps, or a file may set, if asked)."""
        return [
            f.name
            for f in dataclasses.fields(cls)
            if (saved is None or f.metadata["saved"] == saved)
            and (in_file is None or f.metadata["in_file"] == in_file)
        ]

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], where: str = "rung.run") -> Settings:
        """Settings from keyword values (a call, a file, the store), refusing unknown keys
        with the name rung uses for them."""
        unknown = sorted(set(values) - set(cls.knobs()))
        if unknown:
            raise ConfigError(f"{where}: {unknown_knobs(unknown, cls.knobs())}")
        missing = [k for k in ("metric", "mode") if k not in values]
        if missing:
            raise ConfigError(f"{where}: {' and '.join(missing)} must be given")
        return cls(**values)

    def saved(self) -> dict[str, Any]:
        """The knobs the store keeps, as given (strategy objects included)."""
        return {name: getattr(self, name) for name in self.knobs(saved=True)}


def unknown_knobs(unknown: Sequence[str], known: Sequence[str]) -> str:
    """``"num_samples is not a setting (rung calls it num_trials); ..."``"""
    parts = []
    for key in unknown:
        if key in PEER_NAMES:
            parts.append(f"{key} is not a setting (rung calls it {PEER_NAMES[key]})")
        else:
            parts.append(f"{key} is not a setting{did_you_mean(key, known)}")
    return "; ".join(parts) + f". Settings: {', '.join(known)}"


def _check_positive(name: str, value: Any, kind: type) -> None:
    if value is None:
        return
    number = isinstance(value, kind | int) and not isinstance(value, bool)
    if not number or not math.isfinite(float(value)) or not float(value) > 0:
        raise ConfigError(f"{name}={value!r}: must be a positive {kind.__name__} or None")

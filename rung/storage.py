"""The experiment directory: what is saved beside the event log, and reading it back.

``<storage_path>/<name>/`` holds ``experiment.db`` (the event log and the settings, see
``rung.store.sqlite``) and ``trials/<id>/`` (each trial's folder and checkpoints). Beside the
settings (``rung.settings``, as JSON, strategies as ``{name: ..., ...}`` specs) it keeps the
trainable, the space and the strategy objects pickled *before* the run (their settings,
never their state: that is rebuilt from the log), and where the run was started from, so
that ``rung resume DIR`` needs nothing but the directory, from any working directory.
"""

from __future__ import annotations

import base64
import inspect
import os
import sys
import time
from collections.abc import Mapping
from contextlib import closing
from typing import Any

import cloudpickle

from rung.constraints import Constraints
from rung.errors import ConfigError
from rung.executors import EXECUTORS
from rung.registry import spec_of
from rung.results import Results
from rung.schedulers import SCHEDULERS
from rung.searchers import SEARCHERS
from rung.settings import Settings
from rung.space import Space, to_text
from rung.store.base import Store
from rung.store.sqlite import open_readonly as _open_readonly
from rung.store.sqlite import read_meta
from rung.view import check_complete, open_view

# What a resume may not change (the experiment would not be the same one), and the budgets
# it may change, which are recorded.
IDENTITY = (
    "metric",
    "mode",
    "searcher",
    "points_to_evaluate",
    "scheduler",
    "seed",
    "max_iterations",
    "stop",
)
BUDGETS = ("num_trials", "time_budget_s")
_REGISTRIES: dict[str, Mapping[str, type]] = {
    "searcher": SEARCHERS,
    "scheduler": SCHEDULERS,
    "executor": EXECUTORS,
}


def reference(trainable: Any) -> str:
    """``module:qualname`` of a trainable, to recognize it on resume (``rung.Tuner`` for a
    loop the user drives)."""
    if trainable is None:
        return "rung.Tuner"
    module = getattr(trainable, "__module__", None) or "?"
    return f"{module}:{getattr(trainable, '__qualname__', type(trainable).__qualname__)}"


def settings_meta(settings: Settings, objects: dict[str, Any]) -> dict[str, Any]:
    """The meta values an experiment keeps: its settings (JSON: strategy objects as the
    specs that build them again), the space's text, the trainable's reference, where it was
    started from, and, when they pickle, the objects it needs to resume. Taken before the
    searcher and scheduler are set up, so that what is kept is their settings, never their
    state."""
    saved = settings.saved()
    for knob, registry in _REGISTRIES.items():
        obj = objects[knob]
        saved[knob] = spec_of(obj, registry) or {"name": type(obj).__name__, "pickled": True}
    saved["stop"] = dict(settings.stop or {})
    saved["constraints"] = Constraints(settings.constraints).saved() or None
    if settings.points_to_evaluate is not None:
        saved["points_to_evaluate"] = [dict(p) for p in settings.points_to_evaluate]
    saved["resources_per_trial"] = (
        None if settings.resources_per_trial is None else dict(settings.resources_per_trial)
    )
    meta: dict[str, Any] = {
        "settings": saved,
        "space": _space_text(objects["space"]),
        "trainable": reference(objects["trainable"]),
        "origin": {"cwd": os.getcwd(), "import_root": _import_root()},
    }
    try:
        meta["payload"] = base64.b64encode(cloudpickle.dumps(objects)).decode("ascii")
    except Exception as error:  # a trainable holding a lock, say: resume from the script
        meta["payload_error"] = f"{type(error).__name__}: {error}"
    return meta


def _space_text(space: Space | None) -> str:
    if space is None:
        return "define-by-run"  # the objective asks for its parameters as it runs
    try:
        return to_text(space)
    except ValueError:
        return repr(space)


def _import_root() -> str:
    """The folder the main script's imports are found from (``sys.path[0]``)."""
    return os.path.abspath(sys.path[0] or os.getcwd())


def check_resume(store: Store, meta: dict[str, Any], where: str | os.PathLike) -> None:
    """Refuse to resume the experiment in ``store`` with settings that would make it
    another one (each difference listed); take new budgets, recording the change."""
    stored = store.get_meta("settings") or {}
    given = meta["settings"]
    differences = [
        f"{knob}: the experiment has {stored[knob]!r}, this run {given[knob]!r}"
        for knob in IDENTITY
        if knob in stored and not _same(knob, stored[knob], given[knob])
    ]
    for key in ("space", "trainable"):
        kept = store.get_meta(key)
        if kept is not None and kept != meta[key]:
            differences.append(f"{key}: the experiment has {kept!r}, this run {meta[key]!r}")
    if differences:
        listed = "".join(f"\n  - {line}" for line in differences)
        raise ConfigError(
            f"cannot resume {where} with other settings:{listed}\nResume it as it was "
            "started (rung resume DIR does), or give this run another name"
        )
    changed = {k: [stored.get(k), given[k]] for k in BUDGETS if stored.get(k) != given[k]}
    if changed:
        changes = store.get_meta("changes", [])
        store.set_meta("changes", [*changes, {"time": time.time(), **changed}])
    store.set_meta("settings", {**stored, **{k: given[k] for k in given if k not in IDENTITY}})


def _same(knob: str, stored: Any, given: Any) -> bool:
    """Whether a stored setting and a given one make the same experiment: equal, or the
    same strategy whose spec gained settings (a later rung's) at their defaults."""
    if stored == given:
        return True
    registry = _REGISTRIES.get(knob)
    if not (registry and isinstance(stored, dict) and isinstance(given, dict)):
        return False
    cls = registry.get(str(given.get("name")))
    if cls is None or stored.get("name") != given.get("name"):
        return False
    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(cls).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }
    added = set(given) - set(stored)
    return all(stored[k] == given.get(k) for k in stored) and all(
        k in defaults and given[k] == defaults[k] for k in added
    )


def load_payload(directory: str | os.PathLike) -> tuple[dict[str, Any], dict[str, Any]]:
    """The settings and the pickled objects of the experiment in ``directory``, imported
    from where the experiment was started (its working directory and import root)."""
    with closing(_open_readonly(directory)) as connection:
        settings = read_meta(connection, "settings")
        payload = read_meta(connection, "payload")
        error = read_meta(connection, "payload_error")
        origin = read_meta(connection, "origin") or {}
    check_complete(directory, settings)
    if payload is None:
        raise ConfigError(
            f"{directory} did not save its trainable ({error}); resume it from your script "
            "with rung.run(..., resume=True)"
        )
    for folder in (origin.get("import_root"), origin.get("cwd")):
        if folder and folder not in sys.path:
            sys.path.insert(0, folder)
    try:
        return settings, cloudpickle.loads(base64.b64decode(payload))
    except Exception as error:
        raise ConfigError(
            f"{directory}: the saved trainable, space and strategy cannot be loaded "
            f"({type(error).__name__}: {error}); is the code they came from importable here? "
            "Or resume from your script with rung.run(..., resume=True)"
        ) from None


def load(directory: str | os.PathLike) -> Results:
    """The results of the experiment in ``directory`` (relative, absolute or with ``~``),
    read-only: works while it runs (no lock is taken, nothing is written) and after it
    ended or crashed."""
    with open_view(directory) as view:
        return view.results()

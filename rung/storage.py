"""The experiment directory: what is saved beside the event log, and reading it back.

``<storage_path>/<name>/`` holds ``experiment.db`` (the event log and the settings, see
``rung.store.sqlite``) and ``trials/<id>/`` (each trial's folder and checkpoints). The
settings include the trainable, the space and the strategy objects pickled *before* the run
(their settings, never their state: that is rebuilt from the log), so that ``rung resume DIR``
needs nothing but the directory.
"""

from __future__ import annotations

import base64
import os
from contextlib import closing
from pathlib import Path
from typing import Any

import cloudpickle

from rung.errors import ConfigError
from rung.events import LogError
from rung.replay import replay
from rung.results import Results
from rung.space import Space, to_text
from rung.store.sqlite import DB_NAME, read_events, read_meta
from rung.store.sqlite import open_readonly as _open_readonly


def settings_meta(settings: dict[str, Any], objects: dict[str, Any]) -> dict[str, Any]:
    """The run's settings (JSON) and, when they pickle, the objects it needs to resume, as
    meta values to keep; taken before the searcher and scheduler are set up, so that what
    is kept is their settings, never their state."""
    space: Space = objects["space"]
    meta: dict[str, Any] = {"settings": settings}
    try:
        meta["space"] = to_text(space)
    except ValueError:
        meta["space"] = repr(space)
    try:
        meta["payload"] = base64.b64encode(cloudpickle.dumps(objects)).decode("ascii")
    except Exception as error:  # a trainable holding a lock, say: resume from the script
        meta["payload_error"] = f"{type(error).__name__}: {error}"
    return meta


def load_payload(directory: str | os.PathLike) -> tuple[dict[str, Any], dict[str, Any]]:
    """The settings and the pickled objects of the experiment in ``directory``."""
    with closing(_open_readonly(directory)) as connection:
        settings = read_meta(connection, "settings")
        payload = read_meta(connection, "payload")
        error = read_meta(connection, "payload_error")
    if payload is None:
        raise ConfigError(
            f"{directory} did not save its trainable ({error}); resume it from your script "
            "with rung.run(..., resume=True)"
        )
    try:
        return settings, cloudpickle.loads(base64.b64decode(payload))
    except Exception as error:
        raise ConfigError(
            f"{directory}: the saved trainable, space and strategy cannot be loaded "
            f"({type(error).__name__}: {error}); is the code they came from importable here? "
            "Or resume from your script with rung.run(..., resume=True)"
        ) from None


def load(directory: str | os.PathLike) -> Results:
    """The results of the experiment in ``directory``, read-only: works while it runs (no
    lock is taken, nothing is written) and after it ended or crashed."""
    with closing(_open_readonly(directory)) as connection:
        path = Path(directory) / DB_NAME
        events = read_events(connection, path)
        settings = read_meta(connection, "settings") or {}
        stop_reason = read_meta(connection, "stop_reason")
    if "metric" not in settings:
        raise ConfigError(f"{directory} has no settings; it is not a complete rung experiment")
    try:
        trials = replay(events)
    except LogError as error:
        raise LogError(f"{path}: {error}") from None
    return Results(
        list(trials.values()),
        settings["metric"],
        settings["mode"],
        stop_reason,
        str(Path(directory)),
    )

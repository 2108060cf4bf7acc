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
from rung.results import Results
from rung.space import Space, to_text
from rung.store.base import Store
from rung.store.sqlite import open_readonly as _open_readonly
from rung.store.sqlite import read_meta, read_records
from rung.trial import Trial


def save_settings(store: Store, settings: dict[str, Any], objects: dict[str, Any]) -> None:
    """Keep the run's settings (JSON) and, when they pickle, the objects it needs to resume."""
    store.set_meta("settings", settings)
    space: Space = objects["space"]
    try:
        store.set_meta("space", to_text(space))
    except ValueError:
        store.set_meta("space", repr(space))
    try:
        payload = base64.b64encode(cloudpickle.dumps(objects)).decode("ascii")
    except Exception as error:  # a trainable holding a lock, say: resume from the script
        store.set_meta("payload_error", f"{type(error).__name__}: {error}")
    else:
        store.set_meta("payload", payload)


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
    return settings, cloudpickle.loads(base64.b64decode(payload))


def replay(records: list[dict[str, Any]]) -> dict[str, Trial]:
    """Trials rebuilt from an event log."""
    trials: dict[str, Trial] = {}
    for record in records:
        if record["type"] == "created":
            trials[record["trial_id"]] = Trial(record["trial_id"], record["config"])
        else:
            trials[record["trial_id"]].apply(record)
    return trials


def load(directory: str | os.PathLike) -> Results:
    """The results of the experiment in ``directory``, read-only: works while it runs (no
    lock is taken, nothing is written) and after it ended or crashed."""
    with closing(_open_readonly(directory)) as connection:
        records = read_records(connection)
        settings = read_meta(connection, "settings") or {}
        stop_reason = read_meta(connection, "stop_reason")
    if "metric" not in settings:
        raise ConfigError(f"{directory} has no settings; it is not a complete rung experiment")
    trials = replay(records)
    return Results(
        list(trials.values()),
        settings["metric"],
        settings["mode"],
        stop_reason,
        str(Path(directory)),
    )

"""What every framework callback shares: choose the metrics, report them, save a checkpoint
only when rung asks for one, and say whether the trial must stop."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rung.errors import ConfigError, RungError
from rung.trainable import _current

Metrics = str | Sequence[str] | Mapping[str, str] | None


def metric_names(metrics: Metrics) -> dict[str, str] | None:
    """``{name rung records: name the framework logs}``, or None for every logged metric."""
    if metrics is None:
        return None
    if isinstance(metrics, str):
        return {metrics: metrics}
    if isinstance(metrics, Mapping):
        return {str(k): str(v) for k, v in metrics.items()}
    if not isinstance(metrics, Sequence):
        raise ConfigError(
            f"RungCallback(metrics={metrics!r}): give a logged name, a list of names, a dict "
            "{name to record: logged name}, or None for every logged metric"
        )
    return {str(name): str(name) for name in metrics}


def check_every(every: Any) -> int:
    """``every`` (report every this many rounds) as a positive int, or a message naming it."""
    if not isinstance(every, int) or isinstance(every, bool) or every < 1:
        raise ConfigError(f"RungCallback(every={every!r}): must be an int >= 1")
    return every


def select(logged: Mapping[str, Any], names: dict[str, str] | None, where: str) -> dict[str, Any]:
    """The chosen metrics as floats; a chosen one the framework did not log is named, with
    what it did log."""
    if names is None:
        return {key: _number(value) for key, value in logged.items()}
    missing = [framework for framework in names.values() if framework not in logged]
    if missing:
        raise ConfigError(
            f"{where}: metrics {missing} were not logged; the logged ones are {sorted(logged)}"
        )
    return {ours: _number(logged[framework]) for ours, framework in names.items()}


def _number(value: Any) -> Any:
    """A tensor or numpy scalar as a float (other values as they are)."""
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return float(item())
        except (TypeError, ValueError):
            return value
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def report_or_stop(
    metrics: dict[str, Any], save: Callable[[Path], None] | None, filename: str
) -> bool:
    """Report ``metrics`` for this iteration; True when rung stops (or pauses) the trial.

    ``save(path)`` writes the framework's checkpoint to ``path``; it is called only when
    rung needs a checkpoint, into a scratch folder that rung copies and that is removed.
    """
    try:
        context = _current()
    except RungError:
        raise RungError(
            "a rung callback reports only inside a trainable that rung.run(...) runs"
        ) from None
    scratch: list[str] = []
    checkpoint = None
    if save is not None:

        def checkpoint() -> str:
            folder = tempfile.mkdtemp(prefix="rung-checkpoint-")
            scratch.append(folder)
            save(Path(folder) / filename)
            return folder

    try:
        action = context.report(metrics, checkpoint)
    finally:
        for folder in scratch:
            shutil.rmtree(folder, ignore_errors=True)
    return action.leaves


def checkpoint_file(filename: str) -> str | None:
    """The framework checkpoint this trial resumes from, or None to start afresh."""
    from rung.trainable import get_checkpoint

    checkpoint = get_checkpoint()
    if checkpoint is None or not isinstance(checkpoint, Path):
        return None
    path = checkpoint / filename
    return str(path) if path.exists() else None

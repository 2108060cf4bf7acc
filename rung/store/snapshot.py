"""A snapshot of the trials folded from a log's first records, so that a reader of a large
experiment starts there instead of replaying every record.

The log stays the one source of truth: a snapshot is what ``TrialFold`` made of the first
``position`` records, written by the driver when it closes the log (its fold stands exactly
at the committed end then), and records are only ever appended, so the snapshot plus the
records after it fold to what a replay of the whole log does. A reader that finds none, or
one it cannot read (written by another rung), replays the log. JSON, written as the log's
records are (NaN and infinities included), so a snapshot is as exact as the log; its rows
are kept in parts of ``PART_TRIALS`` trials, so neither writing nor reading it holds the
whole text of a large experiment in memory at once.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from typing import Any

from rung.events import Action, Exploit, TrialStatus
from rung.results import Results
from rung.trial import Trial

SNAPSHOT_VERSION = 1
PART_TRIALS = 10_000  # trials per part: what writing or reading one holds in memory at once
_FIELDS = tuple(f.name for f in dataclasses.fields(Trial))
_STATUS = _FIELDS.index("status")
_DECISION = _FIELDS.index("decision")
_EXPLOIT = _FIELDS.index("exploit")


def trial_row(trial: Trial) -> list[Any]:
    """A trial's fields in ``Trial``'s order, as JSON-ready values."""
    row = [getattr(trial, name) for name in _FIELDS]
    row[_STATUS] = trial.status.value
    row[_DECISION] = None if trial.decision is None else trial.decision.value
    row[_EXPLOIT] = None if trial.exploit is None else dataclasses.asdict(trial.exploit)
    return row


def trial_of(row: list[Any]) -> Trial:
    """The trial a row of ``trial_row`` holds."""
    row = list(row)
    row[_STATUS] = TrialStatus(row[_STATUS])
    row[_DECISION] = None if row[_DECISION] is None else Action(row[_DECISION])
    row[_EXPLOIT] = None if row[_EXPLOIT] is None else Exploit(**row[_EXPLOIT])
    return Trial(*row)


def encode_header(imported: int, parts: int) -> str:
    """The snapshot's header: its version, ``Trial``'s field names, how many trials were
    imported and in how many parts the rows follow."""
    return json.dumps(
        {"version": SNAPSHOT_VERSION, "fields": _FIELDS, "imported": imported, "parts": parts}
    )


def encode_rows(trials: list[Trial], to_json: Any) -> str:
    """One part of the rows, one per trial in fold order. ``to_json``: how the log writes
    what JSON cannot hold."""
    return json.dumps([trial_row(trial) for trial in trials], default=to_json)


def _ours(record: Any) -> bool:
    return (
        isinstance(record, dict)
        and record.get("version") == SNAPSHOT_VERSION
        and tuple(record.get("fields", ())) == _FIELDS
    )


def decode_header(record: Any) -> tuple[int, int] | None:
    """How many trials were imported and how many parts follow; None if this rung cannot
    read the snapshot (another version, or other fields)."""
    if not _ours(record):
        return None
    try:
        return int(record["imported"]), int(record["parts"])
    except (KeyError, TypeError, ValueError):
        return None


def decode_rows(record: Any) -> list[Trial] | None:
    """The trials of one part; None if it is not one this rung wrote."""
    try:
        return [trial_of(row) for row in record]
    except (KeyError, TypeError, ValueError):
        return None


def summary_of(results: Results) -> dict[str, Any]:
    """What ``rung status`` shows: trials by status, how many were imported, and the best
    trial (by ``Results.best_trial``, the one rule) or, with several objectives, the ids on
    the Pareto front."""
    several = results.objective.several
    best = None if several else results.best_trial
    return {
        "counts": dict(Counter(trial.status.value for trial in results.trials)),
        "imported": sum(trial.imported_from is not None for trial in results.trials),
        "best": best,
        "front": [trial.trial_id for trial in results.front()] if several else None,
    }


def encode_summary(summary: dict[str, Any], to_json: Any) -> str:
    best = summary["best"]
    record = {**summary, "version": SNAPSHOT_VERSION, "fields": _FIELDS}
    record["best"] = None if best is None else trial_row(best)
    return json.dumps(record, default=to_json)


def decode_summary(record: Any) -> dict[str, Any] | None:
    """A summary of ``encode_summary``; None if this rung cannot read it."""
    if not _ours(record):
        return None
    try:
        best = record["best"]
        return {
            "counts": dict(record["counts"]),
            "imported": int(record["imported"]),
            "best": None if best is None else trial_of(best),
            "front": record["front"],
        }
    except (KeyError, TypeError, ValueError):
        return None

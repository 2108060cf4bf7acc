"""The event log's vocabulary: every kind of record an experiment writes, with its fields.

The log is the single source of truth. Each event is a frozen dataclass; ``Trial.apply``
folds events into a trial, ``rung.replay`` folds a whole log into trials, searcher and
scheduler, and stores keep events as JSON records (``to_record`` / ``from_record``). The
driver's decision for a trial travels with the result that caused it, so a replayed log
knows what each running trial had been told. Times are experiment seconds: 0 when the
experiment first started, continuing across resumes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar

from rung.errors import RungError


class LogError(RungError):
    """An event log that cannot be read: a record of an unknown kind, a missing field, a
    record about a trial the log never created."""


class TrialStatus(str, Enum):
    """Where a trial is in its life."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    TERMINATED = "TERMINATED"
    STOPPED = "STOPPED"
    ERROR = "ERROR"

    @property
    def is_finished(self) -> bool:
        """Whether the trial will not run again."""
        return self in (TrialStatus.TERMINATED, TrialStatus.STOPPED, TrialStatus.ERROR)


class Action(str, Enum):
    """What a trial does after a report.

    Workers only ever see CONTINUE, SAVE ("continue, after saving a checkpoint": class
    trainables save when asked, function trainables when they choose), PAUSE (save and leave
    the worker, to be resumed later) and STOP. FINISH (the trial had its full budget) and
    EXPLOIT (restart from another trial's checkpoint with a new config) reach the worker as
    STOP; the driver records the difference.
    """

    CONTINUE = "continue"
    SAVE = "save"
    PAUSE = "pause"
    STOP = "stop"
    FINISH = "finish"
    EXPLOIT = "exploit"

    @property
    def leaves(self) -> bool:
        """Whether the trial is told to leave its worker."""
        return self not in (Action.CONTINUE, Action.SAVE)


@dataclass(frozen=True)
class Exploit:
    """A population-based-training order: restart from ``donor``'s ``checkpoint`` (which
    holds the state at training iteration ``iteration``) with ``config``."""

    donor: str
    config: dict[str, Any]
    checkpoint: str
    iteration: int


class EventKind(str, Enum):
    """The kinds of record in an experiment's log."""

    CREATED = "created"
    STARTED = "started"
    RESULT = "result"
    DECIDED = "decided"
    CHECKPOINT = "checkpoint"
    CHECKPOINT_DELETED = "checkpoint_deleted"
    PAUSED = "paused"
    EXPLOITED = "exploited"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    ENDED = "ended"
    IMPORTED = "imported"
    ASKED = "asked"


@dataclass(frozen=True)
class Event:
    """What every record has: the trial it is about and when (experiment seconds)."""

    kind: ClassVar[EventKind]
    trial_id: str
    time: float

    def to_record(self) -> dict[str, Any]:
        """The event as a JSON-ready dict with its ``type``."""
        record: dict[str, Any] = {"type": self.kind.value}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(value, Enum):
                value = value.value
            elif isinstance(value, Exploit):
                value = dataclasses.asdict(value)
            record[item.name] = value
        return record


@dataclass(frozen=True)
class TrialCreated(Event):
    """The searcher proposed ``config`` for a new trial."""

    kind: ClassVar[EventKind] = EventKind.CREATED
    config: dict[str, Any]


@dataclass(frozen=True)
class RunStarted(Event):
    """Run number ``run`` of the trial began, from ``checkpoint`` (None: from scratch), whose
    state is at training iteration ``iteration``."""

    kind: ClassVar[EventKind] = EventKind.STARTED
    config: dict[str, Any]
    checkpoint: str | None = None
    iteration: int = 0
    run: int = 1


@dataclass(frozen=True)
class ResultReported(Event):
    """A result, with the driver's answer to it: ``action`` and, for EXPLOIT, ``exploit``;
    ``violation``: the experiment's constraints' largest violation by it (<= 0: feasible;
    None: the experiment has no constraints)."""

    kind: ClassVar[EventKind] = EventKind.RESULT
    metrics: dict[str, Any]
    action: Action = Action.CONTINUE
    exploit: Exploit | None = None
    violation: float | None = None


@dataclass(frozen=True)
class DecisionMade(Event):
    """A decision about a running trial that no result of its own carried: a scheduler
    stopping it after another trial's result, or a report rung could not use (``error``:
    the trial ends in error once it has left its worker)."""

    kind: ClassVar[EventKind] = EventKind.DECIDED
    action: Action
    error: str | None = None


@dataclass(frozen=True)
class CheckpointSaved(Event):
    """A checkpoint of the trial's state at training iteration ``iteration``; ``score`` is
    the metric of the result it follows, lower is better (None when not a number)."""

    kind: ClassVar[EventKind] = EventKind.CHECKPOINT
    path: str
    iteration: int
    score: float | None = None


@dataclass(frozen=True)
class CheckpointDeleted(Event):
    """A checkpoint let go: ``superseded`` under ``checkpoint_keep`` (its folder is removed
    once this record is committed), or found ``missing`` when a run was to start from it."""

    kind: ClassVar[EventKind] = EventKind.CHECKPOINT_DELETED
    path: str
    reason: str = "superseded"


@dataclass(frozen=True)
class TrialPaused(Event):
    """The trial left its worker as told and waits to be resumed."""

    kind: ClassVar[EventKind] = EventKind.PAUSED


@dataclass(frozen=True)
class TrialExploited(Event):
    """The trial left its worker to restart from ``donor``'s checkpoint with ``config``."""

    kind: ClassVar[EventKind] = EventKind.EXPLOITED
    donor: str
    config: dict[str, Any]
    checkpoint: str
    iteration: int


@dataclass(frozen=True)
class RunFailed(Event):
    """A run failed and the trial will be retried from its last checkpoint."""

    kind: ClassVar[EventKind] = EventKind.FAILED
    error: str
    traceback: str | None = None


@dataclass(frozen=True)
class RunInterrupted(Event):
    """The trial's run was cut short, not by its own doing: the experiment stopped (Ctrl-C,
    a crash; a resume restarts it first), or its worker was lost with its machine (it
    restarts at once). ``reason`` says which when it is not the experiment's stop."""

    kind: ClassVar[EventKind] = EventKind.INTERRUPTED
    reason: str | None = None


@dataclass(frozen=True)
class TrialEnded(Event):
    """The trial will not run again: TERMINATED, STOPPED or ERROR."""

    kind: ClassVar[EventKind] = EventKind.ENDED
    status: TrialStatus
    error: str | None = None
    traceback: str | None = None


@dataclass(frozen=True)
class TrialImported(Event):
    """A finished trial taken from elsewhere (``source``: another experiment, a study, a
    table) to warm-start this one: its configuration, its reports and how far each is past
    this experiment's constraints. It is learnt from and ranked as the experiment's own
    trials are, and never run."""

    kind: ClassVar[EventKind] = EventKind.IMPORTED
    config: dict[str, Any]
    results: list[dict[str, Any]]
    violations: list[float | None]
    source: str


@dataclass(frozen=True)
class ParameterAsked(Event):
    """A define-by-run objective asked for parameter ``name`` from ``domain`` (its text, as
    ``rung.space`` writes it) and the searcher answered ``value``: the trial's
    configuration and its space grow by one parameter."""

    kind: ClassVar[EventKind] = EventKind.ASKED
    name: str
    domain: str
    value: Any


EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind.value: cls
    for cls in (
        TrialCreated,
        RunStarted,
        ResultReported,
        DecisionMade,
        CheckpointSaved,
        CheckpointDeleted,
        TrialPaused,
        TrialExploited,
        RunFailed,
        RunInterrupted,
        TrialEnded,
        TrialImported,
        ParameterAsked,
    )
}

# The fields whose values rung reads as they are, with the types they must have; a record
# that breaks one is refused by name rather than failing later, far from the log.
_SHAPES: dict[str, tuple[type, ...]] = {
    "trial_id": (str,),
    "time": (int, float),
    "config": (dict,),
    "metrics": (dict,),
    "path": (str,),
    "checkpoint": (str, type(None)),
    "iteration": (int, float),
    "donor": (str,),
    "results": (list,),
    "violations": (list,),
    "source": (str,),
    "name": (str,),
    "domain": (str,),
}

_ACTIONS: dict[str, Action] = {action.value: action for action in Action}
_CONVERTERS: dict[str, Any] = {
    "action": lambda value: _ACTIONS[value] if value in _ACTIONS else Action(value),
    "status": TrialStatus,
    "exploit": lambda value: None if value is None else Exploit(**value),
}
_MISSING = object()


@dataclass(frozen=True)
class _Reading:
    """How records of one kind are read, worked out once rather than for every record of a
    log: its class, field names, the fields whose type is checked and those converted."""

    event: type[Event]
    names: frozenset[str]
    shapes: tuple[tuple[str, tuple[type, ...]], ...]
    converters: tuple[tuple[str, Any], ...]

    @classmethod
    def of(cls, kind: type[Event]) -> _Reading:
        names = frozenset(f.name for f in dataclasses.fields(kind))
        return cls(
            kind,
            names | {"type"},
            tuple((key, shape) for key, shape in _SHAPES.items() if key in names),
            tuple((key, convert) for key, convert in _CONVERTERS.items() if key in names),
        )


_READINGS = {kind: _Reading.of(cls) for kind, cls in EVENT_TYPES.items()}


def from_record(record: dict[str, Any], where: str = "") -> Event:
    """The event a stored record holds; a LogError naming ``where`` if it is not one."""
    kind = record.get("type")
    reading = _READINGS.get(kind) if isinstance(kind, str) else None
    if reading is None:
        raise LogError(f"{where}unknown event kind {kind!r}; this rung knows {sorted(EVENT_TYPES)}")
    values = dict(record)
    del values["type"]
    for key, shape in reading.shapes:  # a missing field is refused when the event is built
        value = values.get(key, _MISSING)
        if value is not _MISSING and (not isinstance(value, shape) or isinstance(value, bool)):
            raise LogError(
                f"{where}a {kind!r} record whose {key} is {type(value).__name__} {value!r:.60}, "
                f"not {' or '.join(t.__name__ for t in shape)}"
            )
    try:
        for key, convert in reading.converters:
            if key in values:
                values[key] = convert(values[key])
        try:
            return reading.event(**values)
        except TypeError:
            if values.keys() <= reading.names:
                raise
            # A field this rung does not know (written by a later one) is left out.
            return reading.event(**{k: v for k, v in values.items() if k in reading.names})
    except (TypeError, ValueError) as error:
        raise LogError(f"{where}a {kind!r} record that cannot be read ({error})") from None

"""The store contract: an append-only log of experiment events (``rung.events``).

Trials are rebuilt by replaying the events in order (``rung.replay``); the searcher and the
scheduler by replaying them too, so resuming needs no pickled algorithm state. Beside the
log, a store keeps a few named values (``meta``): the experiment's settings and progress.

Appended events and meta values wait in a buffer until ``flush`` commits them together, all
or nothing: a crash loses the last uncommitted turn, never half of one, and never writes a
record twice.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from rung.events import Event

if TYPE_CHECKING:
    from rung.results import Results


class Store(ABC):
    """Where an experiment's events are kept."""

    @abstractmethod
    def append(self, event: Event) -> None:
        """Add one event to the log (durable at the next commit)."""

    @abstractmethod
    def records(self, after: int = 0) -> list[Event]:
        """The events in the order appended, less the first ``after`` (a reader that keeps
        count pays only for what is new)."""

    @abstractmethod
    def set_meta(self, key: str, value: Any) -> None:
        """Keep a JSON-ready value under ``key`` (committed with the next events)."""

    @abstractmethod
    def get_meta(self, key: str, default: Any = None) -> Any:
        """The value kept under ``key``, or ``default``."""

    def due(self) -> bool:
        """Whether ``flush`` would commit now (something waits, and it is time)."""
        return True

    @abstractmethod
    def flush(self, force: bool = False) -> bool:
        """Commit what was appended; a store may wait to gather more unless ``force``.

        Returns whether everything appended so far is now committed.
        """

    def keep_snapshot(self, results: Results, imported: int, position: int) -> None:
        """Keep the trials folded from the first ``position`` records (``imported`` of them
        by a warm start), for readers to start from (``rung.store.snapshot``); a store whose
        log no other process reads keeps none."""

    def close(self) -> None:
        """Commit what is left and release the store."""
        self.flush(force=True)

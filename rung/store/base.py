"""The store contract: an append-only log of experiment events.

A record is a JSON-ready dict with a ``type`` (``created``, ``started``, ``result``,
``checkpoint``, ``paused``, ``exploited``, ``failed``, ``interrupted``, ``ended``), a
``trial_id`` and a ``time``. Trials are rebuilt by replaying the records in order
(``Trial.apply``); the searcher and the scheduler by replaying them too, so resuming needs
no pickled algorithm state. Beside the log, a store keeps a few named values (``meta``):
the experiment's settings and progress.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any


class Store(ABC):
    """Where an experiment's events are kept."""

    @abstractmethod
    def append(self, record: dict[str, Any]) -> None:
        """Add one record to the log."""

    @abstractmethod
    def records(self) -> list[dict[str, Any]]:
        """Every record, in the order appended."""

    @abstractmethod
    def set_meta(self, key: str, value: Any) -> None:
        """Keep a JSON-ready value under ``key``."""

    @abstractmethod
    def get_meta(self, key: str, default: Any = None) -> Any:
        """The value kept under ``key``, or ``default``."""

    def flush(self, force: bool = False) -> None:
        """Make appended records durable (a no-op for stores that are not on disk); a store
        may wait to gather more unless ``force``."""

    def close(self) -> None:
        """Flush and release the store."""
        self.flush()

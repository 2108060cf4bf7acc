"""The store contract: an append-only log of experiment events.

A record is a JSON-ready dict with a ``type`` (``created``, ``started``, ``result``,
``checkpoint``, ``paused``, ``failed``, ``ended``), a ``trial_id`` and a ``time``. Trials are
rebuilt by replaying the records in order (``Trial.apply``).
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

    def flush(self) -> None:
        """Make appended records durable (a no-op for stores that are not on disk)."""

    def close(self) -> None:
        """Flush and release the store."""
        self.flush()

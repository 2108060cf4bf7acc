"""The in-memory store: the event log as a Python list, for notebooks and tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rung.events import Event
from rung.store.base import Store


class MemoryStore(Store):
    """Keeps every event in memory; gone when the process ends."""

    def __init__(self, meta: Mapping[str, Any] | None = None) -> None:
        self._events: list[Event] = []
        self._meta: dict[str, Any] = dict(meta or {})

    def append(self, event: Event) -> None:
        self._events.append(event)

    def records(self, after: int = 0) -> list[Event]:
        return self._events[after:]

    def set_meta(self, key: str, value: Any) -> None:
        self._meta[key] = value

    def get_meta(self, key: str, default: Any = None) -> Any:
        return self._meta.get(key, default)

    def flush(self, force: bool = False) -> bool:
        return True

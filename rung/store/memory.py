"""The in-memory store: the event log as a Python list, for notebooks and tests."""

from __future__ import annotations

from typing import Any

from rung.store.base import Store


class MemoryStore(Store):
    """Keeps every record in memory; gone when the process ends."""

    def __init__(self) -> None:
        self._records: list[dict[str, Any]] = []
        self._meta: dict[str, Any] = {}

    def append(self, record: dict[str, Any]) -> None:
        self._records.append(record)

    def records(self) -> list[dict[str, Any]]:
        return list(self._records)

    def set_meta(self, key: str, value: Any) -> None:
        self._meta[key] = value

    def get_meta(self, key: str, default: Any = None) -> Any:
        return self._meta.get(key, default)

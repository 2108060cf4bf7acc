"""Stores: the experiment's event log."""

from rung.store.base import Store
from rung.store.memory import MemoryStore

__all__ = ["MemoryStore", "Store"]

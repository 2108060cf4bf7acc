"""Stores: the experiment's event log."""

from rung.store.base import Store
from rung.store.memory import MemoryStore
from rung.store.sqlite import ExperimentDirError, SQLiteStore, open_readonly

__all__ = ["ExperimentDirError", "MemoryStore", "SQLiteStore", "Store", "open_readonly"]

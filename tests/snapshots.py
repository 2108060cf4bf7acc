"""Logs without the snapshot a closing driver keeps: what readers see while an experiment
runs, and what a log from before snapshots is."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from rung.store.sqlite import DB_NAME


def drop_snapshot(folder: Path) -> None:
    """Remove the experiment's snapshot, so readers fold its whole log."""
    with sqlite3.connect(Path(folder) / DB_NAME) as connection:
        connection.execute("DELETE FROM snapshot")
    connection.close()

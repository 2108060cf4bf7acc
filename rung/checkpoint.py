"""Checkpoints on disk: a directory per save, holding the user's files or a pickled dict."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cloudpickle

from rung.errors import RungError

DICT_FILE = "checkpoint.pkl"


def save_checkpoint(checkpoint: Any, destination: str | os.PathLike) -> str:
    """Persist a dict or copy a directory to ``destination``; returns its path.

    Written to a temporary sibling first and renamed, so a crash mid-write never leaves a
    half checkpoint under the final name.
    """
    destination = Path(destination)
    partial = destination.with_name(destination.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    if isinstance(checkpoint, Mapping):
        partial.mkdir(parents=True)
        with open(partial / DICT_FILE, "wb") as file:
            cloudpickle.dump(dict(checkpoint), file)
    elif isinstance(checkpoint, str | os.PathLike):
        source = Path(checkpoint)
        if not source.is_dir():
            raise RungError(
                f"checkpoint={str(checkpoint)!r} is not a directory; pass a directory your "
                "trainable wrote, or a dict"
            )
        shutil.copytree(source, partial)
    else:
        raise RungError(
            f"checkpoint must be a directory path or a dict, got {type(checkpoint).__name__}"
        )
    shutil.rmtree(destination, ignore_errors=True)
    partial.rename(destination)
    return str(destination)


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any] | Path:
    """What ``save_checkpoint`` wrote: the dict back, or the directory's path."""
    path = Path(path)
    dict_file = path / DICT_FILE
    if dict_file.is_file():
        with open(dict_file, "rb") as file:
            return cloudpickle.load(file)
    return path

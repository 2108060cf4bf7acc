"""Checkpoints on disk: a directory per save, holding the user's files or a pickled dict."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tarfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cloudpickle

from rung.errors import ConfigError, RungError

DICT_FILE = "checkpoint.pkl"
# Trials' folders, and so their checkpoints, live in this folder of the experiment's.
TRIALS_FOLDER = "trials"


def recorded_path(path: str, experiment: str | os.PathLike) -> str:
    """How the log records a checkpoint at ``path``: relative to the experiment's folder
    when inside it (``trials/00003/checkpoints/ckpt_000002``), so that a moved or copied
    experiment resumes from, and deletes, its own checkpoints."""
    if not os.path.isabs(path):
        return path
    root = os.path.abspath(experiment)
    if os.path.commonpath([os.path.abspath(path), root]) != root:
        return path
    return Path(os.path.relpath(path, root)).as_posix()


def located_path(recorded: str, experiment: str | os.PathLike) -> str:
    """Where a recorded checkpoint is now: a path under ``trials/`` joined to the
    experiment's folder; any other (an older log's absolute path, a simulated executor's
    mark) as recorded."""
    if os.path.isabs(recorded) or Path(recorded).parts[:1] != (TRIALS_FOLDER,):
        return recorded
    return os.path.join(os.path.abspath(experiment), recorded)


def deletable_path(recorded: str, experiment: str | os.PathLike) -> str | None:
    """Where a recorded checkpoint that rung may delete is, or None when that is not inside
    the experiment's ``trials/`` folder (symbolic links and ``..`` resolved): a damaged or
    edited log never makes rung delete anything else."""
    located = located_path(recorded, experiment)
    trials = os.path.realpath(os.path.join(experiment, TRIALS_FOLDER))
    resolved = os.path.realpath(located)
    if not os.path.isabs(located) or resolved == trials:
        return None
    return located if os.path.commonpath([resolved, trials]) == trials else None


@contextlib.contextmanager
def written_whole(destination: str | os.PathLike) -> Iterator[Path]:
    """A temporary sibling of ``destination`` for the block to write (not yet created),
    renamed to ``destination`` when the block ends without error, so that a crash never
    leaves half a checkpoint under the final name."""
    destination = Path(destination)
    partial = destination.with_name(destination.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    yield partial
    shutil.rmtree(destination, ignore_errors=True)
    partial.rename(destination)


def save_checkpoint(checkpoint: Any, destination: str | os.PathLike) -> str:
    """Persist a dict or copy a directory to ``destination`` (whole, see ``written_whole``);
    returns its path."""
    with written_whole(destination) as partial:
        if isinstance(checkpoint, Mapping):
            partial.mkdir(parents=True)
            with open(partial / DICT_FILE, "wb") as file:
                cloudpickle.dump(dict(checkpoint), file)
        elif isinstance(checkpoint, str | os.PathLike):
            source = Path(checkpoint)
            if not source.is_dir():
                raise RungError(
                    f"checkpoint={str(checkpoint)!r} is not a directory; pass a directory "
                    "your trainable wrote, or a dict"
                )
            shutil.copytree(source, partial)
        else:
            raise RungError(
                f"checkpoint must be a directory path or a dict, got {type(checkpoint).__name__}"
            )
    return str(destination)


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any] | Path:
    """A saved checkpoint (``results.best_checkpoint``, say): the dict a trial reported,
    unpickled (that runs code: load only checkpoints you trust), or the folder's path when
    it reported a folder."""
    path = Path(path)
    dict_file = path / DICT_FILE
    if dict_file.is_file():
        with open(dict_file, "rb") as file:
            return cloudpickle.load(file)
    return path


@dataclass(frozen=True)
class CheckpointKeep:
    """Which of a trial's checkpoints stay on disk: its ``last`` N and its ``best`` N by the
    metric (None: all). A checkpoint some trial would resume from is always kept."""

    last: int | None = None
    best: int | None = None

    @classmethod
    def of(cls, spec: int | Mapping[str, int] | CheckpointKeep | None) -> CheckpointKeep:
        """From ``checkpoint_keep=``: None (all), N (the last N) or {"last": N, "best": M}."""
        if spec is None or isinstance(spec, CheckpointKeep):
            return spec or cls()
        if isinstance(spec, int) and not isinstance(spec, bool) and spec >= 1:
            return cls(last=spec)
        if isinstance(spec, Mapping) and set(spec) <= {"last", "best"} and spec:
            counts = [spec.get("last", 0), spec.get("best", 0)]
            if all(isinstance(n, int) and n >= 0 for n in counts) and sum(counts) >= 1:
                return cls(last=spec.get("last", 0), best=spec.get("best", 0))
        raise ConfigError(
            f"checkpoint_keep={spec!r}: use None (keep all), N (the last N) or "
            '{"last": N, "best": M} (the last N and the best M by the metric)'
        )

    @property
    def keeps_all(self) -> bool:
        return self.last is None and self.best is None

    def superseded(self, checkpoints: list[dict[str, Any]], in_use: set[str]) -> list[str]:
        """Paths among a trial's ``checkpoints`` (oldest first, each with a ``score``, lower
        is better) that this policy lets go."""
        if self.keeps_all:
            return []
        keep = {c["path"] for c in checkpoints[len(checkpoints) - (self.last or 0) :]}
        if self.last == 0:
            keep = set()
        scored = [c for c in checkpoints if c["score"] is not None]
        ranked = sorted(scored, key=lambda c: c["score"])[: self.best or 0]
        keep |= {c["path"] for c in ranked} | in_use
        return [c["path"] for c in checkpoints if c["path"] not in keep]


def pack_checkpoint(path: str | os.PathLike) -> bytes:
    """A checkpoint folder as one uncompressed tar archive in memory, to send between
    machines that do not share a file system (model weights hardly compress)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        archive.add(str(path), arcname=".")
    return buffer.getvalue()


def unpack_checkpoint(data: bytes, destination: str | os.PathLike) -> str:
    """Write what ``pack_checkpoint`` packed to ``destination`` (whole, see
    ``written_whole``); returns its path."""
    with written_whole(destination) as partial:
        partial.mkdir(parents=True)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r") as archive:
            archive.extractall(partial, filter="data")
    return str(destination)

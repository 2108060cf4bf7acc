"""A worker's standard output and error, caught in files it opens once, and handed to each
trial's ``stdout.log`` and ``stderr.log`` only when the trial wrote something.

Creating two log files per trial costs a millisecond or more on a local disk and a round
trip to the metadata server on a network file system, for trials that mostly print
nothing. Instead, file descriptors 1 and 2 (so that C libraries and child processes follow)
point during a trial at the worker's capture files in ``trials/.output/``; at each report
and at the trial's end, what they hold is appended to the trial's logs and they are
emptied. When a worker dies, the driver appends what its capture files still hold.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

CAPTURE_FOLDER = ".output"
# The trial's log file for each standard stream, by file descriptor.
STREAMS = (("stdout.log", 1), ("stderr.log", 2))


def capture_paths(trial_dir: str | os.PathLike[str], host: str, pid: int) -> list[Path]:
    """The capture files of the worker ``pid`` on ``host``, for trials under the folder of
    ``trial_dir``."""
    folder = Path(trial_dir).parent / CAPTURE_FOLDER
    return [folder / f"{host}-{pid}.{name}" for name, _ in STREAMS]


def salvage(trial_dir: str | os.PathLike[str], host: str, pid: int) -> None:
    """Append to a trial's logs what the worker that died running it had caught since the
    trial's last report (the end of a segfaulting trial's output, say)."""
    for path, (name, _) in zip(capture_paths(trial_dir, host, pid), STREAMS, strict=True):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if data:
            with open(Path(trial_dir) / name, "ab") as log:
                log.write(data)
        path.unlink(missing_ok=True)


class OutputCapture:
    """Catches this process's standard output and error during trials (one at a time).

    Only workers capture (trials run inline keep the driver's streams), and no Ctrl-C can
    land between restoring one stream and the next there: process workers ignore SIGINT,
    and Ray's run their trials off the main thread, the only one Python interrupts.
    """

    def __init__(self) -> None:
        self._files: list[BinaryIO] = []
        self._folder: Path | None = None
        self._trial_dir: Path | None = None

    @contextlib.contextmanager
    def trial(self, trial_dir: Path) -> Iterator[None]:
        """Catch what is written while the trial runs; hand it over when it ends."""
        self._open(trial_dir)
        sys.stdout.flush()
        sys.stderr.flush()
        saved = [os.dup(fd) for _, fd in STREAMS]
        self._trial_dir = trial_dir
        try:
            for file, (_, fd) in zip(self._files, STREAMS, strict=True):
                os.dup2(file.fileno(), fd)
            yield
        finally:
            self.collect()
            self._trial_dir = None
            for copy, (_, fd) in zip(saved, STREAMS, strict=True):
                os.dup2(copy, fd)
                os.close(copy)

    def collect(self) -> None:
        """Append what the running trial wrote since the last call to its logs."""
        if self._trial_dir is None:
            return
        sys.stdout.flush()
        sys.stderr.flush()
        for file, (name, _) in zip(self._files, STREAMS, strict=True):
            size = os.fstat(file.fileno()).st_size
            if size:
                data = os.pread(file.fileno(), size, 0)
                os.ftruncate(file.fileno(), 0)
                with open(self._trial_dir / name, "ab") as log:
                    log.write(data)

    def _open(self, trial_dir: Path) -> None:
        folder = trial_dir.parent / CAPTURE_FOLDER
        if folder == self._folder:
            return
        for file in self._files:
            file.close()
        folder.mkdir(parents=True, exist_ok=True)
        paths = capture_paths(trial_dir, socket.gethostname(), os.getpid())
        # Appending: a child process's writes land at the end, after an emptying too.
        self._files = [open(path, "a+b") for path in paths]  # noqa: SIM115
        self._folder = folder

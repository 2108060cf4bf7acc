"""The Ray side of the Ray executor: a long-lived actor per slot that runs trials one after
another, as a worker process of the process executor does.

The driver keeps one call in flight per actor, ``exchange(answer)``: it hands over a launch,
or the answer to the trial's last message, and gets the trial's next message back (a
report, a checkpoint saved on request, a request for checkpoint bytes, the run's exit). The
trial runs in a thread of the actor, so a stop or pause reaches it at its next report.

Where the actor's node does not see the driver's storage (no shared file system), a trial
runs in a scratch folder on its node: each checkpoint travels to the driver as bytes with
the message that records it and is deleted here, and a run that resumes from a checkpoint
asks the driver for its bytes first; the run's logs and the other files it wrote in its
folder travel when it ends. The driver's paths are the only ones recorded.
"""

from __future__ import annotations

import contextlib
import faulthandler
import io
import os
import queue
import shutil
import socket
import sys
import tarfile
import tempfile
import threading
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any

from rung.checkpoint import pack_checkpoint, unpack_checkpoint
from rung.executors.sources import CodeFiles, restore_code_files
from rung.executors.worker import die_with_parent, libc_prctl
from rung.trial import Action, Exit, Launch, Outcome

# Written by the driver in the experiment's folder; a node that reads the same token there
# shares the driver's file system.
PROBE_FILE = ".storage-probe"
LOG_FILES = ("stdout.log", "stderr.log")


_forking_process = 0


def _note_forking_process() -> None:
    global _forking_process
    _forking_process = os.getpid()


def _die_with_forker() -> None:
    """In a child the trial forked: die with the thread that forked it, and at once if
    the actor died before the line above took effect."""
    die_with_parent()
    if os.getppid() != _forking_process:
        os._exit(0)


class TrialActor:
    """Runs the trials the driver sends, one at a time, with the trainable loaded once.

    Args:
        payload: the trainable, pickled with cloudpickle.
        files: source files of code that travels by value, for tracebacks.
        paths: the driver's import path; those folders that exist on this node are added,
            so modules next to the user's script import here too.
        storage: "auto" (share the driver's folders when this node sees them), "shared"
            or "transfer".
    """

    def __init__(self, payload: bytes, files: CodeFiles, paths: list[str], storage: str) -> None:
        self._storage = storage
        self._shared: dict[str, bool] = {}
        self._messages: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._answers: queue.SimpleQueue[Any] = queue.SimpleQueue()
        # Trials run one after another in one thread of the actor's own.
        self._launches: queue.SimpleQueue[tuple[Launch, str]] = queue.SimpleQueue()
        threading.Thread(target=self._serve, daemon=True, name="rung-trial").start()
        self._scratch = Path(tempfile.mkdtemp(prefix="rung-trials-"))
        self._fatal: str | None = None
        # A child the trial forks holds this process's connection to Ray, which would hide
        # this process's death from Ray; it dies with the trial's thread instead.
        libc_prctl()  # looked up here, never in a child
        faulthandler.enable()  # a trial that segfaults leaves its stack in its stderr.log
        os.register_at_fork(before=_note_forking_process, after_in_child=_die_with_forker)
        for path in reversed(paths):
            if path not in sys.path and os.path.isdir(path):
                sys.path.insert(0, path)
        try:
            import cloudpickle

            from rung.trainable import TrialRunner

            trainable = cloudpickle.loads(payload)
            restore_code_files(trainable, files)
            self._runner = TrialRunner(trainable, interrupt_fails_trial=True)
        except Exception:
            self._fatal = traceback.format_exc()

    def hello(self) -> dict[str, Any]:
        """Where this actor runs, or why it could not load the trainable."""
        import ray

        return {
            "fatal": self._fatal,
            "node": ray.get_runtime_context().get_node_id(),
            "host": socket.gethostname(),
            "pid": os.getpid(),
        }

    def exchange(
        self, answer: Any, launches: tuple[tuple[Launch, str], ...] = ()
    ) -> list[tuple[Any, ...]]:
        """Queue ``launches`` (each with the storage probe's token; they run one after
        another, the first as soon as the trial thread is free), hand the running trial
        ``answer`` (an action, checkpoint bytes, or None for no answer) and return the
        trial's next message; after a final report (which needs no answer), the run's exit
        with it, and the messages of queued trials that ended meanwhile, so that short
        trials cost the driver less than a call each."""
        for launch in launches:
            self._launches.put(launch)
        if answer is not None:
            self._answers.put(answer)
        messages = [self._messages.get()]
        while True:
            kind, *_, last = messages[-1]
            if kind == "report" and last:  # final: the run's exit follows at once
                messages.append(self._messages.get())
            elif kind != "exit":
                return messages  # the trial waits for the answer, or goes on
            try:  # the trials queued after it may have ended too: all in one answer
                messages.append(self._messages.get_nowait())
            except queue.Empty:
                return messages

    # the trial's thread ------------------------------------------------------------------

    def _serve(self) -> None:
        while True:
            self._run(*self._launches.get())

    def _run(self, launch: Launch, probe_token: str) -> None:
        try:
            self._messages.put(self._run_trial(launch, probe_token))
        except BaseException as error:  # the thread must always answer the driver
            failed = Exit(launch.trial_id, Outcome.FAILED, f"{type(error).__name__}: {error}")
            self._messages.put(("exit", replace(failed, traceback=traceback.format_exc()), {}))

    def _run_trial(self, launch: Launch, probe_token: str) -> tuple[Any, ...]:
        if self._sees_driver_storage(launch.trial_dir, probe_token):
            exit = self._runner.run(launch, self._send, self._saved)
            return ("exit", exit, {})
        return _Transfer(self, launch).run()

    def _sees_driver_storage(self, trial_dir: str, token: str) -> bool:
        if self._storage != "auto":
            return self._storage == "shared"
        experiment = str(Path(trial_dir).parent.parent)
        if experiment not in self._shared:
            probe = Path(experiment) / PROBE_FILE
            try:
                self._shared[experiment] = probe.read_text() == token
            except OSError:
                self._shared[experiment] = False
        return self._shared[experiment]

    def _ask(self, message: tuple[Any, ...]) -> Any:
        self._messages.put(message)
        return self._answers.get()

    def _send(self, metrics: dict[str, Any], checkpoint: str | None, final: bool = False) -> Action:
        return self._report(("report", metrics, checkpoint, None, final))

    def _report(self, message: tuple[Any, ...]) -> Action:
        """Send a report; wait for the driver's answer unless it is the final one."""
        if message[-1]:
            self._messages.put(message)
            return Action.CONTINUE
        return self._ask(message)

    def _saved(self, path: str) -> None:
        self._messages.put(("checkpoint", path, None))


class _Transfer:
    """One run of a trial in a scratch folder on this node, with its checkpoints sent to the
    driver as bytes and its output files sent when it ends."""

    def __init__(self, actor: TrialActor, launch: Launch) -> None:
        self.actor = actor
        self.launch = launch
        self.local_dir = actor._scratch / launch.trial_id
        self.sent: dict[str, str] = {}  # local checkpoint folder -> the driver's path

    def run(self) -> tuple[Any, ...]:
        launch = self.launch
        shutil.rmtree(self.local_dir, ignore_errors=True)
        checkpoint = None
        if launch.checkpoint:
            data = self.actor._ask(("fetch", launch.checkpoint))
            if data is not None:
                checkpoint = unpack_checkpoint(data, self.local_dir / "restored")
        local = replace(launch, trial_dir=str(self.local_dir), checkpoint=checkpoint)
        try:
            exit = self.actor._runner.run(local, self._send, self._saved)
            data = None
            if exit.checkpoint and exit.checkpoint not in self.sent:
                data = pack_checkpoint(exit.checkpoint)
                self.sent[exit.checkpoint] = self._driver_path(exit.checkpoint)
            if exit.checkpoint:
                exit = replace(exit, checkpoint=self.sent[exit.checkpoint])
            extras = {"checkpoint": data, "logs": self._logs(), "files": self._files()}
            return ("exit", exit, extras)
        finally:
            shutil.rmtree(self.local_dir, ignore_errors=True)

    def _driver_path(self, local: str) -> str:
        return str(Path(self.launch.trial_dir) / Path(local).relative_to(self.local_dir))

    def _ship(self, local: str) -> tuple[str, bytes]:
        """The driver's path of a checkpoint written here, and its bytes; the local copy
        goes (the driver's copy is the one a later run resumes from)."""
        data = pack_checkpoint(local)
        driver = self.sent[local] = self._driver_path(local)
        shutil.rmtree(local, ignore_errors=True)
        return driver, data

    def _send(self, metrics: dict[str, Any], checkpoint: str | None, final: bool = False) -> Action:
        if checkpoint is None:
            return self.actor._report(("report", metrics, None, None, final))
        return self.actor._report(("report", metrics, *self._ship(checkpoint), final))

    def _saved(self, path: str) -> None:
        self.actor._messages.put(("checkpoint", *self._ship(path)))

    def _files(self) -> bytes | None:
        """What else the trial wrote in its folder (plots, exported models), as a tar
        archive; checkpoints and logs travel on their own."""
        if not self.local_dir.is_dir():
            return None
        skip = {"checkpoints", "restored", *LOG_FILES}
        names = [p for p in self.local_dir.iterdir() if p.name not in skip]
        if not names:
            return None
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            for path in names:
                archive.add(str(path), arcname=path.name)
        return buffer.getvalue()

    def _logs(self) -> dict[str, bytes]:
        logs = {}
        for name in LOG_FILES:
            with contextlib.suppress(OSError):
                logs[name] = (self.local_dir / name).read_bytes()
        return logs

"""Ctrl-C at hundreds of random moments: each returns the results so far, consistent with
the log, with no trial left running and no worker alive, and each experiment resumes to a
valid end (the loop itself is ``tests/resume/ctrl_c_loop.py``)."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from typing import IO

import pytest


def restore_sigint() -> None:
    """A driver started from a background job inherits SIGINT ignored; a user's terminal
    delivers it. Start the loop as from a terminal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


# How long the loop may go without finishing a run (with its resume) before it counts as
# hung: one run takes seconds; the limit is per run, so that a slow, loaded machine makes the
# loop slower but cannot fail it.
QUIET_LIMIT_S = 120


@pytest.mark.timeout(1800)  # a backstop: a quiet loop fails first, with its output
@pytest.mark.parametrize(("executor", "count"), [("inline", 200), ("process", 30), ("ray", 15)])
def test_ctrl_c_at_random_moments_loses_nothing(tmp_path, executor, count):
    if executor == "ray":
        pytest.importorskip("ray", reason="Ray is not installed (pip install 'rung[ray]')")
    command = ["-m", "tests.resume.ctrl_c_loop", str(tmp_path), executor, str(count), "7"]
    with (tmp_path / "stderr.txt").open("w+") as stderr:
        returncode, said = run_watching_progress([sys.executable, *command], stderr)
        stderr.seek(0)
        errors = stderr.read()
    assert returncode == 0, errors[-3000:]
    reports = [json.loads(line) for line in said if line.startswith("{")]
    runs = reports[:-1]  # the last line sums them up
    assert len(runs) == count
    for run in runs:
        assert run["outcome"] == "returned", f"Ctrl-C escaped rung.run: {run}"
        assert run["workers_alive"] == 0, f"a worker outlived rung.run: {run}"
        if "log_agrees" in run:
            assert run["log_agrees"], f"the returned results are not the log's: {run}"
            assert run["running_in_log"] == 0, f"a trial left RUNNING: {run}"
            assert run["resumed_ok"], f"the resume did not end the experiment: {run}"
    # Where the Ctrl-Cs landed: of 2,000 inline runs, 32% at start-up, 16% while trials
    # ran, 42% in shutdown or the final table; of 100 process runs, 74% while trials ran.
    phases = Counter(run.get("phase") for run in runs)
    assert phases["trials running"] >= 5, phases
    if executor == "inline":
        assert phases["start-up"] >= 5, phases
        assert phases["shutdown or final table"] >= 5, phases


def run_watching_progress(command: list[str], stderr: IO[str]) -> tuple[int, list[str]]:
    """Run the loop and return its exit status and output lines; fail the test, with the
    output so far, if it reports no finished run for ``QUIET_LIMIT_S``."""
    loop = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        cwd=os.getcwd(),
        preexec_fn=restore_sigint,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in loop.stdout:  # type: ignore[union-attr]
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    said: list[str] = []
    deadline = time.monotonic() + QUIET_LIMIT_S
    try:
        while (line := lines.get(timeout=max(0.0, deadline - time.monotonic()))) is not None:
            said.append(line)
            if line.startswith("{"):  # a run's report: the loop goes on
                deadline = time.monotonic() + QUIET_LIMIT_S
    except queue.Empty:
        loop.kill()
        loop.wait()
        shown = "\n".join(said[-20:])
        pytest.fail(f"the loop finished no run for {QUIET_LIMIT_S} s; its last output:\n{shown}")
    return loop.wait(), said

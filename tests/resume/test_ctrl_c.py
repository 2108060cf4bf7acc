"""Ctrl-C at hundreds of random moments: each returns the results so far, consistent with
the log, with no trial left running and no worker alive, and each experiment resumes to a
valid end (the loop itself is ``tests/resume/ctrl_c_loop.py``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter

import pytest


def restore_sigint() -> None:
    """A driver started from a background job inherits SIGINT ignored; a user's terminal
    delivers it. Start the loop as from a terminal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.timeout(400)  # the loop's own limit (300 s) fails first, with its output
@pytest.mark.parametrize(("executor", "count"), [("inline", 200), ("process", 30), ("ray", 15)])
def test_ctrl_c_at_random_moments_loses_nothing(tmp_path, executor, count):
    if executor == "ray":
        pytest.importorskip("ray", reason="Ray is not installed (pip install 'rung[ray]')")
    command = ["-m", "tests.resume.ctrl_c_loop", str(tmp_path), executor, str(count), "7"]
    try:
        loop = subprocess.run(
            [sys.executable, *command],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=os.getcwd(),
            preexec_fn=restore_sigint,
        )
    except subprocess.TimeoutExpired as timeout:
        said = timeout.stdout or ""
        if isinstance(said, bytes):
            said = said.decode(errors="replace")
        pytest.fail(f"the loop hung; its last output:\n{said[-4000:]}")
    assert loop.returncode == 0, loop.stderr[-3000:]
    reports = [json.loads(line) for line in loop.stdout.splitlines() if line.startswith("{")]
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

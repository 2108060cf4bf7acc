"""SIGTERM (``kill``, Slurm's ``scancel`` or time limit) ends a tuning script the way Ctrl-C
does, then exits as terminated: running trials are recorded as interrupted, nothing
recorded is lost, and a resume continues them from their checkpoints."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

import rung


@pytest.mark.timeout(180)
@pytest.mark.parametrize("executor", ["inline", "process", "ray"])
def test_sigterm_records_running_trials_as_interrupted_and_a_resume_continues(tmp_path, executor):
    if executor == "ray":
        pytest.importorskip("ray", reason="Ray is not installed (pip install 'rung[ray]')")
    script = subprocess.Popen(
        [sys.executable, "-m", "tests.resume.sigterm_run", str(tmp_path), executor],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
    )
    try:
        assert script.stdout.readline() == "running\n"
        script.send_signal(signal.SIGTERM)
        stdout, stderr = script.communicate(timeout=120)
    finally:
        script.kill()
    assert script.returncode == 128 + signal.SIGTERM, stderr[-2000:]
    assert "returned" not in stdout  # the script ended; it did not go on
    assert "Traceback" not in stderr, stderr[-2000:]

    cut = rung.load(tmp_path / "terminated")
    assert cut.stop_reason == "terminated (SIGTERM)"
    assert rung.TrialStatus.RUNNING not in {t.status for t in cut.trials}
    recorded = {t.trial_id: t.iterations for t in cut.trials}
    assert sum(recorded.values()) > 0

    resume = [sys.executable, "-m", "tests.resume.sigterm_run", str(tmp_path), executor, "resume"]
    finished = subprocess.run(resume, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr[-2000:]
    resumed = rung.load(tmp_path / "terminated")
    assert [t.status for t in resumed.trials] == [rung.TrialStatus.TERMINATED] * 4
    frame = resumed.results_dataframe()
    for trial_id, rows in frame.groupby("trial_id"):
        assert sorted(rows["training_iteration"]) == list(range(1, 21)), trial_id

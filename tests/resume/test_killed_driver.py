"""A real driver with real worker processes, killed with SIGKILL at random moments (alone,
or with its workers) and resumed until the experiment ends: the log is a valid run that
only ever grew, no result is lost or repeated, the result files agree with it, and every
checkpoint it keeps is on disk, whole."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap

import pytest

import rung
from rung.callbacks.files import result_parts
from rung.checkpoint import load_checkpoint, located_path
from rung.events import ResultReported
from tests.resume.processes import live_processes
from tests.resume.test_exact_resume import read_log
from tests.resume.validity import check_valid_run

SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    import rung
    from rung.schedulers import ASHAScheduler

    def say(line):
        # A trial's own output goes to its folder; this goes to the driver's output.
        with open(f"/proc/{os.getppid()}/fd/1", "w") as driver_output:
            driver_output.write(line + "\\n")

    def train(config):
        checkpoint = rung.get_checkpoint()
        start = checkpoint["epoch"] + 1 if checkpoint else 1
        for epoch in range(start, 7):
            time.sleep(0.002)
            say("REPORT")
            state = {"epoch": epoch, "blob": b"x" * 100_000}
            rung.report(epoch=epoch, loss=config["x"] / epoch, checkpoint=state)

    if __name__ == "__main__":
        rung.run(
            train, {"x": rung.uniform(0, 1)}, metric="loss", mode="min", num_trials=30,
            scheduler=ASHAScheduler(time_attr="epoch", max_t=6, grace_period=1),
            max_concurrent=2, storage_path=sys.argv[1], name="exp", seed=0, verbose=0,
            checkpoint_keep={"last": 1, "best": 1}, resume=sys.argv[2] == "resume",
        )
        print("DONE", flush=True)
    """
)


def session_processes(session: int) -> list[int]:
    """Every process in a session (the driver and its workers)."""
    return [pid for pid, (_, sid) in live_processes().items() if sid == session]


def run_driver(script, storage, resume, kill_after, with_workers):
    """Run the experiment; SIGKILL it after ``kill_after`` reports (None: let it end)."""
    driver = subprocess.Popen(
        [sys.executable, str(script), str(storage), "resume" if resume else "new"],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
        cwd=os.getcwd(),
    )
    reports, lines = 0, []
    for line in driver.stdout:
        lines.append(line)
        reports += line == "REPORT\n"
        if kill_after is not None and reports >= kill_after:
            for pid in session_processes(driver.pid) if with_workers else [driver.pid]:
                os.kill(pid, signal.SIGKILL)
            break
    driver.wait(timeout=120)
    driver.stdout.close()
    return lines


@pytest.mark.parametrize("with_workers", [False, True], ids=["driver", "driver-and-workers"])
def test_a_driver_killed_again_and_again_loses_and_repeats_nothing(tmp_path, with_workers):
    script = tmp_path / "experiment.py"
    script.write_text(SCRIPT)
    rng = random.Random(int(with_workers))
    logs, kills, storage = [], 0, tmp_path / "at-0"
    while kills < 6:
        lines = run_driver(script, storage, bool(logs), rng.randint(3, 25), with_workers)
        if (storage / "exp" / "experiment.db").exists():
            logs.append(read_log(storage / "exp"))
        if lines and lines[-1] == "DONE\n":  # it ended before the kill: start afresh
            shutil.rmtree(storage / "exp")
            logs = []
        else:
            kills += 1
            # Each resume finds the experiment somewhere else: the folder is relocatable.
            moved = tmp_path / f"at-{kills}"
            moved.mkdir()
            if (storage / "exp").exists():
                os.rename(storage / "exp", moved / "exp")
            storage = moved
    lines = run_driver(script, storage, True, None, with_workers)
    assert lines[-1] == "DONE\n"
    final = read_log(storage / "exp")
    for before in logs:
        assert final[: len(before)] == before, "committed events stay, once and unchanged"
    check_valid_run(final)

    results = rung.load(storage / "exp")
    rows_of: dict[str, list] = {}  # the results parts' rows, by trial
    for part in result_parts(storage / "exp"):
        for line in part.open():
            row = json.loads(line)
            rows_of.setdefault(row.pop("trial_id"), []).append(row)
    assert len(results.trials) == 30 and all(t.status.is_finished for t in results.trials)
    for trial in results.trials:
        epochs = [r["epoch"] for r in trial.results]
        iterations = [r["training_iteration"] for r in trial.results]
        assert epochs == iterations, "each run went on from the checkpoint it was given"
        recorded = [
            e.metrics
            for e in final
            if isinstance(e, ResultReported) and e.trial_id == trial.trial_id
        ]
        rows = rows_of.get(trial.trial_id, [])
        assert rows == json.loads(json.dumps(recorded)), "the results parts are the log's, once"
        for checkpoint in trial.checkpoints:
            path = located_path(checkpoint["path"], results.path)
            assert load_checkpoint(path)["epoch"] == checkpoint["iteration"]
        assert len(trial.checkpoints) <= 2, "checkpoint_keep held"
    on_disk = {
        str(p.relative_to(storage / "exp")) for p in storage.glob("exp/trials/*/checkpoints/*")
    }
    for trial in results.trials:
        assert {c["path"] for c in trial.checkpoints} <= on_disk

"""`rung slurm` on a real two-node Slurm cluster: the generated sbatch script starts a Ray
head and a Ray worker, runs the tuning script on both, ends with them; a cancelled job's
experiment continues in the next job, losing and repeating nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import rung
from rung.store import open_readonly
from rung.store.sqlite import DB_NAME, read_events
from tests.resume.validity import check_valid_run
from tests.system.slurm_cluster import start_slurm, stop_slurm

pytest.importorskip("ray", reason="Ray is not installed (pip install 'rung[ray]')")

TUNE = textwrap.dedent(
    """
    import os, sys, time
    import ray
    import rung

    def train(config):
        checkpoint = rung.get_checkpoint()
        start = checkpoint["epoch"] if checkpoint else 0
        for epoch in range(start + 1, 6):
            time.sleep(0.05)
            rung.report(epoch=epoch, loss=(config["x"] - 0.3) ** 2 / epoch,
                        checkpoint={"epoch": epoch},
                        node=ray.get_runtime_context().get_node_id())

    class SaysWhenUnderWay(rung.Callback):
        # Writes one line to the FIFO the test reads, after some results are recorded.
        def __init__(self):
            self.results = 0
        def on_trial_result(self, trial, result):
            self.results += 1
            fifo = os.environ.get("UNDER_WAY_FIFO")
            if fifo and self.results == 12:
                with open(fifo, "w") as pipe:
                    pipe.write("under way\\n")

    results = rung.run(train, {"x": rung.uniform(0, 1)}, metric="loss", mode="min",
                       num_trials=int(sys.argv[1]), executor="ray", max_concurrent=2,
                       storage_path=sys.argv[2], name="exp", resume="auto", seed=0, verbose=1,
                       callbacks=[SaysWhenUnderWay()])
    here = {node["NodeID"] for node in ray.nodes()}
    used = {r["node"] for t in results.trials for r in t.results} & here
    print("FINISHED", len(results.trials), results.stop_reason, flush=True)
    print("NODES USED IN THIS JOB", len(used), flush=True)
    """
)


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    cluster, pid_files = start_slurm(tmp_path_factory.mktemp("slurm"))
    yield cluster
    stop_slurm(pid_files)


def write_job(tmp_path, trials: int):
    (tmp_path / "tune.py").write_text(TUNE)
    results = tmp_path / "results"
    script = tmp_path / "job.sbatch"
    written = subprocess.run(
        [sys.executable, "-m", "rung.cli", "slurm", "--nodes", "2", "--cpus-per-node", "1",
         "--output", str(tmp_path / "job-%j.log"), "--out", str(script), "--",
         sys.executable, str(tmp_path / "tune.py"), str(trials), str(results)],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert written.returncode == 0, written.stderr
    return script, results


def job_logs(tmp_path) -> str:
    return "\n".join(log.read_text() for log in sorted(tmp_path.glob("job-*.log")))


def test_a_job_runs_the_experiment_on_ray_and_a_cancelled_one_resumes(slurm, tmp_path):
    script, results = write_job(tmp_path, trials=40)
    fifo = tmp_path / "under_way"
    os.mkfifo(fifo)
    environment = {**slurm.environment, "UNDER_WAY_FIFO": str(fifo)}
    first = subprocess.Popen(
        ["sbatch", "--wait", "--parsable", str(script)],
        cwd=tmp_path, env=environment, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    job_id = first.stdout.readline().strip()
    with open(fifo) as pipe:  # returns once the experiment has recorded 12 results
        assert pipe.readline() == "under way\n"
    cancelled = slurm.command("scancel", job_id)
    assert cancelled.returncode == 0, cancelled.stderr
    first.wait(timeout=120)
    assert "FINISHED" not in job_logs(tmp_path), "the first job was cut short"
    before = rung.load(results / "exp")
    assert 0 < sum(t.status.is_finished for t in before.trials) < 40

    second = slurm.command("sbatch", "--wait", str(script), cwd=tmp_path, timeout=300)
    logs = job_logs(tmp_path)
    assert second.returncode == 0, logs[-3000:]
    assert "2 Ray nodes are up" in logs
    assert "FINISHED 40 num_trials=40 trials were run" in logs
    after = rung.load(results / "exp")
    assert all(t.status.is_finished for t in after.trials)
    assert "NODES USED IN THIS JOB 2" in logs, "trials ran on both nodes of the allocation"
    for trial in before.trials:
        if trial.status.is_finished:
            assert after.trials[int(trial.trial_id)].results == trial.results, "kept as it was"
    path = results / "exp"
    check_valid_run(read_events(open_readonly(path), path / DB_NAME))

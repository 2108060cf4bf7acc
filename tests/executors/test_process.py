"""What only trials in other processes can do (process and Ray executors): survive crashes,
enforce timeouts, run in their own folders, take code and values by value."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

import rung
from rung.trial import TrialStatus
from tests import trainables

DEATHS = {
    "exit": "worker exited with code 3",
    "segfault": "worker died (signal 11, SIGSEGV)",
    "sigkill": "worker died (signal 9, SIGKILL) (killed by the OOM killer, or by hand)",
}


@pytest.mark.parametrize("how", sorted(DEATHS))
def test_a_dead_worker_fails_its_trial_and_is_replaced(tune, worker_executor, how):
    space = {"x": 0.5, "fail": rung.grid([how, "no", "no", "no"])}
    results = tune(
        trainables.fails_when,
        space,
        searcher="grid",
        max_concurrent=1,
        max_failures=0,
        executor=worker_executor,
    )
    first, *rest = results.trials
    assert first.status is TrialStatus.ERROR
    if worker_executor == "process":
        assert first.error == DEATHS[how]
    else:
        assert first.error.startswith("its Ray actor on "), first.error
        assert " died: " in first.error
    assert first.iterations == 1
    assert all(t.status is TrialStatus.TERMINATED for t in rest), "a fresh worker took over"


def test_a_trial_over_its_timeout_is_killed(tune, worker_executor):
    space = {"x": 0.5, "fail": rung.grid(["hang", "no"])}
    results = tune(
        trainables.fails_when,
        space,
        searcher="grid",
        trial_timeout_s=2,
        executor=worker_executor,
    )
    hung, fine = results.trials
    assert hung.status is TrialStatus.ERROR
    assert hung.error.startswith("timed out after ")
    assert "(trial_timeout_s=2); its " in hung.error
    assert fine.status is TrialStatus.TERMINATED


def test_each_trial_sees_its_slots_gpu_and_thread_count(tune, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    results = tune(
        trainables.reports_environment,
        {"x": rung.uniform(0, 1)},
        num_trials=8,
        max_concurrent=None,
        resources_per_trial={"cpu": 1, "gpu": 0.5},
    )
    seen = [t.last_result["gpus"] for t in results.trials]
    assert set(seen) == {"0", "1"}
    assert {t.last_result["threads"] for t in results.trials} == {"1"}
    pids = {t.last_result["pid"] for t in results.trials}
    assert len(pids) <= 4, "four slots (2 GPUs x 2 per GPU) means four reused workers"


def test_each_trial_runs_in_its_own_folder(tune, worker_executor):
    results = tune(
        trainables.writes_to_current_directory,
        {"x": rung.uniform(0, 1)},
        num_trials=3,
        executor=worker_executor,
    )
    for trial in results.trials:
        written = os.path.join(results.path, "trials", trial.trial_id, "here.txt")
        with open(written) as file:
            assert file.read() == trial.trial_id


def test_an_unpicklable_trainable_is_refused_up_front(tune, worker_executor):
    import threading

    lock = threading.Lock()

    def holds_a_lock(config):
        with lock:
            rung.report(loss=1.0)

    with pytest.raises(rung.ConfigError, match="cannot be sent to worker processes"):
        tune(holds_a_lock, {"x": rung.uniform(0, 1)}, num_trials=1, executor=worker_executor)


SCRIPT = textwrap.dedent(
    """
    import os, sys, threading
    import rung

    def train(config):
        rung.report(loss=config["x"])
        # A trial's own output goes to its folder; this goes to the driver's output.
        with open(f"/proc/{os.getppid()}/fd/1", "w") as driver_output:
            driver_output.write(f"started {os.getpid()}\\n")
        threading.Event().wait()

    if __name__ == "__main__":
        results = rung.run(train, {"x": rung.uniform(0, 1)}, metric="loss", mode="min",
                           num_trials=10, max_concurrent=2, storage_path=sys.argv[1], verbose=0)
        print("returned", len(results.trials), results.stop_reason, flush=True)
        print("statuses", sorted({t.status.value for t in results.trials}), flush=True)
    """
)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def test_ctrl_c_stops_every_worker_and_returns_the_results(tmp_path):
    script = tmp_path / "experiment.py"
    script.write_text(SCRIPT)
    driver = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
        # As from a terminal, even when the tests run as a background job (SIGINT ignored).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    workers = [int(driver.stdout.readline().split()[1]) for _ in range(2)]
    driver.send_signal(signal.SIGINT)
    out, _ = driver.communicate(timeout=60)
    assert driver.returncode == 0
    assert "returned 2 interrupted (Ctrl-C)" in out
    assert "statuses ['PENDING']" in out, "interrupted, not ended: a resume runs them again"
    assert not any(_alive(pid) for pid in workers), "no worker outlives the driver"


def test_configs_and_metrics_holding_local_classes_travel_by_value(tune, worker_executor):
    class Model:
        depth = 3

    def train(config):
        rung.report(loss=config["x"], model=config["model"]())

    space = {"x": rung.uniform(0, 1), "model": Model}
    results = tune(train, space, num_trials=2, executor=worker_executor)
    assert all(t.last_result["model"].depth == 3 for t in results.trials)


WHERE_LOADED = {"process": "in a worker process", "ray": "in a Ray actor"}


def test_a_trainable_workers_cannot_load_ends_the_experiment_with_the_reason(
    tune, tmp_path, worker_executor
):
    module = tmp_path / "vanishing_module.py"
    module.write_text("def train(config):\n    return {'loss': 1.0}\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import vanishing_module

        module.unlink()  # the driver has it; workers will not find it
        where = WHERE_LOADED[worker_executor]
        with pytest.raises(rung.ConfigError, match=f"could not be loaded {where}"):
            tune(
                vanishing_module.train,
                {"x": rung.uniform(0, 1)},
                num_trials=2,
                executor=worker_executor,
            )
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("vanishing_module", None)

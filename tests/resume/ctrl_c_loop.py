"""Ctrl-C at random moments, in a loop: each experiment gets one or two SIGINTs at a random
time (start-up, a report, a checkpoint write, shutdown, the final table) and must return
the results so far, consistent with its log, with no trial left running and no worker
alive; then it is resumed and must end as a valid run.

Run as a script (the test starts it with SIGINT at its default):
``python -m tests.resume.ctrl_c_loop ROOT EXECUTOR COUNT SEED``; prints one JSON line per
experiment and a summary.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import rung
from rung.schedulers import ASHAScheduler
from rung.store import open_readonly
from rung.store.sqlite import read_events
from tests.resume.processes import command_line, live_processes
from tests.resume.validity import check_valid_run


def train(config):
    checkpoint = rung.get_checkpoint()
    start = checkpoint["epoch"] + 1 if checkpoint else 1
    for epoch in range(start, 6):
        rung.report(epoch=epoch, loss=config["x"] / epoch, checkpoint={"epoch": epoch})


def tune(root: Path, name: str, executor: str, resume: bool = False) -> rung.Results:
    return rung.run(
        train,
        {"x": rung.uniform(0, 1)},
        metric="loss",
        mode="min",
        num_trials=6,
        scheduler=ASHAScheduler(time_attr="epoch", max_t=5),
        executor=executor,
        max_concurrent=2,
        storage_path=root,
        name=name,
        seed=0,
        verbose=1,
        checkpoint_keep=1,
        resume=resume,
    )


def snapshot(results: rung.Results) -> list:
    return [(t.trial_id, t.status, t.results) for t in results.trials]


def children_alive() -> list[int]:
    """Processes whose parent is this one, but multiprocessing's resource tracker (one per
    process, kept for its life)."""
    me = os.getpid()
    return [
        pid
        for pid, (parent, _) in live_processes().items()
        if parent == me and b"resource_tracker" not in command_line(pid)
    ]


def ray_actors_alive() -> list[str]:
    """Ray actors of rung's that are still alive (the Ray processes themselves are not
    rung's workers)."""
    from ray._private import state

    return [
        actor_id
        for actor_id, actor in state.actors().items()
        if actor["State"] != "DEAD" and actor["ActorClassName"] == "TrialActor"
    ]


def one(
    root: Path, index: int, executor: str, delay: float, second: float | None, late: list
) -> dict:
    name = f"exp{index}"
    late_before = len(late)
    started = time.monotonic()
    pid = os.getpid()
    timers = [threading.Timer(delay, os.kill, (pid, signal.SIGINT))]
    if second is not None:
        timers.append(threading.Timer(delay + second, os.kill, (pid, signal.SIGINT)))
    for timer in timers:
        timer.start()
    outcome = "returned"
    results = None
    try:
        results = tune(root, name, executor)
    except KeyboardInterrupt:
        outcome = "escaped"
    took = time.monotonic() - started
    for timer in timers:
        timer.join()  # a Ctrl-C after rung.run returned lands in the harness's handler
    report: dict = {"index": index, "outcome": outcome, "delay": round(delay, 4)}
    report["second"] = second is not None
    report["took"] = took
    inside = len(timers) - (len(late) - late_before)
    multiprocessing.active_children()  # reaps what has ended
    report["workers_alive"] = len(ray_actors_alive() if executor == "ray" else children_alive())
    if results is None:
        return report
    report["stop"] = results.stop_reason
    report["trials"] = len(results.trials)
    if not (root / name / "experiment.db").exists():
        report["phase"] = "before the log"
        return report
    loaded = rung.load(root / name)
    report["log_agrees"] = snapshot(loaded) == snapshot(results)
    report["running_in_log"] = sum(t.status is rung.TrialStatus.RUNNING for t in loaded.trials)
    if not inside:
        report["phase"] = "missed: after rung.run returned"
    elif results.stop_reason != "interrupted (Ctrl-C)":
        report["phase"] = "shutdown or final table"
    elif not results.trials:
        report["phase"] = "start-up"
    else:
        report["phase"] = "trials running"
    # Resumed from elsewhere: an experiment folder is relocatable.
    (root / "moved").mkdir(exist_ok=True)
    os.rename(root / name, root / "moved" / name)
    resumed = tune(root / "moved", name, executor, resume=True)
    path = root / "moved" / name
    events = read_events(open_readonly(path), path)
    check_valid_run(events)
    report["resumed_ok"] = len(resumed.trials) == 6 and all(
        t.status.is_finished for t in resumed.trials
    )
    return report


def main() -> None:
    root, executor, count, seed = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    late = []
    signal.signal(signal.SIGINT, lambda *_: late.append(1))  # Ctrl-Cs outside rung.run
    if executor == "ray":  # one Ray for every run, as a user's session or cluster has
        import ray

        ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level="ERROR")
    durations = []
    for attempt in range(3):  # the first runs are slower (imports, caches)
        started = time.monotonic()
        tune(root, f"measure{attempt}", executor)
        durations.append(time.monotonic() - started)
    rng = random.Random(seed)
    tally: Counter = Counter()
    for index in range(count):
        # Uniform over a whole run, so every phase of it gets its share of Ctrl-Cs, and more
        # near its start and its end, where start-up, shutdown and the final table are brief.
        duration = sorted(durations[-9:])[len(durations[-9:]) // 2]
        low, high = rng.choice([(0.0, 1.0), (0.0, 1.0), (0.0, 0.15), (0.85, 1.0)])
        delay = rng.uniform(low * duration, high * duration)
        second = rng.uniform(0, 0.01) if rng.random() < 0.3 else None
        report = one(root, index, executor, delay, second, late)
        if report.get("stop") and report["stop"] != "interrupted (Ctrl-C)":
            durations.append(report["took"])
        print(json.dumps(report), flush=True)
        tally[report.get("phase", report["outcome"])] += 1
    print(json.dumps({"summary": dict(tally), "run_s": duration}), flush=True)


if __name__ == "__main__":
    sys.stdout = open(sys.stdout.fileno(), "w", buffering=1, closefd=False)  # noqa: SIM115
    main()

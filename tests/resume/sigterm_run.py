"""A tuning script that a test ends with SIGTERM: ``python -m tests.resume.sigterm_run PATH
EXECUTOR [resume]``. It says "running" on its standard output once the first result is
recorded, and "returned" if ``rung.run`` returns."""

from __future__ import annotations

import sys
import time

import rung


def trains(config):
    checkpoint = rung.get_checkpoint()
    start = checkpoint["epoch"] if checkpoint else 0
    for epoch in range(start, 20):
        time.sleep(0.05)  # an epoch's work
        rung.report(loss=config["x"] + 1 / (epoch + 1), checkpoint={"epoch": epoch + 1})


class SaysRunning(rung.Callback):
    def __init__(self) -> None:
        self.said = False

    def on_trial_result(self, trial, result) -> None:
        if not self.said:
            self.said = True
            print("running", flush=True)


def tune(path: str, executor: str, resume: bool = False) -> rung.Results:
    return rung.run(
        trains,
        {"x": rung.uniform(0, 1)},
        metric="loss",
        mode="min",
        num_trials=4,
        max_concurrent=2,
        executor=executor,
        storage_path=path,
        name="terminated",
        callbacks=[] if resume else [SaysRunning()],
        resume=resume,
        verbose=0,
        seed=0,
    )


if __name__ == "__main__":
    tune(sys.argv[1], sys.argv[2], resume=sys.argv[3:] == ["resume"])
    print("returned", flush=True)

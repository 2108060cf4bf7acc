"""An experiment the browser test watches while it runs: six trials one at a time under ASHA;
trial 00005, once started, says so through the FIFO ``started`` and then waits for the test
to write to the FIFO ``gate`` before its first report.

    python -m tests.dashboard.live_experiment FOLDER STARTED GATE
"""

import sys

import rung


def main(folder: str, started: str, gate: str) -> None:
    def train(config):
        if rung.get_trial_id() == "00005":
            with open(started, "w") as fifo:
                fifo.write("running\n")
            with open(gate) as fifo:
                fifo.read()
        for epoch in range(1, 6):
            rung.report(loss=(config["x"] - 0.3) ** 2 + 1.0 / epoch)

    rung.run(
        train,
        {"x": rung.uniform(0, 1), "width": rung.choice([16, 32, 64])},
        metric="loss",
        mode="min",
        num_trials=6,
        max_concurrent=1,
        executor="process",
        scheduler={"name": "asha", "max_t": 5},
        storage_path=folder,
        name="live",
        seed=3,
        verbose=0,
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])

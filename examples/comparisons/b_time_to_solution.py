"""Time to solution: random search alone, random search with ASHA, and random search with
asynchronous Hyperband, each with the same wall budget on MNIST-1D; the mean of each one's
six best trials' best-so-far accuracy over wall time, as in the time-to-solution studies.

    python examples/comparisons/b_time_to_solution.py --budget-s 60
"""

from __future__ import annotations

from common import arguments, budget, run_strategy, save, table

import rung


def main() -> None:
    args = arguments(__doc__.splitlines()[0], budget_s=60)
    stopping = {"max_t": args.epochs, "grace_period": 1, "reduction_factor": 3}
    runs = {
        "random": run_strategy("random", args),
        "random + asha": run_strategy("asha", args, scheduler={"name": "asha", **stopping}),
        "random + async hyperband": run_strategy(
            "async_hyperband", args, scheduler={"name": "async_hyperband", **stopping}
        ),
    }
    figure = rung.plot.time_to_solution(runs, top_k=6)
    text = table(runs) + "\n\n" + budget(args, per="strategy")
    save(args, "b_time_to_solution", text, figure)


if __name__ == "__main__":
    main()

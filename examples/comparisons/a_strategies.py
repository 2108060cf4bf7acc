"""Random search, Bayesian search (TPE), Bayesian search with asynchronous Hyperband
(BOHB) and population-based training, each with the same wall budget on MNIST-1D.

    python examples/comparisons/a_strategies.py --budget-s 60

Writes output/a_strategies.txt (a table) and .png (the mean of each strategy's six best
trials' best-so-far accuracy over wall time).
"""

from __future__ import annotations

from common import arguments, budget, run_strategy, save, table

import rung
from rung.schedulers import PopulationBasedTraining


def main() -> None:
    args = arguments(__doc__.splitlines()[0], budget_s=60)
    hyperband = {"name": "async_hyperband", "max_t": args.epochs, "grace_period": 1}
    pbt = PopulationBasedTraining(
        perturbation_interval=3,
        hyperparam_mutations={"lr": rung.loguniform(1e-3, 1.0), "momentum": [0.0, 0.5, 0.9]},
    )
    runs = {
        "random": run_strategy("random", args, searcher="random"),
        "tpe": run_strategy("tpe", args, searcher="tpe"),
        "bohb (tpe + async hyperband)": run_strategy(
            "bohb", args, searcher="bohb", scheduler=hyperband
        ),
        # PBT trains a population (16 here, whatever --trials says) that copies and mutates
        # its best members.
        "pbt": run_strategy("pbt", args, scheduler=pbt, num_trials=16),
    }
    figure = rung.plot.time_to_solution(runs, top_k=6)
    text = table(runs) + "\n\n" + budget(args, per="strategy")
    save(args, "a_strategies", text, figure)


if __name__ == "__main__":
    main()

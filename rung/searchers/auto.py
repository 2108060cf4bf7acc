"""``searcher="auto"``: pick a searcher from the space and the trial budget, and say which."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any

from rung.searchers.base import Searcher
from rung.searchers.named import make_searcher
from rung.space._domains import Float, Grid

# GP-BO's cost grows with the cube of the observations and its edge with few dimensions.
_GP_MAX_DIM = 12
# With several objectives the GP (EHVI, or ParEGO) led at 30 variables too (benchmarks.md).
_GP_MAX_DIM_SEVERAL = 32
_GP_MAX_TRIALS = 300
# With this few trials a model has nothing to learn from: spread them evenly instead.
_QUASIRANDOM_MAX_TRIALS = 16


def choose(
    space, num_trials: int | None, early_stopping: bool = False, several: bool = False
) -> tuple[str | dict[str, Any], str]:
    """The searcher (a name, or a name with settings) and why, for a space, a budget (None:
    unbounded), whether a scheduler stops trials at several budgets and whether there are
    several objectives."""
    params = space.params
    if params and all(isinstance(p.domain, Grid) for p in params):
        return "grid", "every parameter is a grid"
    if num_trials is not None and num_trials <= _QUASIRANDOM_MAX_TRIALS:
        return "quasirandom", f"{num_trials} trials are too few to fit a model"
    if several and early_stopping:  # multi-objective ASHA, as its authors pair it
        return "random", (
            "several objectives under early stopping: random search, which led TPE there "
            "on MNIST-1D (TPE learns from first-rung results and chases quick trials)"
        )
    if several:
        return _choose_for_several(space, num_trials)
    if early_stopping:
        return "bohb", "the scheduler stops trials early: BOHB models their largest budget"
    if space.is_conditional:
        return "tpe", "the space is conditional"
    large = num_trials is None or num_trials > _GP_MAX_TRIALS
    budget = "no trial limit" if num_trials is None else f"{num_trials} trials"
    continuous = bool(params) and all(
        isinstance(p.domain, Float) and p.domain.step is None for p in params
    )
    if large and continuous and importlib.util.find_spec("cmaes") is not None:
        return "cmaes", f"{budget} over continuous parameters suit CMA-ES"
    if space.dim > _GP_MAX_DIM:
        return "tpe", f"{space.dim} parameters are many for a GP"
    if large:
        return "tpe", f"{budget} would make a GP slow"
    return "portfolio", f"{space.dim} parameters and {num_trials} trials suit GP-BO and TPE in turn"


def _choose_for_several(space, num_trials: int | None) -> tuple[str, str]:
    """With several objectives: GP-BO (expected hypervolume improvement, or ParEGO) where a
    GP's cost allows (it led TPE and NSGA-II on every test problem at 6 and 30 variables,
    and Optuna's samplers at 6: benchmarks.md), else multi-objective TPE (its joint model:
    ahead of one per parameter on 3 of 5 problems)."""
    if space.is_conditional:
        return "tpe", "several objectives over a conditional space: multi-objective TPE"
    if space.dim > _GP_MAX_DIM_SEVERAL:
        return "tpe", f"several objectives, {space.dim} parameters: multi-objective TPE"
    if num_trials is None or num_trials > _GP_MAX_TRIALS:
        budget = "no trial limit" if num_trials is None else f"{num_trials} trials"
        return "tpe", f"several objectives, {budget}: multi-objective TPE (a GP would be slow)"
    return "gp", f"several objectives, {num_trials} trials: GP-BO (hypervolume improvement)"


class AutoSearch(Searcher):
    """Chooses at setup, by the rules of ``choose``:

    - only grids: grid search;
    - several objectives under a scheduler that stops trials early (multi-objective ASHA):
      random search, as Schmucker et al. pair them; on the MNIST-1D model (accuracy
      against parameter count, 60 s, 3 seeds) it led multi-objective TPE there
      (docs/benchmarks.md);
    - several objectives: quasi-random search for 16 trials or fewer; GP-BO (expected
      hypervolume improvement; ParEGO past three objectives, or three over more than 12
      parameters) for a known budget of at most 300 trials over at most 32 parameters of a
      space without conditions: it led multi-objective TPE and NSGA-II on ZDT1-3, DTLZ2 and
      Binh-Korn at 6 and 30 variables, and Optuna's samplers at 6 (docs/benchmarks.md);
      otherwise multi-objective TPE (its good trials the first in their Pareto order);
    - at most 16 trials: quasi-random search;
    - under a scheduler that stops trials at several budgets (one with ``max_t``, which
      ``rung.run`` tells it as ``scheduler_budget``): BOHB, whose model reads the largest
      budget with enough results;
      TPE and GP-BO there would learn mostly from first-rung results and chase the
      configurations that look good, or train fast, early (docs/benchmarks.md, "A real
      model");
    - more than 300 trials (or no limit) over continuous parameters only: CMA-ES (when the
      ``cmaes`` package is installed): at 1,000 evaluations it ended 28x to 166x closer to
      the optimum than TPE on five continuous test functions (docs/benchmarks.md);
    - a conditional space, more than 12 parameters, or more than 300 trials (or no limit):
      multivariate TPE;
    - otherwise (few parameters, a known small budget): GP-BO and TPE as a portfolio that
      re-chooses at every suggestion by which one's proposals lately improved the best
      (``PortfolioSearch``): over 17 problems it has the best mean rank of all searchers,
      rung's and the peers', where GP-BO alone leads on smooth functions and TPE on rugged
      ones (docs/benchmarks.md).

    ``describe()`` (shown when the experiment starts) says what it picked and why.
    """

    several_objectives = True  # it picks a searcher that serves them

    def _setup(self) -> None:
        early_stopping = self.scheduler_budget is not None
        several = self.objective.several
        self.choice, self.reason = choose(self.space, self.num_trials, early_stopping, several)
        self.chosen = make_searcher(self.choice)
        self.chosen.setup(self.space, self.objective, self.rng, self.num_trials)
        self.adaptive = self.chosen.adaptive
        self.pending = self.chosen.pending

    def describe(self) -> str:
        return f"auto: {type(self.chosen).__name__} ({self.reason})"

    def _suggest(self, trial_id: str) -> dict[str, Any] | None:
        # ``pending`` is the chosen searcher's own dict, which its suggest keeps.
        return self.chosen.suggest(trial_id)

    def restore(self, trial_id: str, config: dict[str, Any]) -> None:
        self.chosen.restore(trial_id, config)

    def adopt(self, trial_id: str, config: dict[str, Any]) -> None:
        self.chosen.adopt(trial_id, config)

    def on_trial_result(self, trial_id: str, result: Mapping[str, Any]) -> None:
        self.chosen.on_trial_result(trial_id, result)

    def on_trial_complete(
        self, trial_id, result, failed=False, stopped_early=False, violation=None
    ) -> None:
        self.chosen.on_trial_complete(trial_id, result, failed, stopped_early, violation)

    @property
    def is_finished(self) -> bool:
        return self.chosen.is_finished

"""BOHB's searcher: a TPE-style density model fitted on the largest budget with enough data.

Falkner et al. (ICML 2018). Paired with a Hyperband or ASHA scheduler, trials report at many
budgets (epochs, steps). The model uses the results recorded at the largest budget that
holds at least ``d + 3`` of them (``d``: the number of parameters): the best
``max(d + 1, 15%)`` are good, the rest bad, each a Parzen estimator with Scott's-rule
bandwidths; 64 candidates drawn from the good one, widened 3x, are ranked by the ratio of
the densities. A fifth of the proposals stay random (quasi-random here), which keeps the
model's blind spots explored; the paper keeps a third, which was slower on every measure of
a probe of nine LCBench tasks (docs/benchmarks.md, "How random BOHB stays").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import numpy as np

from rung.objective import is_number
from rung.searchers._observed import ModelSearcher, check_settings
from rung.searchers._parzen import ParzenEstimator

# BOHB's densities have no prior component; a vanishing one keeps them positive everywhere.
_PRIOR_WEIGHT = 1e-3


class BOHBSearch(ModelSearcher):
    """The model-based half of BOHB; use it with ``scheduler="hyperband"`` or ``"asha"``.

    Args:
        time_attr: the reported key that measures the budget (as the scheduler's).
        top_fraction: share of a budget's results that count as good.
        random_fraction: share of proposals drawn without the model.
        n_candidates: draws from the good density scored per proposal.
        width_factor: how much wider the good density is when drawing candidates.
        seed: the searcher's own seed, when used on its own.
    """

    models_budgets = True

    def __init__(
        self,
        time_attr: str = "training_iteration",
        top_fraction: float = 0.15,
        random_fraction: float = 0.2,
        n_candidates: int = 64,
        width_factor: float = 3.0,
        seed: int | None = None,
    ) -> None:
        super().__init__(n_startup=0, seed=seed)
        check_settings(
            "BOHBSearch",
            {"n_candidates": (n_candidates, 1)},
            {"top_fraction": top_fraction, "random_fraction": random_fraction},
        )
        self.time_attr = time_attr
        self.top_fraction = top_fraction
        self.random_fraction = random_fraction
        self.n_candidates = n_candidates
        self.width_factor = width_factor

    def _setup(self) -> None:
        super()._setup()
        self.by_budget: dict[float, dict[str, tuple[np.ndarray, float]]] = defaultdict(dict)
        self._encoded: dict[str, np.ndarray] = {}
        # The densities last fitted and their budget, kept until that budget gets a result.
        self._fitted: tuple[float, tuple[ParzenEstimator, ...]] | None = None

    def _encode(self, trial_id: str, config: Mapping[str, Any]) -> np.ndarray:
        if trial_id not in self._encoded:
            self._encoded[trial_id] = self.space.encode(config)
        return self._encoded[trial_id]

    def on_trial_result(self, trial_id: str, result: Mapping[str, Any]) -> None:
        config = self.pending.get(trial_id)
        budget = result.get(self.time_attr)
        if config is None or not is_number(budget):
            return
        self._record(float(budget), trial_id, config, self.objective.score(result))

    def _observe(self, trial_id, config, result, failed, stopped_early, violation=None) -> None:
        # The model reads only by_budget, not the flat observations other searchers keep.
        if config is None:
            return
        infeasible = violation is not None and violation > 0
        if failed or infeasible or self.objective.score(result) == np.inf:
            # A failure (or a result past the constraints) is bad at the budget it reached
            # (the smallest, if it reached none).
            budget = (result or {}).get(self.time_attr)
            if not is_number(budget):
                budget = min(self.by_budget, default=0.0)
            self._record(float(budget), trial_id, config, np.inf)
        self._encoded.pop(trial_id, None)

    def _record(self, budget: float, trial_id: str, config: Mapping[str, Any], loss: float) -> None:
        self.by_budget[budget][trial_id] = (self._encode(trial_id, config), loss)
        if self._fitted is not None and self._fitted[0] == budget:
            self._fitted = None

    def model_budget(self) -> float | None:
        """The largest budget with enough results to fit the model, or None."""
        needed = self.space.dim + 3
        enough = [b for b, results in self.by_budget.items() if len(results) >= needed]
        return max(enough, default=None)

    def _suggest(self, trial_id: str) -> dict[str, Any] | None:
        self._suggested += 1
        if self.model_budget() is None or self.rng.random() < self.random_fraction:
            return self._explore._suggest(trial_id)
        return self._propose()

    def _propose(self) -> dict[str, Any]:
        budget = self.model_budget()
        assert budget is not None  # _suggest proposes from the model only when there is one
        good, bad, wide = self._densities(budget)
        candidates = wide.sample(self.n_candidates, self.rng)
        score = good.log_pdf(candidates) - bad.log_pdf(candidates)
        return self.geometry.decode(candidates[int(np.argmax(score))])

    def _densities(self, budget: float) -> tuple[ParzenEstimator, ...]:
        """The good, bad and widened good densities at ``budget``, fitted again only after
        the budget's results change (most results arrive at other budgets)."""
        if self._fitted is None or self._fitted[0] != budget:
            self._fitted = (budget, self._fit(budget))
        return self._fitted[1]

    def _fit(self, budget: float) -> tuple[ParzenEstimator, ...]:
        results = list(self.by_budget[budget].values())
        x = np.array([r[0] for r in results])
        loss = np.array([r[1] for r in results])
        order = np.argsort(loss, kind="stable")
        n_min = self.space.dim + 1
        n_good = max(n_min, int(self.top_fraction * len(order)))
        n_bad = max(n_min, len(order) - n_good)
        good_x, bad_x = x[order[:n_good]], x[order[-n_bad:]]
        return tuple(
            ParzenEstimator(
                self.geometry, points, np.ones(len(points)), "scott", _PRIOR_WEIGHT, factor
            )
            for points, factor in ((good_x, 1.0), (bad_x, 1.0), (good_x, self.width_factor))
        )

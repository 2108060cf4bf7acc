"""Simulated annealing as HyperOpt's ``anneal`` does it: random search drawn ever closer to
the good trials.

Each proposal starts from one of the best trials, picked by a geometric draw over the
ranking (mean index ``avg_best_idx``: the best most often, the next ones now and then).
Every parameter is then drawn near that trial's value: a number uniformly in a window
around it (on the parameter's own scale, log for log parameters) whose width is the range
divided by ``1 + T * shrink_coef``, where T is how many trials have set the parameter, the
window shifted to stay inside the range; a categorical from the mixture of that trial's
option (weight ``1 - 1 / (1 + T * shrink_coef)``) and the uniform prior. As trials
accumulate, the windows narrow: the "temperature" falls with the evidence, not with a
clock. A parameter the chosen trial did not set (a conditional one its choices closed) is
drawn around the next trial in the ranking that set it. Written from HyperOpt's
``anneal.py`` (Bergstra), on rung's encoded spaces: integers and stepped values are ordered
numbers here, snapped after the draw (HyperOpt treats ``randint`` as unordered options).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rung.errors import ConfigError
from rung.searchers._observed import ModelSearcher


class AnnealSearch(ModelSearcher):
    """Simulated annealing over any rung space, for one objective or several (ranked in
    Pareto order).

    Args:
        avg_best_idx: the mean position, in the ranking of finished trials (0 the best),
            of the trial a proposal is drawn around; HyperOpt's 2.
        shrink_coef: how fast the windows narrow with the trials that set a parameter;
            HyperOpt's 0.1 (after 90 trials a window is a tenth of the range).
        n_startup: trials drawn quasi-randomly before annealing (HyperOpt: none; the first
            trial is drawn from the prior, the second already around it).
        seed: the searcher's own seed, when used on its own.
    """

    several_objectives = True

    def __init__(
        self,
        avg_best_idx: float = 2.0,
        shrink_coef: float = 0.1,
        n_startup: int = 0,
        seed: int | None = None,
    ) -> None:
        super().__init__(n_startup=n_startup, seed=seed)
        if not avg_best_idx >= 1:
            raise ConfigError(f"AnnealSearch(avg_best_idx={avg_best_idx!r}): must be >= 1")
        if not shrink_coef >= 0:
            raise ConfigError(f"AnnealSearch(shrink_coef={shrink_coef!r}): must be >= 0")
        self.avg_best_idx = avg_best_idx
        self.shrink_coef = shrink_coef

    def _propose(self) -> dict[str, Any]:
        self.rank_by_pareto_order()
        observed, geometry = self.observed, self.geometry
        ranking = observed.ranking()
        seen = observed.x[ranking]  # best first
        centres: list[int] = []  # positions in the ranking drawn around, in order drawn
        child = np.full(geometry.d, np.nan)
        for j, dim in enumerate(geometry.dims):
            if not geometry.is_active(j, child[None, :])[0]:
                continue
            having = np.flatnonzero(~np.isnan(seen[:, j]))
            if not len(having):  # no trial set it yet: from the prior
                child[j] = geometry.complete(child[None, :], self.rng)[0, j]
                continue
            centre = next((c for c in centres if not np.isnan(seen[c, j])), None)
            if centre is None:  # a new pick among the trials that set it
                draw = int(self.rng.geometric(1.0 / self.avg_best_idx)) - 1
                centre = int(having[min(draw, len(having) - 1)])
                centres.append(centre)
            shrink = 1.0 / (1.0 + len(having) * self.shrink_coef)
            value = seen[centre, j]
            if dim.kind == "categorical":
                weights = np.full(dim.size, shrink / dim.size)
                weights[int(value)] += 1.0 - shrink
                child[j] = float(self.rng.choice(dim.size, p=weights / weights.sum()))
            else:
                half = 0.5 * shrink
                middle = min(max(value, half), 1.0 - half)
                drawn = self.rng.uniform(middle - half, middle + half)
                child[j] = geometry.snap(j, np.array([drawn]))[0]
        return geometry.decode(geometry.complete(child[None, :], self.rng)[0])

"""How model-based searchers see a space: each parameter's kind, bins and condition.

Searchers model configurations in the space's encoding (numeric parameters in [0, 1],
categorical ones as option indices, NaN where inactive). A numeric parameter with few values
(an integer, a stepped float) is *discrete*: its values own bins of the unit interval, and
models give each value the mass of its bin instead of pretending it is continuous.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from rung.space import Space
from rung.space._domains import Float, Int, NumericDomain

# Above this many values a stepped parameter is modelled as continuous (and snapped).
MAX_DISCRETE_VALUES = 1024


@dataclass(frozen=True)
class Dim:
    """One coordinate of the encoding, as models see it.

    Attributes:
        kind: ``"continuous"``, ``"discrete"`` or ``"categorical"``.
        size: number of options of a categorical coordinate (0 otherwise).
        centers: unit positions of a discrete coordinate's values, ascending.
        edges: unit boundaries of the values' bins (``len(centers) + 1``, from 0 to 1).
        condition: ``(choice coordinate, option)`` that makes it active, or None.
    """

    kind: str
    size: int
    centers: np.ndarray | None
    edges: np.ndarray | None
    condition: tuple[int, int] | None


def _values(domain: NumericDomain) -> list[float] | None:
    """The values of a stepped domain, or None when it has too many to list."""
    if isinstance(domain, Int):
        count = (domain.high - domain.low) // domain.step + 1
        if count > MAX_DISCRETE_VALUES:
            return None
        return [domain.low + k * domain.step for k in range(count)]
    if isinstance(domain, Float) and domain.step is not None:
        count = domain._num_steps
        if count > MAX_DISCRETE_VALUES:
            return None
        return [
            domain.from_unit(domain.to_unit(domain.low + k * domain.step)) for k in range(count)
        ]
    return None


def _dim(param) -> Dim:
    if param.is_categorical:
        return Dim("categorical", param.size, None, None, param.condition)
    values = _values(param.domain)
    if values is None:
        return Dim("continuous", 0, None, None, param.condition)
    domain = param.domain
    centers = np.array([domain.to_unit(v) for v in values])
    # A value owns the unit positions that from_unit rounds to it: the boundary between two
    # values is the midpoint of the values themselves (on a log scale too).
    inner = [domain.to_unit((a + b) / 2) for a, b in itertools.pairwise(values)]
    edges = np.clip(np.array([0.0, *inner, 1.0]), 0.0, 1.0)
    return Dim("discrete", 0, np.clip(centers, 0.0, 1.0), edges, param.condition)


class Geometry:
    """The model's view of a space: one ``Dim`` per parameter, and helpers on encodings."""

    def __init__(self, space: Space) -> None:
        self.space = space
        self.dims = [_dim(p) for p in space.params]
        self.d = len(self.dims)
        self.categorical = np.array([d.kind == "categorical" for d in self.dims], dtype=bool)
        self.continuous = np.array([d.kind == "continuous" for d in self.dims], dtype=bool)
        # Numeric coordinates active in every configuration (models draw them all at once),
        # and the others, in space order (parents before their children).
        free = [d.kind != "categorical" and d.condition is None for d in self.dims]
        self.free_numeric = np.flatnonzero(free)
        self.others = np.flatnonzero(~np.array(free, dtype=bool))
        self.discrete = np.array([d.kind == "discrete" for d in self.dims], dtype=bool)

    def _bin_index(self, dim: int, u: np.ndarray) -> np.ndarray:
        """Which value's bin each position ``u`` of a discrete coordinate falls in."""
        edges, centers = self._bins(dim)
        index = np.searchsorted(edges, u, side="right") - 1
        return np.clip(index, 0, len(centers) - 1)

    def _bins(self, dim: int) -> tuple[np.ndarray, np.ndarray]:
        """The bin edges and value centers of a discrete coordinate."""
        spec = self.dims[dim]
        if spec.edges is None or spec.centers is None:
            raise ValueError(f"coordinate {dim} is not discrete")
        return spec.edges, spec.centers

    def snap(self, dim: int, u: np.ndarray) -> np.ndarray:
        """Unit positions moved to the canonical position of the value they decode to."""
        u = np.clip(u, 0.0, 1.0)
        if self.dims[dim].kind != "discrete":
            return u
        return self._bins(dim)[1][self._bin_index(dim, u)]

    def bin_of(self, dim: int, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The lower and upper edges of the bins holding the discrete positions ``u``."""
        index = self._bin_index(dim, u)
        edges = self._bins(dim)[0]
        return edges[index], edges[index + 1]

    def is_active(self, dim: int, x: np.ndarray) -> np.ndarray:
        """Whether coordinate ``dim`` is active in each row of ``x``, from its condition."""
        condition = self.dims[dim].condition
        if condition is None:
            return np.ones(len(x), dtype=bool)
        parent, option = condition
        return self.is_active(parent, x) & (x[:, parent] == option)

    def complete(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Rows with every active coordinate set and every inactive one NaN.

        Coordinates that the rows' choices activate but that hold NaN (a mutated or sampled
        choice opened a sub-space) are drawn uniformly; coordinates the choices close are
        cleared. Parents come before their children in a space, so one pass suffices.
        """
        x = np.array(x, dtype=float, copy=True)
        for j, spec in enumerate(self.dims):
            active = self.is_active(j, x)
            missing = active & np.isnan(x[:, j])
            if missing.any():
                count = int(missing.sum())
                if spec.kind == "categorical":
                    x[missing, j] = rng.integers(spec.size, size=count)
                else:
                    x[missing, j] = self.snap(j, rng.random(count))
            x[~active, j] = np.nan
        return x

    def decode(self, x: np.ndarray) -> dict:
        """The configuration at one encoded row (inactive coordinates are ignored)."""
        return self.space.decode(np.where(np.isnan(x), 0.0, x))

    def canonical(self, x: np.ndarray) -> np.ndarray:
        """Rows snapped to the positions of the values they decode to."""
        x = np.array(x, dtype=float, copy=True)
        for j, spec in enumerate(self.dims):
            if spec.kind == "discrete":
                active = ~np.isnan(x[:, j])
                x[active, j] = self.snap(j, x[active, j])
        return x

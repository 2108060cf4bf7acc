"""rung: scalable hyperparameter optimization.

The flat public API: search-space domains, searchers, and (from the experiment engine)
``run`` and ``report``.
"""

from rung.errors import ConfigError, RungError, SpaceError, TrialError
from rung.space import (
    Space,
    choice,
    grid,
    load_space,
    lograndint,
    loguniform,
    qloguniform,
    qrandint,
    quniform,
    randint,
    sample_from,
    uniform,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "RungError",
    "Space",
    "SpaceError",
    "TrialError",
    "choice",
    "grid",
    "load_space",
    "lograndint",
    "loguniform",
    "qloguniform",
    "qrandint",
    "quniform",
    "randint",
    "sample_from",
    "uniform",
]

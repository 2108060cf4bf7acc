"""rung: scalable hyperparameter optimization.

The flat public API: ``run`` a trainable that calls ``report`` over a space of domains
(``uniform``, ``choice``, ...), and read the ``Results``.
"""

from rung import plot
from rung.api import run
from rung.callbacks import Callback
from rung.checkpoint import load_checkpoint
from rung.define_by_run import TrialPruned
from rung.errors import ConfigError, RungError, RungWarning, SpaceError, TrialError
from rung.repeat import Repeats, repeat, rerun_best
from rung.results import Results
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
from rung.storage import load
from rung.trainable import (
    StopTrial,
    Trainable,
    get_checkpoint,
    get_trial_dir,
    get_trial_id,
    report,
)
from rung.trial import Trial, TrialStatus
from rung.tuner import AskedTrial, Tuner

__version__ = "0.1.0"

__all__ = [
    "AskedTrial",
    "Callback",
    "ConfigError",
    "Repeats",
    "Results",
    "RungError",
    "RungWarning",
    "Space",
    "SpaceError",
    "StopTrial",
    "Trainable",
    "Trial",
    "TrialError",
    "TrialPruned",
    "TrialStatus",
    "Tuner",
    "choice",
    "get_checkpoint",
    "get_trial_dir",
    "get_trial_id",
    "grid",
    "load",
    "load_checkpoint",
    "load_space",
    "lograndint",
    "loguniform",
    "plot",
    "qloguniform",
    "qrandint",
    "quniform",
    "randint",
    "repeat",
    "report",
    "rerun_best",
    "run",
    "sample_from",
    "uniform",
]

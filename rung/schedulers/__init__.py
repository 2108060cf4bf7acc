"""Schedulers: how much budget each running trial gets. Selectable by name or instance."""

from __future__ import annotations

from rung.registry import resolve
from rung.schedulers.adaptive import AdaptiveHyperBandScheduler
from rung.schedulers.asha import ASHAScheduler, AsyncHyperBandScheduler
from rung.schedulers.base import Scheduler
from rung.schedulers.curve import CurveStoppingRule
from rung.schedulers.fifo import FIFOScheduler
from rung.schedulers.hyperband import HyperBandScheduler, SuccessiveHalvingScheduler
from rung.schedulers.median import MedianStoppingRule
from rung.schedulers.pbt import PopulationBasedTraining

SCHEDULERS: dict[str, type[Scheduler]] = {
    "fifo": FIFOScheduler,
    "median": MedianStoppingRule,
    "sha": SuccessiveHalvingScheduler,
    "asha": ASHAScheduler,
    "hyperband": HyperBandScheduler,
    "async_hyperband": AsyncHyperBandScheduler,
    "adaptive_hyperband": AdaptiveHyperBandScheduler,
    "curve": CurveStoppingRule,
    "pbt": PopulationBasedTraining,
}


def make_scheduler(spec: str | Scheduler | None) -> Scheduler:
    """The scheduler named by ``spec`` (see ``SCHEDULERS``), or ``spec`` itself."""
    return resolve("scheduler", "fifo" if spec is None else spec, SCHEDULERS, Scheduler)


__all__ = [
    "SCHEDULERS",
    "ASHAScheduler",
    "AdaptiveHyperBandScheduler",
    "AsyncHyperBandScheduler",
    "CurveStoppingRule",
    "FIFOScheduler",
    "HyperBandScheduler",
    "MedianStoppingRule",
    "PopulationBasedTraining",
    "Scheduler",
    "SuccessiveHalvingScheduler",
    "make_scheduler",
]

"""FIFO: run every trial to its end, in the order they were created."""

from __future__ import annotations

from typing import Any

from rung.schedulers.base import Scheduler
from rung.trial import CONTINUE, Decision, Trial


class FIFOScheduler(Scheduler):
    """Stops nothing early; the baseline every early-stopping scheduler is measured against."""

    acts_on_results = False

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> Decision:
        return CONTINUE

"""Callbacks: what an experiment shows and writes as it runs."""

from rung.callbacks.base import Callback
from rung.callbacks.progress import ProgressReporter

__all__ = ["Callback", "ProgressReporter"]

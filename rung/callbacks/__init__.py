"""Callbacks: what an experiment shows and writes as it runs."""

from rung.callbacks.base import Callback
from rung.callbacks.files import FileLogger
from rung.callbacks.progress import ProgressReporter

__all__ = ["Callback", "FileLogger", "ProgressReporter"]

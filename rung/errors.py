"""The few exception types rung users catch."""

from __future__ import annotations

from typing import Any


class RungError(Exception):
    """Base of every error rung raises on purpose."""


class SpaceError(RungError, ValueError):
    """A search space, or a configuration checked against one, is invalid."""


class ConfigMisfit(SpaceError):
    """A configuration does not fit a space: ``parameter`` (its path) is missing from it, or
    holds a value the space does not have."""

    def __init__(self, message: str, parameter: str, missing: bool = False) -> None:
        super().__init__(message)
        self.parameter, self.missing = parameter, missing


class ConfigError(RungError, ValueError):
    """A setting passed to rung (an argument, a file) is invalid."""


class TrialError(RungError):
    """A trial failed and the experiment was told to fail fast.

    ``results`` holds the experiment's ``Results`` up to the failure (typed loosely: errors
    sit below every other module and import none of them).
    """

    results: Any = None


class RungWarning(UserWarning):
    """Something works, but not as well as it could: a pause without a checkpoint, say."""

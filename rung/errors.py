"""The few exception types rung users catch."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rung.results import Results


class RungError(Exception):
    """Base of every error rung raises on purpose."""


class SpaceError(RungError, ValueError):
    """A search space, or a configuration checked against one, is invalid."""


class ConfigError(RungError, ValueError):
    """A setting passed to rung (an argument, a file) is invalid."""


class TrialError(RungError):
    """A trial failed and the experiment was told to fail fast.

    ``results`` holds the experiment's results up to the failure.
    """

    results: Results | None = None


class RungWarning(UserWarning):
    """Something works, but not as well as it could: a pause without a checkpoint, say."""

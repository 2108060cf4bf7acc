"""Arguments other tuners' strategies take that rung takes elsewhere, refused by name.

Ray Tune's schedulers and searchers take ``metric`` and ``mode``; rung takes them once, in
``rung.run``, so that every part ranks by the same objective. A strategy built with them is
refused before any trial, with where they go.
"""

from __future__ import annotations

import functools
from typing import Any

from rung.errors import ConfigError

OBJECTIVE_KEYS = ("metric", "mode")


def refuse_objective_arguments(cls: type) -> None:
    """Wrap ``cls.__init__`` (a strategy's) so that ``metric=`` or ``mode=`` among its
    arguments is a ConfigError naming rung's way, not a bare TypeError."""
    init = cls.__dict__.get("__init__")
    if init is None:
        return

    @functools.wraps(init)
    def checked(self: Any, *args: Any, **kwargs: Any) -> None:
        given = [key for key in OBJECTIVE_KEYS if key in kwargs]
        if given:
            shown = ", ".join(f"{key}={kwargs[key]!r}" for key in given)
            raise ConfigError(
                f"{cls.__name__}({shown}): rung takes the metric and mode once, for every "
                f"part of the run: rung.run(..., {shown}); build {cls.__name__} without them"
            )
        init(self, *args, **kwargs)

    cls.__init__ = checked  # type: ignore[misc]

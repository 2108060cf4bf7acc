"""A token of its own for the local Ray that rung starts.

Ray's servers (the GCS, raylets, workers) listen on every interface, and Ray 2.60 has no
setting that binds them to localhost: a Ray started on a laptop or a login node can be
reached from the network. What guards it is Ray's token authentication, so rung turns it on
with a fresh random token for a Ray it starts itself (unless the user chose an
authentication mode), and puts the environment back when that Ray ends.
"""

from __future__ import annotations

import importlib
import os
import secrets
from collections.abc import Mapping
from typing import Any

_VARIABLES = ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH")


def enable_token_auth() -> dict[str, str | None] | None:
    """Turn on token authentication with a new token for a Ray about to start in this
    process; returns the environment to restore afterwards, or None when left as it was
    (the user set ``RAY_AUTH_MODE``, or this Ray cannot take a new mode once imported)."""
    if os.environ.get("RAY_AUTH_MODE") is not None or not _can_reload():
        return None
    saved = {name: os.environ.get(name) for name in _VARIABLES}
    os.environ["RAY_AUTH_MODE"] = "token"
    os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)
    os.environ.pop("RAY_AUTH_TOKEN_PATH", None)
    _reload()
    return saved


def restore(saved: Mapping[str, str | None]) -> None:
    """Put back the environment ``enable_token_auth`` changed, once its Ray has ended."""
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _reload()


def _can_reload() -> bool:
    """Whether Ray's settings can be read again from the environment in this process (a
    Ray with token authentication)."""
    return _reloaders() is not None


def _reload() -> None:
    """Have this process's Ray read its authentication settings from the environment
    again (they are read once, when Ray is imported)."""
    reloaders = _reloaders()
    if reloaders is not None:
        config, token_loader = reloaders
        config.initialize("")
        token_loader.instance().reset_cache()


def _reloaders() -> tuple[Any, Any] | None:
    """Ray's settings and its token loader, where this Ray has them."""
    try:
        raylet = importlib.import_module("ray._raylet")
    except ImportError:
        return None
    config = getattr(raylet, "Config", None)
    token_loader = getattr(raylet, "AuthenticationTokenLoader", None)
    return None if config is None or token_loader is None else (config, token_loader)

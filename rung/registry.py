"""Name-to-class registries: how ``searcher="tpe"``, ``scheduler="asha"`` and
``executor="process"`` find their class, without an if/elif chain."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from rung.errors import ConfigError

T = TypeVar("T")


def resolve(knob: str, spec: Any, registry: Mapping[str, type[T]], base: type) -> T:
    """``spec`` itself if it is an instance of ``base``, else a new instance of the class
    registered under the name ``spec``; a ConfigError naming ``knob`` and the choices."""
    if isinstance(spec, base):
        return cast(T, spec)
    if isinstance(spec, str) and spec in registry:
        return registry[spec]()
    raise ConfigError(
        f"{knob}={spec!r} is not a known {knob}; pass one of {sorted(registry)}, or an instance of "
        f"a {base.__module__.rsplit('.', 1)[0]}.{base.__name__} subclass with its settings"
    )

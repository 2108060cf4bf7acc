"""Name-to-class registries: how ``searcher="tpe"``, ``scheduler={"name": "asha", "max_t":
27}`` and ``executor="process"`` find their class, without an if/elif chain; and the way
back, from an instance to the spec that builds it again (what the store saves)."""

from __future__ import annotations

import difflib
import importlib
import inspect
import json
from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar, cast

from rung.errors import ConfigError

T = TypeVar("T")

# Names people use for a strategy that rung registers under another name; spelling
# closeness alone would point them elsewhere ("bayes" looks most like "cmaes").
ALIASES = {
    "bayes": "gp",
    "bayesian": "gp",
    "bo": "gp",
    "gpbo": "gp",
    "cma": "cmaes",
    "cma-es": "cmaes",
    "cma_es": "cmaes",
    "hyperopt": "tpe",
    "optuna": "tpe",
    "successive_halving": "sha",
    "none": "fifo",
}


class LazyRegistry(Mapping[str, type[T]], Generic[T]):
    """Names to classes given as ``"module:Class"``, each imported when first looked up: a
    module can build its siblings by name without importing them, so no import cycle."""

    def __init__(self, paths: Mapping[str, str]) -> None:
        self._paths = dict(paths)
        self._classes: dict[str, type[T]] = {}

    def __getitem__(self, name: str) -> type[T]:
        if name not in self._classes:
            module, _, attribute = self._paths[name].partition(":")
            self._classes[name] = getattr(importlib.import_module(module), attribute)
        return self._classes[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


def did_you_mean(word: str, choices: Any) -> str:
    """`` (did you mean 'x'?)`` when a choice is close to ``word``, else ``""``."""
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def resolve(knob: str, spec: Any, registry: Mapping[str, type[T]], base: type) -> T:
    """The object ``spec`` stands for: ``spec`` itself if it is an instance of ``base``; a
    new instance of the class registered under the name ``spec``; or, for a mapping
    ``{"name": ..., **settings}``, of that class built with those settings. A ConfigError
    names ``knob`` and the choices or the accepted settings."""
    if isinstance(spec, base):
        return cast(T, spec)
    settings: dict[str, Any] = {}
    name = spec
    if isinstance(spec, Mapping):
        settings = dict(spec)
        name = settings.pop("name", None)
    if isinstance(name, str) and name in registry:
        cls = registry[name]
        accepted = _parameters(cls)
        unknown = sorted(set(settings) - set(accepted))
        if unknown:
            hints = "".join(did_you_mean(key, accepted) for key in unknown)
            raise ConfigError(
                f"{knob}={dict(spec)!r}: {name!r} has no setting {', '.join(unknown)}{hints}; "
                f"its settings are {accepted}"
            )
        try:
            return cls(**settings)
        except TypeError as error:
            raise ConfigError(f"{knob}={dict(spec)!r}: {error}") from None
    hint = ""
    if isinstance(name, str):
        alias = ALIASES.get(name.lower())
        hint = f" (did you mean {alias!r}?)" if alias in registry else did_you_mean(name, registry)
    raise ConfigError(
        f"{knob}={spec!r} is not a known {knob}{hint}; pass one of {sorted(registry)} (with "
        f'settings: {{"name": ..., ...}}), or an instance of a '
        f"{base.__module__.rsplit('.', 1)[0]}.{base.__name__} subclass"
    )


def spec_of(obj: Any, registry: Mapping[str, type]) -> dict[str, Any] | None:
    """``{"name": ..., **settings}`` that ``resolve`` turns back into ``obj``, when its class
    is registered and its settings (read back from the attributes its constructor stores,
    as every rung strategy does) are plain JSON values; else None."""
    names = [name for name, cls in registry.items() if type(obj) is cls]
    if not names:
        return None
    spec: dict[str, Any] = {"name": names[0]}
    for parameter in _parameters(type(obj)):
        if not hasattr(obj, parameter):
            return None
        spec[parameter] = _plain(getattr(obj, parameter))
    try:
        if json.loads(json.dumps(spec)) != spec:
            return None
    except (TypeError, ValueError):
        return None
    return spec


def _plain(value: Any) -> Any:
    """Tuples as lists, as JSON keeps them."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _parameters(cls: type) -> list[str]:
    """The keyword settings a class's constructor takes."""
    signature = inspect.signature(cls)
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in signature.parameters.values() if p.name != "self" and p.kind in kinds]

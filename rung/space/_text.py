"""The textual form of a space, for config files: ``lr: "loguniform(1e-5, 1e-1)"``.

Parsed with ``ast`` and ``ast.literal_eval`` on each argument, never ``eval``: only the domain
constructors below can be called, only with literal arguments. In YAML a choice whose options
are sub-spaces is written as a mapping ``{choice: [...]}`` (and a grid as ``{grid: [...]}``).
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from rung.errors import SpaceError
from rung.space._domains import (
    Categorical,
    Domain,
    Grid,
    SampleFrom,
    choice,
    grid,
    lograndint,
    loguniform,
    qloguniform,
    qrandint,
    quniform,
    randint,
    uniform,
)
from rung.space._space import Space
from rung.yaml_text import DuplicateKeyError, load_yaml

CONSTRUCTORS: dict[str, Callable[..., Domain]] = {
    f.__name__: f
    for f in (uniform, loguniform, quniform, qloguniform, randint, qrandint, lograndint)
} | {"choice": choice, "grid": grid}

_CALL = re.compile(r"^\s*(" + "|".join(CONSTRUCTORS) + r")\s*\(")
_ANY_CALL = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(.*\)\s*$", re.DOTALL)
_WRAPPERS = ("choice", "grid")


def parse_domain(text: str) -> Domain:
    """The domain written as ``text``, e.g. ``"qrandint(8, 128, 8)"``."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise SpaceError(f"{text!r} is not a domain: {exc.msg}") from None
    call = tree.body
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
        raise SpaceError(f"{text!r} is not a domain; write e.g. 'uniform(0, 1)'")
    constructor = CONSTRUCTORS.get(call.func.id)
    if constructor is None:
        known = ", ".join(CONSTRUCTORS)
        raise SpaceError(f"{text!r}: unknown domain {call.func.id!r}; known: {known}")
    try:
        args = [ast.literal_eval(node) for node in call.args]
        kwargs = {str(kw.arg): ast.literal_eval(kw.value) for kw in call.keywords}
    except ValueError:
        raise SpaceError(f"{text!r}: arguments must be literal numbers, strings or lists") from None
    try:
        return constructor(*args, **kwargs)
    except TypeError as exc:
        raise SpaceError(f"{text!r}: {exc}") from None


def from_text(definition: Any, name: str = "") -> Any:
    """A space definition with every domain written as text turned into a domain object."""
    try:
        if isinstance(definition, str) and _CALL.match(definition):
            return parse_domain(definition)
        if isinstance(definition, str):
            _refuse_misspelt_domain(definition)
        if isinstance(definition, Mapping):
            if len(definition) == 1 and next(iter(definition)) in _WRAPPERS:
                ((kind, options),) = definition.items()
                if not isinstance(options, list):
                    raise SpaceError(f"{{{kind}: ...}} takes a list")
                converted = [from_text(o, f"{name}[{j}]") for j, o in enumerate(options)]
                return CONSTRUCTORS[kind](converted)
            return {k: from_text(v, f"{name}/{k}" if name else k) for k, v in definition.items()}
        if isinstance(definition, list):
            return [from_text(v, f"{name}/{i}") for i, v in enumerate(definition)]
    except SpaceError as exc:
        if name and not str(exc).startswith(name):
            raise SpaceError(f"{name}: {exc}") from None
        raise
    return definition


def _refuse_misspelt_domain(text: str) -> None:
    """A string written like a call to something close to a domain's name (``unifrom(0, 1)``,
    ``log_uniform(...)``) is a typo, not a string constant every trial would get."""
    call = _ANY_CALL.match(text)
    if call is None:
        return
    close = difflib.get_close_matches(call.group(1).lower(), CONSTRUCTORS, n=1, cutoff=0.75)
    if close:
        raise SpaceError(
            f"{text!r} names no domain (did you mean {close[0]!r}?); the domains are "
            f"{', '.join(CONSTRUCTORS)}"
        )


def to_text(definition: Any) -> Any:
    """The inverse of ``from_text``: domains as strings, ready for YAML or JSON."""
    if isinstance(definition, Space):
        return to_text(definition.definition)
    if isinstance(definition, SampleFrom):
        raise SpaceError(f"{definition} has no textual form; define it in Python")
    if isinstance(definition, Categorical) and any(isinstance(o, dict) for o in definition.options):
        return {"choice": [to_text(o) for o in definition.options]}
    if isinstance(definition, Grid | Domain):
        return str(definition)
    if isinstance(definition, Mapping):
        return {k: to_text(v) for k, v in definition.items()}
    if isinstance(definition, list | tuple):
        return [to_text(v) for v in definition]
    return definition


def load_space(source: str | Path) -> Space:
    """A space from a YAML file, or from YAML text, written in the textual form."""
    path = Path(source) if isinstance(source, Path) or "\n" not in str(source) else None
    if path is not None and path.exists():
        text = path.read_text()
    elif isinstance(source, Path):
        raise SpaceError(f"space file {source} does not exist")
    else:
        text = str(source)
    try:
        definition = load_yaml(text)
    except DuplicateKeyError as exc:
        raise SpaceError(
            f"parameter {exc.key!r} is defined twice (line {exc.problem_mark.line + 1}); "
            "keep one definition"
        ) from None
    except yaml.YAMLError as exc:
        raise SpaceError(f"the space is not valid YAML: {exc}") from None
    return Space(from_text(definition))

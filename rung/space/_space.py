"""A search space: the user's nested definition compiled into flat parameters.

Searchers work on arrays, never on dicts: ``encode`` maps a configuration to a vector with one
entry per parameter (numeric parameters in [0, 1], categorical ones as their option index, NaN
where a conditional parameter is inactive) and ``decode`` maps it back.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from rung.errors import ConfigMisfit, SpaceError
from rung.space._domains import (
    DOMAIN_FUNCTIONS,
    Categorical,
    Domain,
    Grid,
    NumericDomain,
    SampleFrom,
)


@dataclass(frozen=True)
class Param:
    """One searchable coordinate of a space.

    Attributes:
        name: where it lives, keys joined by ``/``; ``opt[1]/lr`` is ``lr`` in option 1 of ``opt``.
        domain: its values.
        condition: ``(index of a choice parameter, option index)`` that must hold for this
            parameter to be active, or None when it always is.
    """

    name: str
    domain: Domain
    condition: tuple[int, int] | None

    @property
    def is_categorical(self) -> bool:
        """Whether it is encoded as an option index rather than a position in [0, 1]."""
        return isinstance(self.domain, Categorical | Grid)

    @property
    def size(self) -> int:
        """Number of options of a categorical parameter (0 for numeric ones)."""
        domain = self.domain
        if isinstance(domain, Categorical):
            return len(domain.options)
        if isinstance(domain, Grid):
            return len(domain.values)
        return 0


@dataclass(frozen=True)
class _Const:
    value: Any


@dataclass(frozen=True)
class _Leaf:
    index: int


@dataclass(frozen=True)
class _Choice:
    index: int
    options: tuple[Any, ...]


@dataclass(frozen=True)
class _Derived:
    domain: SampleFrom


@dataclass(frozen=True)
class _Dict:
    items: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class _List:
    items: tuple[Any, ...]


_MUTABLE = (dict, list, set)


def same_value(a: Any, b: Any) -> bool:
    """Equality that tells ``True`` from ``1`` and treats lists and tuples alike (JSON)."""
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _has_domain(value: Any) -> bool:
    if isinstance(value, Domain):
        return True
    if isinstance(value, Mapping):
        return any(_has_domain(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_domain(v) for v in value)
    return False


def _refuse_domain_functions(value: Any, where: str) -> None:
    """A domain function passed uncalled (``{"lr": rung.loguniform}``) is a mistake, not a
    constant."""
    if any(value is f for f in DOMAIN_FUNCTIONS):
        raise SpaceError(
            f"{where or '<space>'}: rung.{value.__name__} is the function, not a domain; call "
            f"it, e.g. rung.{value.__name__}(...) with its bounds or options"
        )
    if isinstance(value, Mapping):
        for key, item in value.items():
            _refuse_domain_functions(item, f"{where}/{key}" if where else str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _refuse_domain_functions(item, f"{where}/{i}")
    elif isinstance(value, Categorical | Grid):
        for i, option in enumerate(value.values if isinstance(value, Grid) else value.options):
            _refuse_domain_functions(option, f"{where}[{i}]")


class Space:
    """A compiled search space.

    Args:
        definition: a dict whose values are domains (``rung.uniform(...)``, ...), constants,
            nested dicts, lists, and choices whose options are dicts (conditional sub-spaces).
    """

    def __init__(self, definition: Mapping[str, Any]) -> None:
        if not isinstance(definition, Mapping):
            raise SpaceError(
                f"a search space is a dict of parameter names to domains, got "
                f"{type(definition).__name__}: e.g. {{'lr': rung.loguniform(1e-4, 1e-1)}}"
            )
        _refuse_domain_functions(definition, "")
        self.definition = definition
        self._params: list[Param] = []
        self._has_derived = False
        self._root = self._compile(definition, "", None)
        self.params: tuple[Param, ...] = tuple(self._params)
        self.names: tuple[str, ...] = tuple(p.name for p in self.params)
        self._grid_indices = [i for i, p in enumerate(self.params) if isinstance(p.domain, Grid)]
        self._categorical = [i for i, p in enumerate(self.params) if p.is_categorical]
        self._sizes = np.array([p.size for p in self.params], dtype=float)

    @classmethod
    def of(cls, space: Space | Mapping[str, Any]) -> Space:
        """The space itself, or one compiled from a definition dict."""
        return space if isinstance(space, Space) else cls(space)

    @property
    def dim(self) -> int:
        """Number of parameters (coordinates of an encoded configuration)."""
        return len(self.params)

    @property
    def is_conditional(self) -> bool:
        """Whether some parameter exists only under one option of a choice."""
        return any(p.condition is not None for p in self.params)

    # compilation -------------------------------------------------------------------------

    def _add(self, name: str, domain: Domain, condition: tuple[int, int] | None) -> int:
        if any(p.name == name for p in self._params):
            raise SpaceError(
                f"parameter name {name!r} is defined twice (a key with '/' clashing with a "
                "nested dict?); rename one of them"
            )
        self._params.append(Param(name, domain, condition))
        return len(self._params) - 1

    def _compile(self, value: Any, name: str, condition: tuple[int, int] | None) -> Any:
        where = name or "<space>"
        if isinstance(value, SampleFrom):
            self._has_derived = True
            return _Derived(value)
        if isinstance(value, Grid):
            if condition is not None:
                raise SpaceError(
                    f"{where}: grid(...) inside a choice option is not supported, because the "
                    "grid would exist only when that option is drawn; move the grid to the top "
                    "level or make it a choice(...)"
                )
            return _Leaf(self._add(name, value, condition))
        if isinstance(value, Categorical):
            return self._compile_choice(value, name, condition)
        if isinstance(value, NumericDomain):
            return _Leaf(self._add(name, value, condition))
        if isinstance(value, Domain):
            raise SpaceError(f"{where}: unsupported domain {value}")
        if isinstance(value, Mapping) and _has_domain(value):
            items = []
            for key, item in value.items():
                if not isinstance(key, str):
                    raise SpaceError(f"{where}: key {key!r} must be a string")
                path = f"{name}/{key}" if name else key
                items.append((key, self._compile(item, path, condition)))
            return _Dict(tuple(items))
        if isinstance(value, list | tuple) and _has_domain(value):
            children = [self._compile(v, f"{where}/{i}", condition) for i, v in enumerate(value)]
            return _List(tuple(children))
        return _Const(value)

    def _compile_choice(
        self, domain: Categorical, name: str, condition: tuple[int, int] | None
    ) -> _Choice:
        index = self._add(name, domain, condition)
        if any(isinstance(option, SampleFrom) for option in domain.options):
            raise SpaceError(f"{name}: sample_from(...) cannot be an option; wrap it in a dict")
        _check_distinct_options(name, domain.options)
        options = tuple(
            self._compile(option, f"{name}[{j}]", (index, j))
            for j, option in enumerate(domain.options)
        )
        return _Choice(index, options)

    # decoding ----------------------------------------------------------------------------

    def from_unit(self, u: Sequence[float] | np.ndarray) -> np.ndarray:
        """Map a point of the unit cube to an encoded point (categorical coordinates to indices)."""
        x = np.array(u, dtype=float, copy=True)
        if x.shape != (self.dim,):
            raise SpaceError(f"expected a point of {self.dim} coordinates, got shape {x.shape}")
        cat = self._categorical
        if cat:
            sizes = self._sizes[cat]
            x[cat] = np.minimum(np.floor(np.clip(x[cat], 0.0, 1.0) * sizes), sizes - 1)
        return x

    def decode(self, x: Sequence[float] | np.ndarray) -> dict[str, Any]:
        """The configuration at encoded point ``x`` (inactive coordinates are ignored)."""
        x = np.asarray(x, dtype=float)
        if x.shape != (self.dim,):
            raise SpaceError(f"expected a point of {self.dim} coordinates, got shape {x.shape}")
        config = self._build(self._root, x)
        if self._has_derived:
            self._fill_derived(self._root, config, x, config)
        return config

    def _build(self, node: Any, x: np.ndarray) -> Any:
        if isinstance(node, _Const):
            value = node.value
            return _copy(value) if isinstance(value, _MUTABLE) else value
        if isinstance(node, _Leaf):
            domain = self.params[node.index].domain
            if isinstance(domain, Grid):
                return domain.values[int(x[node.index])]
            assert isinstance(domain, NumericDomain)
            return domain.from_unit(x[node.index])
        if isinstance(node, _Choice):
            return self._build(node.options[int(x[node.index])], x)
        if isinstance(node, _Dict):
            return {key: self._build(child, x) for key, child in node.items}
        if isinstance(node, _List):
            return [self._build(child, x) for child in node.items]
        return None

    def _fill_derived(self, node: Any, value: Any, x: np.ndarray, config: dict) -> None:
        if isinstance(node, _Choice):
            self._fill_derived(node.options[int(x[node.index])], value, x, config)
        elif isinstance(node, _Dict | _List):
            keys = [k for k, _ in node.items] if isinstance(node, _Dict) else range(len(node.items))
            children = [c for _, c in node.items] if isinstance(node, _Dict) else node.items
            for key, child in zip(keys, children, strict=True):
                if isinstance(child, _Derived):
                    try:
                        value[key] = child.domain.fn(config)
                    except Exception as exc:
                        raise SpaceError(f"{child.domain} for {key!r} raised {exc!r}") from exc
                else:
                    self._fill_derived(child, value[key], x, config)

    def sample(
        self, rng: np.random.Generator, fixed: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """A random configuration: uniform on each parameter's scale, log-uniform on log ones.

        Args:
            rng: the source of randomness.
            fixed: parameter names (as in ``names``) whose values are given rather than drawn.
        """
        x = self.from_unit(rng.random(self.dim))
        for name, value in (fixed or {}).items():
            index = self._index_of(name)
            x[index] = self._encode_value(self.params[index], value)
        return self.decode(x)

    # encoding ----------------------------------------------------------------------------

    def encode(self, config: Mapping[str, Any]) -> np.ndarray:
        """The encoded point of ``config``: numeric parameters in [0, 1], categorical ones as
        option indices, NaN for parameters inactive under the config's choices."""
        x = np.full(self.dim, np.nan)
        self._encode(self._root, config, x, "")
        return x

    def _encode_value(self, param: Param, value: Any) -> float:
        domain = param.domain
        if isinstance(domain, NumericDomain):
            if not domain.contains(value):
                raise ConfigMisfit(
                    f"{param.name}: {value!r} is not a value of {domain}", param.name
                )
            return domain.to_unit(value)
        assert isinstance(domain, Grid | Categorical)
        options = domain.values if isinstance(domain, Grid) else domain.options
        for j, option in enumerate(options):
            if same_value(option, value):
                return float(j)
        raise ConfigMisfit(f"{param.name}: {value!r} is not one of {domain}", param.name)

    def _encode(self, node: Any, value: Any, x: np.ndarray, name: str) -> None:
        if isinstance(node, _Leaf):
            x[node.index] = self._encode_value(self.params[node.index], value)
        elif isinstance(node, _Choice):
            matching = [j for j, option in enumerate(node.options) if _matches(option, value, self)]
            if not matching:
                domain = self.params[node.index].domain
                raise ConfigMisfit(f"{name}: {value!r} matches no option of {domain}", name)
            x[node.index] = matching[0]
            self._encode(node.options[matching[0]], value, x, f"{name}[{matching[0]}]")
        elif isinstance(node, _Dict):
            if not isinstance(value, Mapping):
                where = name or "<config>"
                raise ConfigMisfit(f"{where}: expected a dict, got {value!r}", where)
            for key, child in node.items:
                path = f"{name}/{key}" if name else key
                if key not in value:
                    raise ConfigMisfit(f"the configuration has no {path!r}", path, missing=True)
                self._encode(child, value[key], x, path)
        elif isinstance(node, _List):
            if not isinstance(value, list | tuple) or len(value) != len(node.items):
                wanted = f"expected a list of {len(node.items)}, got {value!r}"
                raise ConfigMisfit(f"{name}: {wanted}", name)
            for i, (child, item) in enumerate(zip(node.items, value, strict=True)):
                self._encode(child, item, x, f"{name}/{i}")

    def active(self, config: Mapping[str, Any]) -> list[str]:
        """Names of the parameters that exist under ``config``'s choices."""
        x = self.encode(config)
        return [name for name, v in zip(self.names, x, strict=True) if not np.isnan(v)]

    def contains(self, config: Mapping[str, Any]) -> bool:
        """Whether ``config`` is a configuration of this space."""
        try:
            self.encode(config)
        except SpaceError:
            return False
        return True

    # grids -------------------------------------------------------------------------------

    @property
    def has_grid(self) -> bool:
        """Whether any parameter is a ``grid``."""
        return bool(self._grid_indices)

    @property
    def grid_size(self) -> int:
        """Number of points of the Cartesian product of the ``grid`` parameters (1 if none)."""
        return int(np.prod([self.params[i].size for i in self._grid_indices], dtype=np.int64))

    def grid(self) -> Iterator[dict[str, Any]]:
        """Every combination of the ``grid`` parameters' values, as ``{name: value}``."""
        grids = [self.params[i] for i in self._grid_indices]
        for values in itertools.product(*(cast(Grid, p.domain).values for p in grids)):
            yield {p.name: v for p, v in zip(grids, values, strict=True)}

    def _index_of(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise SpaceError(f"no parameter named {name!r}; the space has {self.names}") from None

    def __repr__(self) -> str:
        body = ", ".join(f"{p.name}={p.domain}" for p in self.params)
        return f"Space({body})"


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, set):
        return set(value)
    return value


def _matches(node: Any, value: Any, space: Space) -> bool:
    """Whether ``value`` could have been built from ``node`` (to find a choice's option)."""
    if isinstance(node, _Const):
        return same_value(node.value, value)
    if isinstance(node, _Leaf):
        try:
            space._encode_value(space.params[node.index], value)
        except SpaceError:
            return False
        return True
    if isinstance(node, _Choice):
        return any(_matches(option, value, space) for option in node.options)
    if isinstance(node, _Dict):
        return (
            isinstance(value, Mapping)
            and value.keys() == {k for k, _ in node.items}
            and all(_matches(child, value[k], space) for k, child in node.items)
        )
    if isinstance(node, _List):
        return (
            isinstance(value, list | tuple)
            and len(value) == len(node.items)
            and all(_matches(c, v, space) for c, v in zip(node.items, value, strict=True))
        )
    return True


def _check_distinct_options(name: str, options: Sequence[Any]) -> None:
    """Refuse options that a configuration could not tell apart, so encode is unambiguous."""
    for i, j in itertools.combinations(range(len(options)), 2):
        a, b = options[i], options[j]
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            if a.keys() != b.keys():
                continue
            told_apart = any(
                not _has_domain(a[k]) and not _has_domain(b[k]) and not same_value(a[k], b[k])
                for k in a
            )
            if not told_apart:
                raise SpaceError(
                    f"{name}: choice options {i} and {j} have the same keys and no constant "
                    "that differs, so a configuration cannot tell which was chosen; add a "
                    "distinguishing constant, e.g. {'name': 'sgd', ...}"
                )
        elif not _has_domain(a) and not _has_domain(b) and same_value(a, b):
            raise SpaceError(f"{name}: choice option {a!r} is listed twice; list it once")

"""Source file names for code that travels by value.

cloudpickle sends functions and classes of the main module (a script, a notebook) by value
and replaces their file name with ``<dynamic-code>``, so a worker's traceback would not say
where the user's code is. The driver notes the file of each such code object
(``code_files``); the worker puts the names back after loading (``restore_code_files``), so
tracebacks, and the source lines they show, name the user's file.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

CodeFiles = dict[tuple[str, int], str]

# Modules whose code travels by value (cloudpickle's rule for the main module; experiment
# files given as a path are registered by value too, see rung.cli).
BY_VALUE_MODULES = {"__main__"}


def code_files(obj: Any) -> CodeFiles:
    """``{(name, first line): file}`` of the code objects ``obj`` sends by value."""
    files: CodeFiles = {}
    for function in _functions(obj, set()):
        for code in _codes(function.__code__):
            files[(code.co_name, code.co_firstlineno)] = code.co_filename
    return files


def restore_code_files(obj: Any, files: CodeFiles) -> None:
    """Give the by-value code objects reachable from ``obj`` their file names back."""
    if not files:
        return
    for function in _functions(obj, set()):
        function.__code__ = _renamed(function.__code__, files)


def _renamed(code: types.CodeType, files: CodeFiles) -> types.CodeType:
    consts = tuple(
        _renamed(c, files) if isinstance(c, types.CodeType) else c for c in code.co_consts
    )
    filename = files.get((code.co_name, code.co_firstlineno), code.co_filename)
    return code.replace(co_filename=filename, co_consts=consts)


def _codes(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


def _functions(obj: Any, seen: set[int]) -> Iterator[types.FunctionType]:
    """The functions of by-value modules reachable from ``obj``: itself, the globals and
    closure cells its code uses, a class's methods."""
    if id(obj) in seen or getattr(obj, "__module__", None) not in BY_VALUE_MODULES:
        return
    seen.add(id(obj))
    if isinstance(obj, types.FunctionType):
        yield obj
        names = {name for code in _codes(obj.__code__) for name in code.co_names}
        for name in names:
            yield from _functions(obj.__globals__.get(name), seen)
        for cell in obj.__closure__ or ():
            try:
                yield from _functions(cell.cell_contents, seen)
            except ValueError:  # an empty cell
                continue
    elif isinstance(obj, type):
        for value in vars(obj).values():
            value = getattr(value, "__func__", value)
            if isinstance(value, property):
                value = value.fget
            yield from _functions(value, seen)

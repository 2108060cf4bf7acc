"""What a plot shows, as plain data: panels of traces. Built from results without any
plotting library, drawn by matplotlib or plotly, and checked by tests as numbers."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Style = Literal["line", "step", "markers", "band", "bar"]

# A trial's fate, by colour. Trials stopped early take the colours of STOP_COLORS, one per
# iteration they were stopped at (a rung, for successive-halving schedulers).
FATE_COLORS = {
    "completed": "#2ca02c",
    "paused": "#ff7f0e",
    "failed": "#d62728",
    "running": "#7f7f7f",
    "pending": "#c7c7c7",
}
STOP_COLORS = ("#1f77b4", "#9467bd", "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#393b79")
SERIES_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


# What a panel's width (5.5 inches, 560 pixels) holds of a title at its size: longer ones
# are wrapped, never cut off.
TITLE_CHARACTERS = 55


def title_lines(title: str) -> list[str]:
    """A title broken into lines that fit a panel's width."""
    return textwrap.wrap(title, TITLE_CHARACTERS) or [title]


@dataclass
class Trace:
    """One series: ``x`` and ``y`` (and ``upper`` for a band, ``error`` for bars).

    Traces with the same ``label`` share one legend entry. ``value`` colours the trace on
    its panel's colour scale instead of ``color``.
    """

    x: list[float]
    y: list[float]
    style: Style = "line"
    label: str | None = None
    color: str | None = None
    upper: list[float] | None = None
    error: list[float] | None = None
    value: float | None = None
    width: float = 1.5
    opacity: float = 1.0
    hover: list[str] | None = None


@dataclass
class Axis:
    """One axis of a parallel-coordinates panel, unscaled: ``values`` (a parameter's, or
    their base-10 logarithm when ``log``), and ``ticks`` naming the positions of
    categories."""

    label: str
    values: list[float]
    log: bool = False
    ticks: list[tuple[float, str]] | None = None


@dataclass
class Panel:
    """One set of axes. ``xticks`` names positions on a categorical x axis; ``color_scale``
    names what the traces' ``value`` means (drawn as a colour bar)."""

    title: str
    xlabel: str
    ylabel: str
    traces: list[Trace] = field(default_factory=list)
    xlog: bool = False
    ylog: bool = False
    xticks: list[tuple[float, str]] | None = None
    yticks: list[tuple[float, str]] | None = None
    color_scale: str | None = None
    # Parallel coordinates: the axes with their own values, and the value each line is
    # coloured by (an interactive backend draws them as brushable axes).
    axes: list[Axis] | None = None
    axis_colors: list[float] | None = None


@dataclass
class Chart:
    """A figure: a title and its panels, side by side (wrapped at ``columns``)."""

    kind: str
    title: str
    panels: list[Panel]
    columns: int = 3


# Long series become arrays this many values at a time (see ``as_array``).
ARRAY_PART = 50_000


def as_array(values: Sequence[Any], dtype: Any = float) -> np.ndarray:
    """``values`` as a numpy array (None becomes NaN), converted a part at a time: one
    conversion of half a million floats scattered over the heap holds the interpreter for
    60-70 ms, which a dashboard's requests would wait through while a chart is drawn."""
    parts = range(0, len(values), ARRAY_PART)
    if len(parts) <= 1:
        return np.asarray(values, dtype=dtype)
    return np.concatenate([np.asarray(values[i : i + ARRAY_PART], dtype=dtype) for i in parts])

"""Charts drawn with matplotlib (``rung[plot]``), on a ``Figure`` of their own: no pyplot
state, no display needed."""

from __future__ import annotations

import math
from typing import Any

from rung.plot._charts import Chart, Panel, Trace, title_lines


def render(chart: Chart) -> Any:
    """``chart`` as a ``matplotlib.figure.Figure``."""
    from matplotlib.figure import Figure

    columns = min(len(chart.panels), chart.columns)
    rows = math.ceil(len(chart.panels) / columns)
    figure = Figure(figsize=(5.5 * columns, 4.2 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax, panel in zip(axes, chart.panels, strict=False):
        _draw(figure, ax, panel)
    for ax in axes[len(chart.panels) :]:
        ax.set_visible(False)
    if len(chart.panels) > 1:
        figure.suptitle(chart.title)
    return figure


def _draw(figure: Any, ax: Any, panel: Panel) -> None:
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    values = [t.value for t in panel.traces if t.value is not None]
    norm = Normalize(min(values), max(values)) if values else None
    cmap = colormaps["viridis"]
    labelled: set[str] = set()

    def color(trace: Trace) -> Any:
        if trace.value is not None and norm is not None:
            return cmap(norm(trace.value))
        return trace.color

    def label(trace: Trace) -> str:
        if trace.label is None or trace.label in labelled:
            return "_nolegend_"
        labelled.add(trace.label)
        return trace.label

    scattered = [t for t in panel.traces if t.style == "markers" and t.value is not None]
    if scattered:  # one collection for the many one-point traces of a colour scale
        ax.scatter(
            [x for t in scattered for x in t.x],
            [y for t in scattered for y in t.y],
            c=[t.value for t in scattered for _ in t.x],
            cmap=cmap,
            norm=norm,
            s=16,
        )
    for trace in panel.traces:
        common = {"color": color(trace), "alpha": trace.opacity}
        if trace.style == "line":
            ax.plot(trace.x, trace.y, linewidth=trace.width, label=label(trace), **common)
        elif trace.style == "step":
            ax.step(
                trace.x, trace.y, where="post", linewidth=trace.width, label=label(trace), **common
            )
        elif trace.style == "markers" and trace.value is None:
            ax.scatter(trace.x, trace.y, s=12, label=label(trace), **common)
        elif trace.style == "band":
            ax.fill_between(trace.x, trace.y, trace.upper or trace.y, linewidth=0, **common)
        elif trace.style == "bar":
            ax.bar(trace.x, trace.y, yerr=trace.error, capsize=3, label=label(trace), **common)
    ax.set_title("\n".join(title_lines(panel.title)))
    ax.set_xlabel(panel.xlabel)
    ax.set_ylabel(panel.ylabel)
    if panel.xlog:
        ax.set_xscale("log")
    if panel.ylog:
        ax.set_yscale("log")
    if panel.xticks is not None:
        ax.set_xticks([p for p, _ in panel.xticks], [t for _, t in panel.xticks], fontsize=8)
    if panel.yticks is not None:
        ax.set_yticks([p for p, _ in panel.yticks], [t for _, t in panel.yticks], fontsize=7)
    if labelled:
        ax.legend(fontsize=8)
    if norm is not None and panel.color_scale:
        figure.colorbar(ScalarMappable(norm, cmap), ax=ax, label=panel.color_scale)
    ax.grid(alpha=0.3)

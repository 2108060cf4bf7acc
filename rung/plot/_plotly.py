"""Charts drawn with plotly, as interactive HTML (hover a line to see its trial)."""

from __future__ import annotations

import math
from typing import Any

from rung.errors import ConfigError
from rung.plot._charts import Chart, Trace


def render(chart: Chart) -> Any:
    """``chart`` as a ``plotly.graph_objects.Figure``."""
    try:
        import plotly.graph_objects as go
        from plotly.colors import sample_colorscale
        from plotly.subplots import make_subplots
    except ImportError:
        raise ConfigError("interactive plots need plotly: pip install plotly") from None
    if len(chart.panels) == 1 and chart.panels[0].axes is not None:
        return _parcoords(go, chart)
    columns = min(len(chart.panels), chart.columns)
    rows = math.ceil(len(chart.panels) / columns)
    # A panel's title is shown unless it only repeats the chart's.
    titles = [p.title if p.title != chart.title else "" for p in chart.panels]
    figure = make_subplots(rows, columns, subplot_titles=titles)
    shown: set[str] = set()
    for index, panel in enumerate(chart.panels):
        row, column = index // columns + 1, index % columns + 1
        values = [t.value for t in panel.traces if t.value is not None]
        low, high = (min(values), max(values)) if values else (0.0, 1.0)

        def color(trace: Trace, low: float = low, high: float = high) -> Any:
            if trace.value is None:
                return trace.color
            share = (trace.value - low) / (high - low) if high > low else 0.5
            return sample_colorscale("Viridis", [share])[0]

        for trace in panel.traces:
            show = trace.label is not None and trace.label not in shown
            if show:
                shown.add(str(trace.label))
            common = {
                "name": trace.label or "",
                "legendgroup": trace.label,
                "showlegend": show,
                "opacity": trace.opacity,
                "hovertext": trace.hover,
            }
            if trace.style == "bar":
                error = {"type": "data", "array": trace.error} if trace.error else None
                item = go.Bar(
                    x=trace.x, y=trace.y, error_y=error, marker_color=trace.color, **common
                )
            elif trace.style == "band":
                xs = [*trace.x, *reversed(trace.x)]
                ys = [*(trace.upper or trace.y), *reversed(trace.y)]
                item = go.Scatter(
                    x=xs, y=ys, fill="toself", line={"width": 0}, fillcolor=trace.color, **common
                )
                item.showlegend = False
            elif trace.style == "markers":
                item = go.Scatter(
                    x=trace.x, y=trace.y, mode="markers", marker={"color": color(trace)}, **common
                )
            else:
                shape = "hv" if trace.style == "step" else "linear"
                line = {"color": color(trace), "width": trace.width, "shape": shape}
                item = go.Scatter(x=trace.x, y=trace.y, mode="lines", line=line, **common)
            figure.add_trace(item, row=row, col=column)
        xaxis: dict[str, Any] = {"title_text": panel.xlabel}
        if panel.xlog:
            xaxis["type"] = "log"
        if panel.xticks is not None:
            xaxis["tickvals"] = [p for p, _ in panel.xticks]
            xaxis["ticktext"] = [t.replace("\n", "<br>") for _, t in panel.xticks]
        yaxis: dict[str, Any] = {"title_text": panel.ylabel}
        if panel.ylog:
            yaxis["type"] = "log"
        if panel.yticks is not None:
            yaxis["tickvals"] = [p for p, _ in panel.yticks]
            yaxis["ticktext"] = [t for _, t in panel.yticks]
        figure.update_xaxes(row=row, col=column, **xaxis)
        figure.update_yaxes(row=row, col=column, **yaxis)
    figure.update_layout(title_text=chart.title, height=420 * rows, width=560 * columns)
    return figure


def _parcoords(go: Any, chart: Chart) -> Any:
    """A parallel-coordinates panel as plotly's ``parcoords``: drag along an axis to keep the
    trials within a range of it."""
    panel = chart.panels[0]
    dimensions = []
    for axis in panel.axes or []:
        dimension: dict[str, Any] = {"label": axis.label, "values": axis.values}
        if axis.ticks:
            dimension["tickvals"] = [p for p, _ in axis.ticks]
            dimension["ticktext"] = [t for _, t in axis.ticks]
        dimensions.append(dimension)
    line = {
        "color": panel.axis_colors,
        "colorscale": "Viridis",
        "showscale": True,
        "colorbar": {"title": {"text": panel.color_scale or ""}},
    }
    figure = go.Figure(go.Parcoords(line=line, dimensions=dimensions))
    figure.update_layout(title_text=chart.title, height=480, width=max(560, 160 * len(dimensions)))
    return figure

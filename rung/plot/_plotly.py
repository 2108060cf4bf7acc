"""Charts drawn with plotly, as interactive HTML (hover a line to see its trial)."""

from __future__ import annotations

import math
from typing import Any

from rung.errors import ConfigError
from rung.plot._charts import Chart, Trace, as_array, title_lines


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
    titles = [wrapped(p.title) if p.title != chart.title else "" for p in chart.panels]
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

        for trace in merged(panel.traces):
            # A band is the spread of the line of its label: the line is what the legend names.
            show = trace.label is not None and trace.label not in shown and trace.style != "band"
            if show:
                shown.add(str(trace.label))
            common = {
                "name": trace.label or "",
                "legendgroup": trace.label,
                "showlegend": show,
                "opacity": trace.opacity,
                "hovertext": _array(trace.hover, object),
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
            elif trace.style == "markers":
                item = go.Scatter(
                    x=_array(trace.x),
                    y=_array(trace.y),
                    mode="markers",
                    marker={"color": color(trace)},
                    **common,
                )
            else:
                shape = "hv" if trace.style == "step" else "linear"
                line = {"color": color(trace), "width": trace.width, "shape": shape}
                x, y = _array(trace.x), _array(trace.y)
                item = go.Scatter(x=x, y=y, mode="lines", line=line, **common)
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
    title = wrapped(chart.title)
    figure.update_layout(title_text=title, height=420 * rows, width=560 * columns)
    return figure


# From this many traces on a panel, those drawn alike are drawn as one (lines split by
# gaps): plotly takes seconds to build and send a figure of 10,000 traces, not of a few.
MERGE_FROM = 200
# From this many points on, a series is sent as a numpy array.
ARRAY_FROM = 1000


def merged(traces: list[Trace]) -> list[Trace]:
    """``traces``, with lines and markers that look alike (style, label, colour, width,
    opacity) drawn as one trace each when there are many: the same picture, hover included
    (each point keeps its text), at a fraction of the cost."""
    if len(traces) < MERGE_FROM:
        return traces
    groups: dict[tuple, Trace] = {}
    kept: list[Trace] = []
    for trace in traces:
        if trace.style not in ("line", "step", "markers") or trace.value is not None:
            kept.append(trace)
            continue
        key = (trace.style, trace.label, trace.color, trace.width, trace.opacity)
        group = groups.get(key)
        if group is None:
            group = Trace([], [], trace.style, trace.label, trace.color, hover=[])
            group.width, group.opacity = trace.width, trace.opacity
            groups[key] = group
            kept.append(group)
        elif trace.style != "markers":  # a gap: lines of two trials are not joined
            group.x.append(None)  # type: ignore[arg-type]
            group.y.append(None)  # type: ignore[arg-type]
            group.hover.append("")  # type: ignore[union-attr]
        group.x.extend(trace.x)
        group.y.extend(trace.y)
        group.hover.extend(trace.hover or [""] * len(trace.x))  # type: ignore[union-attr]
    return kept


def _array(values: list | None, kind: type = float) -> Any:
    """A long series as a numpy array (None a gap), which plotly checks and sends far faster
    than a list; a short one as it is."""
    if values is None or len(values) < ARRAY_FROM:
        return values
    return as_array(values, kind)


def wrapped(title: str) -> str:
    """A title in lines that fit a panel's width (plotly cuts off what does not)."""
    return "<br>".join(title_lines(title))


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
    figure.update_layout(
        title_text=wrapped(chart.title), height=480, width=max(560, 160 * len(dimensions))
    )
    return figure

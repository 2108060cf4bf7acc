"""Plots of experiments: ``pip install 'rung[plot]'`` (matplotlib; plotly for HTML).

Each function takes a ``Results`` or an experiment's folder and returns a matplotlib
``Figure`` (``backend="plotly"``: an interactive plotly figure). ``rung.plot.charts`` has
the same plots as data (panels of traces), and ``rung plot DIR`` writes them all as files.

    fig = rung.plot.learning_curves("rung_results/my_exp")
    fig.savefig("curves.png")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape as html_escape
from pathlib import Path
from typing import Any

from rung.errors import ConfigError, RungError
from rung.plot import _data as charts
from rung.plot._charts import Chart
from rung.plot._data import Source

BACKENDS = ("matplotlib", "plotly")


def render(chart: Chart, backend: str = "matplotlib") -> Any:
    """Draw a chart with matplotlib (a ``Figure``) or plotly (a ``go.Figure``)."""
    if backend == "plotly":
        from rung.plot._plotly import render as draw
    elif backend == "matplotlib":
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise ConfigError("plots need matplotlib: pip install 'rung[plot]'") from None
        from rung.plot._matplotlib import render as draw
    else:
        raise ConfigError(f"backend={backend!r}: use one of {list(BACKENDS)}")
    return draw(chart)


def best_so_far(source: Source, x: str = "time", backend: str = "matplotlib") -> Any:
    """The best metric value so far against experiment time (``x="time"``) or trials."""
    return render(charts.best_so_far(source, x), backend)


def learning_curves(
    source: Source, x: str = "training_iteration", log: bool = False, backend: str = "matplotlib"
) -> Any:
    """Each trial's metric over its iterations, coloured by fate: completed, stopped (a
    colour per iteration it was stopped at; one stopped at its first report is a marker),
    paused, failed. ``log``: the metric on a log scale."""
    return render(charts.learning_curves(source, x, log), backend)


def parallel_coordinates(
    source: Source, params: Sequence[str] | None = None, backend: str = "matplotlib"
) -> Any:
    """One line per trial across its parameters and the metric, coloured by the metric."""
    return render(charts.parallel_coordinates(source, params), backend)


def importance(
    source: Source, params: Sequence[str] | None = None, backend: str = "matplotlib"
) -> Any:
    """Parameter importance: a random forest's permutation importance (scikit-learn)."""
    return render(charts.importance(source, params), backend)


def slices(source: Source, params: Sequence[str] | None = None, backend: str = "matplotlib") -> Any:
    """The metric against each parameter, one panel each."""
    return render(charts.slices(source, params), backend)


def pbt(source: Source, params: Sequence[str] | None = None, backend: str = "matplotlib") -> Any:
    """Population-based training: each mutated parameter's schedule, and who copied whom."""
    return render(charts.pbt_schedules(source, params), backend)


def pareto_front(source: Source, backend: str = "matplotlib") -> Any:
    """Several objectives: each trial's last report, objective against objective, with the
    Pareto front marked and the trials that break a constraint apart."""
    return render(charts.pareto_front(source), backend)


def hypervolume(source: Source, backend: str = "matplotlib") -> Any:
    """Several objectives: the hypervolume of the front so far, over the experiment."""
    return render(charts.hypervolume_over_time(source), backend)


def time_to_solution(
    experiments: Mapping[str, Source | Sequence[Source]],
    top_k: int = 6,
    backend: str = "matplotlib",
) -> Any:
    """Several experiments (strategies; a list of runs each for seeds) over wall time: the
    mean of each one's ``top_k`` trials' best-so-far values, with their spread."""
    return render(charts.time_to_solution(experiments, top_k), backend)


# What ``rung plot DIR`` draws for one experiment, by file name.
KINDS: dict[str, Callable[[Source], Chart]] = {
    "best_so_far": charts.best_so_far,
    "best_so_far_trials": lambda source: charts.best_so_far(source, "trials"),
    "learning_curves": charts.learning_curves,
    "parallel_coordinates": charts.parallel_coordinates,
    "importance": charts.importance,
    "slices": charts.slices,
    "pbt": charts.pbt_schedules,
    "pareto_front": charts.pareto_front,
    "hypervolume": charts.hypervolume_over_time,
}


def save_all(
    source: Source, out: str | Path, kinds: Sequence[str] | None = None, html: bool = False
) -> tuple[list[Path], dict[str, str]]:
    """Write each plot of one experiment to ``out/<kind>.png`` (and, with ``html=True``,
    ``.html`` pages that share one ``plotly.min.js`` beside them, and an ``index.html``
    linking them). Returns the files written, and the kinds left out with the reason (a
    PBT plot of an experiment without PBT, say)."""
    unknown = sorted(set(kinds or ()) - set(KINDS))
    if unknown:
        raise ConfigError(f"unknown plot kinds {unknown}: choose from {sorted(KINDS)}")
    results = charts.load_results(source)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written, skipped = [], {}
    for kind in kinds or KINDS:
        try:
            chart = KINDS[kind](results)
        except RungError as error:
            skipped[kind] = str(error)
            continue
        written += _save(chart, out / kind, html)
    if html:
        written.append(_index(out, [p for p in written if p.suffix == ".html"], skipped))
    return written, skipped


def save_comparison(
    experiments: Mapping[str, Source | Sequence[Source]],
    out: str | Path,
    top_k: int = 6,
    html: bool = False,
) -> list[Path]:
    """Write ``time_to_solution.png`` (and ``.html``) comparing ``experiments``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return _save(charts.time_to_solution(experiments, top_k), out / "time_to_solution", html)


def _save(chart: Chart, stem: Path, html: bool) -> list[Path]:
    png = stem.with_suffix(".png")
    render(chart).savefig(png, dpi=110)
    written = [png]
    if html:
        page = stem.with_suffix(".html")
        # One copy of plotly.js beside the pages (4.8 MB), not one inside each.
        render(chart, "plotly").write_html(page, include_plotlyjs="directory")
        written.append(page)
    return written


def _index(out: Path, pages: Sequence[Path], skipped: Mapping[str, str]) -> Path:
    """An ``index.html`` linking every page written in ``out``, and saying what was left
    out and why."""
    links = "".join(f'<li><a href="{p.name}">{html_escape(p.stem)}</a></li>' for p in pages)
    left = "".join(
        f"<li>{html_escape(kind)}: {html_escape(reason)}</li>" for kind, reason in skipped.items()
    )
    body = f"<h1>rung plots</h1><ul>{links}</ul>" + (
        f"<p>Left out:</p><ul>{left}</ul>" * bool(left)
    )
    index = out / "index.html"
    index.write_text(f"<!doctype html><meta charset='utf-8'><title>rung plots</title>{body}\n")
    return index


__all__ = [
    "KINDS",
    "best_so_far",
    "charts",
    "hypervolume",
    "importance",
    "learning_curves",
    "parallel_coordinates",
    "pareto_front",
    "pbt",
    "render",
    "save_all",
    "save_comparison",
    "slices",
    "time_to_solution",
]

"""The dashboard's server: a small ASGI app (Starlette) over read-only views of experiment
folders. Each request folds only the records written since the last one, so polling a
running experiment costs what changed; nothing here writes to an experiment, unpickles or
runs its code."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
from collections.abc import AsyncIterator, Callable, Hashable, Sequence
from pathlib import Path
from typing import Any

from rung.dashboard.drawings import Drawing, Drawings, kept_out_of_collections
from rung.dashboard.overview import chart_json, overview, trial_detail
from rung.dashboard.tables import TableQuery, TrialRows, page_of
from rung.errors import ConfigError, RungError
from rung.plot._charts import Chart
from rung.view import FolderView, open_view

STATIC = Path(__file__).parent / "static"
# A large log is read this many records at a time (some 25 ms of work) while the server
# already answers, and only while no request is being answered: the page paints at once
# with what is read and fills in as the rest is (as TensorBoard does).
CHUNK = 5_000
PAUSE_S = 0.002


def plotly_script() -> Path:
    """plotly.js as the plotly package ships it: served by the dashboard itself, so the
    page works behind a firewall (no CDN)."""
    try:
        import plotly
    except ImportError:
        raise ConfigError("the dashboard needs plotly: pip install 'rung[dashboard]'") from None
    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def parse_query(params: Any) -> TableQuery:
    """A ``TableQuery`` from a request's query string: ``state=a,b``, ``sort=value``,
    ``desc=1``, ``offset``, ``limit`` (at most 1,000) and ``range=column:low:high`` (either
    end may be empty), repeated for several columns."""
    ranges: dict[str, tuple[float | None, float | None]] = {}
    for text in params.getlist("range"):
        column, _, ends = text.partition(":")
        low, _, high = ends.partition(":")
        try:
            ranges[column] = (float(low) if low else None, float(high) if high else None)
        except ValueError:
            raise ConfigError(f"range={text!r}: write column:low:high with numbers") from None
    try:
        offset, limit = int(params.get("offset", 0)), int(params.get("limit", 50))
    except ValueError:
        raise ConfigError("offset and limit are whole numbers") from None
    states = frozenset(s for s in params.get("state", "").split(",") if s)
    return TableQuery(
        states=states,
        ranges=ranges,
        sort=params.get("sort", "trial_id"),
        descending=params.get("desc", "0") in ("1", "true"),
        offset=max(0, offset),
        limit=min(max(0, limit), 1000),
    )


def create_app(folders: Sequence[str | os.PathLike]) -> Any:
    """The ASGI app serving the experiments in ``folders`` (each opened read-only now, so a
    folder that is not an experiment is named before the server starts)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import FileResponse, JSONResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    from rung.plot import KINDS

    views: list[FolderView] = []
    try:
        for folder in folders:
            views.append(open_view(folder, shared=True, limit=CHUNK))
    except BaseException:
        for view in views:
            view.close()
        raise
    reading = {index for index, view in enumerate(views) if view.position == CHUNK}
    drawings = Drawings()
    rows: dict[int, TrialRows] = {}
    overviews: dict[int, tuple[Any, dict[str, Any]]] = {}

    def view_of(request: Request) -> FolderView:
        index = int(request.path_params["index"])
        if not 0 <= index < len(views):
            raise LookupError(f"no experiment {index}; there are {len(views)}")
        return caught_up(index)

    def caught_up(index: int) -> FolderView:
        """The view, with what is new folded in (unless its log is still being read)."""
        view = views[index]
        if index not in reading and view.refresh():
            kept_out_of_collections()
        return view

    async def read_the_rest() -> None:
        """Fold the large logs a part at a time, whenever no request is being answered."""
        for index, view in enumerate(views):
            while index in reading:
                if answering:
                    await asyncio.sleep(PAUSE_S)
                    continue
                try:
                    done = len(view.refresh(limit=CHUNK)) < CHUNK
                    kept_out_of_collections()
                    # The table's rows keep up as the log is read, not all at the first ask.
                    rows.setdefault(index, TrialRows()).catch_up(view, view.objective)
                except RungError:
                    done = True  # refreshed again by the next request, which names it
                if done:
                    reading.discard(index)
                await asyncio.sleep(PAUSE_S)

    def answer(compute: Any) -> Any:
        async def endpoint(request: Request) -> JSONResponse:
            try:
                return JSONResponse(compute(request))
            except LookupError as error:
                return JSONResponse({"error": str(error).strip("'\"")}, status_code=404)
            except RungError as error:
                return JSONResponse({"error": str(error)}, status_code=400)

        return endpoint

    def experiments(request: Request) -> list[dict[str, Any]]:
        return [summary(index) for index in range(len(views))]

    def summary(index: int) -> dict[str, Any]:
        """One experiment's overview, made again only when its log or its meta moved."""
        view = caught_up(index)
        length = view.length() if index in reading else None
        key = (view.position, length, view.stop_reason, view.elapsed_before)
        made = overviews.get(index)
        if made is None or made[0] != key:
            made = overviews[index] = (key, overview(view, length))
        return made[1]

    def trials(request: Request) -> dict[str, Any]:
        view = view_of(request)
        query = parse_query(request.query_params)
        index = int(request.path_params["index"])
        built = rows.setdefault(index, TrialRows())
        built.catch_up(view, view.objective)
        return page_of(list(built.rows.values()), query)

    def trial(request: Request) -> dict[str, Any]:
        view = view_of(request)
        trial_id = request.path_params["trial_id"]
        detail = trial_detail(view, trial_id)
        if detail is None:
            raise LookupError(f"no trial {trial_id} in {view.name}")
        return detail

    def draw(make: Any, results: Any) -> tuple[Chart, str]:
        """A chart and its plotly figure, as ``rung plot --html`` draws it (in a thread)."""
        from rung.plot._plotly import render

        chart = make(results)
        return chart, render(chart).to_json()  # sent as it is, not parsed and written again

    async def drawing_of(request: Request) -> Drawing | None:
        """The chart ``rung.plot`` draws of this kind, drawn once per log position."""
        view = view_of(request)
        kind = request.path_params["kind"]
        if kind not in KINDS:
            raise LookupError(f"no chart {kind!r}; there are {sorted(KINDS)}")
        key = (int(request.path_params["index"]), kind)
        snapshot = view.results()  # taken here; drawn from in a worker thread
        return await drawings.get(
            key, view.position, functools.partial(draw, KINDS[kind], snapshot)
        )

    def comparison_of() -> tuple[Hashable, Callable[[], tuple[Chart, str]]]:
        """Time to solution over the experiments, as ``rung plot DIR DIR...`` draws it."""
        from rung.plot import charts as chart_data

        if len(views) < 2:
            raise ConfigError("a comparison needs two experiments or more")
        for index in range(len(views)):
            caught_up(index)
        names = [
            view.name if [v.name for v in views].count(view.name) == 1 else view.path
            for view in views
        ]
        snapshots = {name: view.results() for name, view in zip(names, views, strict=True)}
        positions = tuple(view.position for view in views)
        return positions, functools.partial(draw, chart_data.time_to_solution, snapshots)

    def drawn(part: str) -> Any:
        """An endpoint answering a drawing's ``part`` (chart data or figure), or 202 with
        ``{"drawing": true}`` while the first drawing is being made (ask again)."""

        async def endpoint(request: Request) -> Response:
            try:
                if part == "comparison":
                    positions, make = comparison_of()
                    drawing = await drawings.get("comparison", positions, make)
                else:
                    drawing = await drawing_of(request)
            except LookupError as error:
                return JSONResponse({"error": str(error).strip("'\"")}, status_code=404)
            except RungError as error:
                return JSONResponse({"error": str(error)}, status_code=400)
            if drawing is None:
                return JSONResponse({"drawing": True}, status_code=202)
            if drawing.error is not None or drawing.chart is None:
                return JSONResponse({"error": str(drawing.error)}, status_code=400)
            if part == "chart":
                return JSONResponse(chart_json(drawing.chart))
            return Response(drawing.figure, media_type="application/json")

        return endpoint

    def poll(request: Request) -> dict[str, Any]:
        return {"positions": [caught_up(index).position for index in range(len(views))]}

    async def page(request: Request) -> FileResponse:
        return FileResponse(STATIC / "index.html")

    async def plotly_js(request: Request) -> FileResponse:
        return FileResponse(plotly_script())

    routes = [
        Route("/api/experiments", answer(experiments)),
        Route("/api/experiments/{index:int}/trials", answer(trials)),
        Route("/api/experiments/{index:int}/trials/{trial_id}", answer(trial)),
        Route("/api/experiments/{index:int}/charts/{kind}", drawn("chart")),
        Route("/api/experiments/{index:int}/figures/{kind}", drawn("figure")),
        Route("/api/comparison", drawn("comparison")),
        Route("/api/poll", answer(poll)),
        Route("/", page),
        Route("/static/plotly.min.js", plotly_js),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        reader = asyncio.create_task(read_the_rest())
        try:
            yield
        finally:  # the read-only connections go with the server
            reader.cancel()
            for view in views:
                view.close()

    answering: set[int] = set()  # the requests being answered, which go before the reading
    served = Starlette(routes=routes, lifespan=lifespan)

    async def counted(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await served(scope, receive, send)
        key = id(scope)
        answering.add(key)
        try:
            await served(scope, receive, send)
        finally:
            answering.discard(key)

    return counted

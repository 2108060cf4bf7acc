"""The dashboard's server: a small ASGI app (Starlette) over read-only views of experiment
folders. Each request folds only the records written since the last one, so polling a
running experiment costs what changed; nothing here writes to an experiment, unpickles or
runs its code."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Sequence
from typing import Any

from rung.dashboard.overview import chart_json, overview, trial_detail
from rung.dashboard.tables import TableQuery, trials_page
from rung.errors import ConfigError, RungError
from rung.view import FolderView, open_view


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
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from rung.plot import KINDS

    views: list[FolderView] = []
    try:
        for folder in folders:
            views.append(open_view(folder, shared=True))
    except BaseException:
        for view in views:
            view.close()
        raise
    charts: dict[tuple[int, str], tuple[int, dict[str, Any]]] = {}

    def view_of(request: Request) -> FolderView:
        index = int(request.path_params["index"])
        if not 0 <= index < len(views):
            raise LookupError(f"no experiment {index}; there are {len(views)}")
        view = views[index]
        view.refresh()
        return view

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
        for view in views:
            view.refresh()
        return [overview(view) for view in views]

    def trials(request: Request) -> dict[str, Any]:
        view = view_of(request)
        query = parse_query(request.query_params)
        return trials_page(list(view.trials.values()), view.objective, query)

    def trial(request: Request) -> dict[str, Any]:
        view = view_of(request)
        trial_id = request.path_params["trial_id"]
        detail = trial_detail(view, trial_id)
        if detail is None:
            raise LookupError(f"no trial {trial_id} in {view.name}")
        return detail

    def chart(request: Request) -> dict[str, Any]:
        view = view_of(request)
        kind = request.path_params["kind"]
        if kind not in KINDS:
            raise LookupError(f"no chart {kind!r}; there are {sorted(KINDS)}")
        key = (int(request.path_params["index"]), kind)
        cached = charts.get(key)
        if cached is None or cached[0] != view.position:  # computed once per log position
            cached = (view.position, chart_json(KINDS[kind](view.results())))
            charts[key] = cached
        return cached[1]

    def poll(request: Request) -> dict[str, Any]:
        for view in views:
            view.refresh()
        return {"positions": [view.position for view in views]}

    routes = [
        Route("/api/experiments", answer(experiments)),
        Route("/api/experiments/{index:int}/trials", answer(trials)),
        Route("/api/experiments/{index:int}/trials/{trial_id}", answer(trial)),
        Route("/api/experiments/{index:int}/charts/{kind}", answer(chart)),
        Route("/api/poll", answer(poll)),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        try:
            yield
        finally:  # the read-only connections go with the server
            for view in views:
                view.close()

    return Starlette(routes=routes, lifespan=lifespan)

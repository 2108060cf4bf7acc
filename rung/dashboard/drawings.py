"""Charts drawn off the server's event loop: each computed in a worker thread from a
snapshot of the trials, kept for its log position, so that no request waits on a chart of a
large experiment for longer than a moment (it is answered "still drawing", or with the last
drawing while a newer one is made)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from rung.errors import RungError
from rung.plot._charts import Chart
from rung.store.sqlite import collection_paused

# A chart is computed again once the log has grown and this many times its last cost passed:
# a chart of seconds on a large running experiment is redrawn every half minute or so, not at
# each poll.
RECOMPUTE_AFTER_COSTS = 10
# How long a request waits for a drawing being made before it is answered without it.
WAIT_S = 0.05


@dataclass
class Drawing:
    """A chart and its plotly figure (JSON text) at a log position, or why it cannot be
    drawn."""

    position: Hashable
    chart: Chart | None
    figure: str | None
    error: RungError | None
    started: float
    cost_s: float

    def stale(self, position: Hashable) -> bool:
        """Whether to draw it again at ``position``: the log has grown and ten times its
        cost has passed since it was drawn."""
        waited = time.perf_counter() - self.started - self.cost_s
        return position != self.position and waited >= RECOMPUTE_AFTER_COSTS * self.cost_s


class Drawings:
    """The charts of a server, by key, drawn one at a time by a worker thread."""

    def __init__(self) -> None:
        self._done: dict[Hashable, Drawing] = {}
        self._busy: dict[Hashable, asyncio.Task[None]] = {}
        # One drawing at a time: the event loop then shares the interpreter with one thread,
        # not with one per chart (five at once made a 15 ms trials page take 3.6 s).
        self._drawer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rung-drawing")

    async def get(
        self, key: Hashable, position: Hashable, draw: Callable[[], tuple[Chart, str]]
    ) -> Drawing | None:
        """The drawing of ``key`` at ``position``, drawing it (``draw``, in a thread: it must
        read only a snapshot) when there is none or it is stale. A drawing that takes longer
        than a moment is answered with the last one made (None: none yet)."""
        done = self._done.get(key)
        if done is None or done.stale(position):
            if key not in self._busy:
                self._busy[key] = asyncio.create_task(self._make(key, position, draw))
            with contextlib.suppress(TimeoutError):  # answered without it, for now
                await asyncio.wait_for(asyncio.shield(self._busy[key]), WAIT_S)
        return self._done.get(key)

    async def _make(
        self, key: Hashable, position: Hashable, draw: Callable[[], tuple[Chart, str]]
    ) -> None:
        started = time.perf_counter()
        chart, figure, error = None, None, None
        try:
            chart, figure = await asyncio.get_running_loop().run_in_executor(
                self._drawer, _uncollected, draw
            )
        except RungError as refused:  # not a PBT experiment, too few trials: said by name
            error = refused
        finally:
            del self._busy[key]
        cost = time.perf_counter() - started
        self._done[key] = Drawing(position, chart, figure, error, started, cost)


def _uncollected(draw: Callable[[], tuple[Chart, str]]) -> tuple[Chart, str]:
    """``draw()`` with the cycle collector paused: a drawing makes hundreds of thousands of
    short-lived objects, and each full collection it set off would walk every trial in memory
    while holding the interpreter (80-250 ms that every request waited)."""
    with collection_paused():
        return draw()


def kept_out_of_collections() -> None:
    """Move what the server holds now (the folded log, above all) out of the cycle
    collector's reach, after collecting what is garbage: a full collection then walks only
    what is new, not every trial of a large experiment (150 ms on 500,000 results, holding
    the interpreter while a request waited). What is moved is freed as usual when its last
    reference goes; the collection first keeps cycles of garbage from being moved."""
    gc.collect()
    gc.freeze()

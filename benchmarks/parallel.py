"""Run a benchmark's independent jobs on worker processes, printing progress as they end."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from multiprocessing import Pool
from typing import Any


def run_jobs(
    function: Callable[[Any], dict], jobs: Sequence, processes: int, every: int
) -> list[dict]:
    """``function(job)`` for every job, in completion order; a line every ``every`` results."""
    started = time.perf_counter()
    results = []
    with Pool(processes) as pool:
        for result in pool.imap_unordered(function, jobs):
            results.append(result)
            if len(results) % every == 0:
                elapsed = time.perf_counter() - started
                print(f"{len(results)}/{len(jobs)} runs, {elapsed:.0f} s", flush=True)
    return results

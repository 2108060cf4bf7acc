"""The dashboard on a large experiment, against optuna-dashboard on a study of the same size.

Builds an experiment of ``--trials`` trials with ``--reports`` results each (10,000 x 50 =
500,000 by default; on the simulated executor, so it takes seconds of simulated training),
and an Optuna SQLite study of the same trials and intermediate values. Then serves each with
its dashboard in a process of its own and measures, over HTTP on this machine: the time from
starting the server to the page's first data (the page and the calls it makes first), each
API call (median of ``--repeats``), a poll when nothing is new, and the server's memory.
Prints a table and writes JSON.

    python benchmarks/dashboard.py                       # 10,000 trials x 50 reports
    python benchmarks/dashboard.py --trials 1000 --reports 20   # a quick look
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import rung  # noqa: E402
from rung.executors import SimulatedExecutor  # noqa: E402


def build_rung(folder: Path, trials: int, reports: int) -> float:
    """The experiment, on the simulated clock; returns the seconds it took to build."""

    def step(config: dict, iteration: int) -> tuple[dict, float]:
        """One simulated epoch of one second."""
        return {"loss": (config["x"] - 0.3) ** 2 + 1.0 / iteration}, 1.0

    started = time.perf_counter()
    rung.run(
        step,
        {"x": rung.uniform(0, 1), "y": rung.loguniform(1e-4, 1), "c": rung.choice(["a", "b", "c"])},
        metric="loss",
        mode="min",
        num_trials=trials,
        max_iterations=reports,
        executor=SimulatedExecutor(64),
        storage_path=folder,
        name="big",
        seed=0,
        verbose=0,
        result_files=False,
    )
    return time.perf_counter() - started


def build_optuna(path: Path, trials: int, reports: int) -> float:
    """An Optuna SQLite study with the same trials and intermediate values."""
    import numpy as np
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    started = time.perf_counter()
    study = optuna.create_study(storage=f"sqlite:///{path}", study_name="big")
    rng = np.random.default_rng(0)
    distributions = {
        "x": optuna.distributions.FloatDistribution(0, 1),
        "y": optuna.distributions.FloatDistribution(1e-4, 1, log=True),
        "c": optuna.distributions.CategoricalDistribution(["a", "b", "c"]),
    }
    batch = []
    for _ in range(trials):
        x = float(rng.uniform())
        params = {"x": x, "y": float(10 ** rng.uniform(-4, 0)), "c": str(rng.choice(list("abc")))}
        values = {step: (x - 0.3) ** 2 + 1.0 / step for step in range(1, reports + 1)}
        batch.append(
            optuna.trial.create_trial(
                params=params,
                distributions=distributions,
                value=values[reports],
                intermediate_values=values,
            )
        )
    study.add_trials(batch)
    return time.perf_counter() - started


def rss_mib(pid: int) -> float:
    """Resident memory of a process, in MiB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def first_answer(client: httpx.Client, url: str, deadline_s: float = 120.0) -> float:
    """Seconds until ``url`` first answers (the server may still be starting)."""
    started = time.perf_counter()
    while time.perf_counter() - started < deadline_s:
        try:
            client.get(url).raise_for_status()
            return time.perf_counter() - started
        except httpx.TransportError:
            time.sleep(0.01)
    raise RuntimeError(f"{url} did not answer in {deadline_s} s")


def timed(client: httpx.Client, url: str, repeats: int) -> float:
    """Median seconds of ``repeats`` GETs of ``url``."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        client.get(url).raise_for_status()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def until_drawn(client: httpx.Client, urls: dict[str, str], since: float) -> dict[str, float]:
    """Seconds from ``since`` until each figure is answered drawn (asked again, as the page
    does, while the server answers 202)."""
    drawn: dict[str, float] = {}
    while len(drawn) < len(urls):
        for kind, url in urls.items():
            if kind not in drawn and client.get(url).status_code != 202:
                drawn[kind] = time.perf_counter() - since
        time.sleep(0.05)
    return drawn


@contextlib.contextmanager
def served(command: list[str]) -> Iterator[tuple[str, float, int]]:
    """A dashboard server started with ``command`` and a free port: its address, when it
    was started and its process id; stopped afterwards."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [*command, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield f"http://127.0.0.1:{port}", started, process.pid
    finally:
        process.terminate()
        process.wait()


FIGURES = (
    "best_so_far",
    "best_so_far_trials",
    "learning_curves",
    "parallel_coordinates",
    "importance",
)
PAGE_FIRST = (
    "/",
    "/static/plotly.min.js",
    "/static/dashboard.js",
    "/api/poll",
    "/api/experiments",
    "/api/experiments/0/trials?limit=50",
)


def measure_rung(folder: Path, repeats: int, trials: int) -> dict:
    command = [sys.executable, "-m", "rung.cli", "dashboard", str(folder)]
    with served(command) as (base, started, pid), httpx.Client(timeout=60) as client:
        first_call = first_answer(client, f"{base}/api/experiments")
        # What the page asks for before it shows anything: while a large log is still being
        # read, the part read so far, with how far the reading is.
        for path in PAGE_FIRST:
            client.get(base + path).raise_for_status()
        first_paint = time.perf_counter() - started
        while client.get(f"{base}/api/experiments").json()[0]["reading"] is not None:
            time.sleep(0.25)  # the page asks every second
        whole_log = time.perf_counter() - started
        calls = {
            "experiments": "/api/experiments",
            "trials page (sorted by value)": "/api/experiments/0/trials?sort=value&limit=50",
            "trials page (filtered)": "/api/experiments/0/trials?range=value:0:0.1&limit=50",
            "one trial": f"/api/experiments/0/trials/{trials // 2:05d}",
            "best_so_far (cached)": "/api/experiments/0/figures/best_so_far",
            "poll, nothing new": "/api/poll",
        }
        # What the page draws once the log is read, all asked for at once as the page does:
        # the first answer (202, "still drawing", when it takes longer than a moment), the
        # other calls while the figures are drawn, and when each is drawn.
        figure_urls = {kind: f"{base}/api/experiments/0/figures/{kind}" for kind in FIGURES}
        asked = time.perf_counter()
        first_calls = {
            f"{kind}, first call": timed(client, u, 1) for kind, u in figure_urls.items()
        }
        while_drawing = {
            f"{name}, while figures are drawn": timed(client, base + path, 1)
            for name, path in calls.items()
        }
        chart_first = until_drawn(client, figure_urls, asked)
        latencies = {name: timed(client, base + path, repeats) for name, path in calls.items()}
        latencies.update(first_calls)
        latencies.update(while_drawing)
        memory = rss_mib(pid)
    said = figures(first_call, first_paint, latencies, memory, chart_first)
    return {**said, "server start to the whole log read_s": whole_log}


def measure_optuna(path: Path, repeats: int) -> dict:
    command = [str(Path(sys.executable).parent / "optuna-dashboard"), f"sqlite:///{path}"]
    with served(command) as (base, started, pid), httpx.Client(timeout=300) as client:
        first_call = first_answer(client, f"{base}/api/studies")
        study = client.get(f"{base}/api/studies").json()["study_summaries"][0]["study_id"]
        client.get(f"{base}/dashboard/").raise_for_status()
        client.get(f"{base}/api/studies/{study}").raise_for_status()
        first_paint = time.perf_counter() - started
        latencies = {
            "studies": timed(client, f"{base}/api/studies", repeats),
            "one study (its trials)": timed(client, f"{base}/api/studies/{study}", repeats),
        }
        memory = rss_mib(pid)
    return figures(first_call, first_paint, latencies, memory)


def figures(
    first_call: float,
    first_paint: float,
    latencies: dict,
    memory: float,
    chart_first: dict[str, float] | None = None,
) -> dict:
    """One dashboard's measurements, as the JSON keeps them."""
    said = {
        "server start to first answer_s": first_call,
        "server start to first page data_s": first_paint,
        "latency_s": latencies,
        "rss_mib": memory,
    }
    if chart_first is not None:
        said["each figure drawn, from the first asks_s"] = chart_first
    return said


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--reports", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-optuna", action="store_true", help="rung's dashboard only")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/dashboard.json")
    args = parser.parse_args()
    summary: dict = {"trials": args.trials, "reports_per_trial": args.reports}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        summary["rung_build_s"] = build_rung(folder, args.trials, args.reports)
        summary["rung"] = measure_rung(folder / "big", args.repeats, args.trials)
        if not args.no_optuna:
            study = folder / "optuna.db"
            summary["optuna_build_s"] = build_optuna(study, args.trials, args.reports)
            summary["optuna_dashboard"] = measure_optuna(study, args.repeats)
    print(f"{args.trials:,} trials x {args.reports} reports ({args.trials * args.reports:,})")
    for who in ("rung", "optuna_dashboard"):
        if who not in summary:
            continue
        said = summary[who]
        print(
            f"\n{who}: first answer {said['server start to first answer_s']:.2f} s, "
            f"first page data {said['server start to first page data_s']:.2f} s, "
            + (
                f"whole log read {said['server start to the whole log read_s']:.2f} s, "
                if who == "rung"
                else ""
            )
            + f"RSS {said['rss_mib']:.0f} MiB"
        )
        for name, seconds in said["latency_s"].items():
            print(f"  {name:<48} {seconds * 1000:8.1f} ms")
        for kind, seconds in said.get("each figure drawn, from the first asks_s", {}).items():
            print(f"  {kind + ' drawn after':<48} {seconds * 1000:8.1f} ms")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

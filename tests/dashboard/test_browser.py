"""The dashboard in a real browser (headless Chromium), on an experiment that is still
running: what each part shows is checked against the experiment's own log, and a screenshot
of each step is kept with the test's files."""

import contextlib
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import rung
from rung.executors import SimulatedExecutor
from rung.schedulers import PopulationBasedTraining

pytest.importorskip("uvicorn", reason="the dashboard extra (uvicorn) is not installed")
pytest.importorskip("selenium", reason="selenium is not installed (requirements-dev.txt)")

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 30  # an upper bound for the page to catch up, never a pace


def cells(browser, table):
    """The table's cells, read in one step (the page redraws tables when the log grows)."""
    return browser.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map("
        "r => Array.from(r.cells).map(c => c.textContent))",
        f"#{table} tbody tr",
    )


def clicked(browser, css: str, text_start: str = "") -> str:
    """Click the first element matching ``css`` (whose text starts so), found again if a
    redraw replaced it; its text."""

    def attempt(b):
        try:
            for element in b.find_elements(By.CSS_SELECTOR, css):
                if element.text.startswith(text_start):
                    text = element.text
                    element.click()
                    return text
        except StaleElementReferenceException:
            return False
        return False

    return WebDriverWait(browser, WAIT_S).until(attempt)


def waiting(browser) -> WebDriverWait:
    """A wait that looks again when the page redrew what it was reading (the tables are
    redrawn whenever the log grows)."""
    return WebDriverWait(browser, WAIT_S, ignored_exceptions=(StaleElementReferenceException,))


def shown(value: float) -> float:
    """A number as the page writes it: four significant digits."""
    return float(f"{value:.4g}")


@pytest.fixture
def live(tmp_path):
    """A running experiment whose last trial waits at a gate the test opens."""
    started, gate = tmp_path / "started", tmp_path / "gate"
    os.mkfifo(started)
    os.mkfifo(gate)
    experiment = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.dashboard.live_experiment",
            str(tmp_path),
            str(started),
            str(gate),
        ],
        cwd=ROOT,
    )
    try:
        with open(started) as fifo:  # returns once trial 00005 runs, trials 0-4 ended
            fifo.read()
        yield tmp_path / "live", gate, experiment
    finally:
        if experiment.poll() is None:
            experiment.kill()
        experiment.wait()


@contextlib.contextmanager
def serving(*folders):
    """``rung dashboard FOLDER...`` on a free port; its address."""
    server = subprocess.Popen(
        [sys.executable, "-m", "rung.cli", "dashboard", *map(str, folders), "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = server.stdout.readline()  # printed once the socket listens
        assert line.startswith("rung dashboard: http://127.0.0.1:"), line
        yield line.split()[2]
    finally:
        server.terminate()
        server.wait()


@pytest.fixture
def dashboard(live):
    with serving(live[0]) as address:
        yield address


def keep(browser, section: str, shots: Path, name: str) -> None:
    """A screenshot of one part of the page, with the test's files; also in the folder
    ``RUNG_DASHBOARD_SHOTS`` names, when set (how docs/images/dashboard/ is made)."""
    element = browser.find_element(By.ID, section)
    browser.execute_script("arguments[0].scrollIntoView()", element)
    element.screenshot(str(shots / f"{name}.png"))
    assert (shots / f"{name}.png").stat().st_size > 10_000, f"{name}: an empty screenshot"
    published = os.environ.get("RUNG_DASHBOARD_SHOTS")
    if published:
        shutil.copyfile(shots / f"{name}.png", Path(published) / f"{name}.png")


def drawn(browser, element_id: str) -> list[str]:
    """The names of the traces plotly drew in an element (none before it drew)."""
    return browser.execute_script(
        "return (document.getElementById(arguments[0]).data || []).map(t => t.name)", element_id
    )


def test_the_dashboard_follows_a_running_experiment(live, dashboard, browser, tmp_path):
    folder, gate, experiment = live
    shots = tmp_path / "screenshots"
    shots.mkdir()
    browser.get(dashboard)
    wait = waiting(browser)

    # The overview: six trials, one running, the best so far as the log has it.
    wait.until(lambda b: cells(b, "experiments") and cells(b, "experiments")[0][2] == "6 of 6")
    wait.until(lambda b: cells(b, "experiments")[0][3] == "1")
    loaded = rung.load(folder)
    row = cells(browser, "experiments")[0]
    assert row[0] == "live" and row[1] == "loss (min)"
    assert float(row[7]) == shown(loaded.best_result["loss"])
    assert row[8] == loaded.best_trial.trial_id
    stopped = [t for t in loaded.trials if t.status is rung.TrialStatus.STOPPED]
    assert row[5] == str(len(stopped)) and stopped, "ASHA stopped some of the first five"
    wait.until(lambda b: drawn(b, "best_so_far"))
    keep(browser, "overview", shots, "overview")

    # The trials table sorts on the server: by value, lowest first.
    clicked(browser, "#trials th", "value")
    wait.until(lambda b: "▲" in b.find_element(By.CSS_SELECTOR, "#trials th:nth-child(4)").text)
    values = [float(r[3]) for r in cells(browser, "trials") if r[3]]
    assert values == sorted(values) and len(values) == 5  # the running one has no value yet

    # Filtered to the stopped trials.
    Select(browser.find_element(By.ID, "state")).select_by_visible_text("stopped")
    wait.until(lambda b: b.find_element(By.ID, "page").text.endswith(f"of {len(stopped)}"))
    assert {r[1] for r in cells(browser, "trials")} == {"stopped"}
    keep(browser, "trials_section", shots, "trials")

    # One stopped trial: its curve, with where it was stopped.
    trial_id = clicked(browser, "#trials tbody tr").split()[0]
    wait.until(lambda b: b.find_element(By.ID, "trial_title").text.startswith(f"Trial {trial_id}"))
    iterations = next(t for t in loaded.trials if t.trial_id == trial_id).iterations
    assert f"stopped at {iterations}" in drawn(browser, "trial_curve")
    keep(browser, "trial_section", shots, "trial")

    # The last trial goes on and the run ends: the page says so without a reload.
    with open(gate, "w") as fifo:
        fifo.write("go\n")
    assert experiment.wait(timeout=120) == 0
    wait.until(lambda b: cells(b, "experiments")[0][11] == "num_trials=6 trials were run")
    assert cells(browser, "experiments")[0][3] == "0"
    wait.until(lambda b: drawn(b, "learning_curves") and drawn(b, "parallel_coordinates"))
    keep(browser, "all_trials", shots, "all_trials")
    browser.save_screenshot(str(shots / "ended.png"))
    assert (shots / "ended.png").stat().st_size > 20_000


def simulated(config, iteration):
    """Simulated epochs: the loss falls with them, lowest near x = 0.3."""
    return {"loss": (config["x"] - 0.3) ** 2 + 1.0 / iteration}, 1.0


def simulated_lr(config, iteration):
    """Simulated training where a large learning rate helps early and a small one late."""
    if iteration > 12:
        return None
    target = 0.1 if iteration <= 4 else 0.01
    return {"loss": abs(math.log10(config["lr"]) - math.log10(target)) + 1.0 / iteration}, 1.0


def test_experiments_side_by_side_and_what_pbt_copied(browser, tmp_path):
    shots = tmp_path / "screenshots"
    shots.mkdir()
    common = {"metric": "loss", "mode": "min", "storage_path": tmp_path, "verbose": 0}
    asha = rung.run(
        simulated,
        {"x": rung.uniform(0, 1)},
        num_trials=40,
        max_iterations=9,
        scheduler={"name": "asha", "max_t": 9},
        executor=SimulatedExecutor(4),
        name="asha",
        seed=0,
        **common,
    )
    mutations = {"lr": rung.loguniform(1e-3, 1.0)}
    pbt = rung.run(
        simulated_lr,
        mutations,
        num_trials=8,
        scheduler=PopulationBasedTraining(perturbation_interval=2, hyperparam_mutations=mutations),
        executor=SimulatedExecutor(8),
        name="pbt",
        seed=1,
        **common,
    )
    with serving(tmp_path / "asha", tmp_path / "pbt") as address:
        browser.get(address)
        wait = waiting(browser)

        # Both experiments, and the time to solution of each, side by side.
        wait.until(lambda b: len(cells(b, "experiments")) == 2)
        rows = cells(browser, "experiments")
        assert [r[0] for r in rows] == ["asha", "pbt"]
        assert [r[2] for r in rows] == ["40 of 40", "8 of 8"]
        assert [r[8] for r in rows] == [asha.best_trial.trial_id, pbt.best_trial.trial_id]
        wait.until(lambda b: drawn(b, "comparison") and drawn(b, "best_so_far"))
        assert {"asha", "pbt"} <= set(drawn(browser, "comparison"))
        keep(browser, "overview", shots, "comparison")

        # The PBT experiment: each trial's learning rate as it was copied and mutated.
        Select(browser.find_element(By.ID, "experiment")).select_by_visible_text("pbt")
        wait.until(lambda b: b.find_element(By.ID, "pbt_section").is_displayed())
        wait.until(lambda b: f"best trial {pbt.best_trial.trial_id}" in drawn(b, "pbt"))

        # A trial that copied another: its curve marks the copy.
        copier = next(t for t in pbt.trials if t.lineage)
        clicked(browser, "#trials tbody tr", copier.trial_id)
        donor = copier.lineage[0]["donor"]
        wait.until(lambda b: f"copied {donor}" in drawn(b, "trial_curve"))
        keep(browser, "pbt_section", shots, "pbt")


def two_objectives(config, iteration):
    """Simulated epochs of a model that trades accuracy against latency."""
    if iteration > 3:
        return None
    x = config["x"]
    return {"acc": x * (1 - 0.5 / iteration), "latency": x**2 + 0.1 * config["y"]}, 1.0


def test_several_objectives_show_their_front(browser, tmp_path):
    shots = tmp_path / "screenshots"
    shots.mkdir()
    results = rung.run(
        two_objectives,
        {"x": rung.uniform(0, 1), "y": rung.uniform(0, 1)},
        metric=["acc", "latency"],
        mode=["max", "min"],
        constraints=["latency <= 0.8"],
        num_trials=40,
        executor=SimulatedExecutor(4),
        storage_path=tmp_path,
        name="two",
        seed=0,
        verbose=0,
    )
    front = results.front()
    with serving(tmp_path / "two") as address:
        browser.get(address)
        wait = waiting(browser)
        wait.until(
            lambda b: cells(b, "experiments") and cells(b, "experiments")[0][2] == "40 of 40"
        )
        row = cells(browser, "experiments")[0]
        assert row[1] == "max 'acc', min 'latency'" and row[7] == f"a front of {len(front)}"
        wait.until(lambda b: drawn(b, "pareto_front") and drawn(b, "hypervolume"))
        assert f"the Pareto front ({len(front)})" in drawn(browser, "pareto_front")
        assert not browser.find_element(By.ID, "best_so_far").is_displayed()
        keep(browser, "overview", shots, "several_objectives")

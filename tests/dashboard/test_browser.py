"""The dashboard in a real browser (headless Chromium), on an experiment that is still
running: what each part shows is checked against the experiment's own log, and a screenshot
of each step is kept with the test's files."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import rung

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


@pytest.fixture
def dashboard(live):
    folder = live[0]
    server = subprocess.Popen(
        [sys.executable, "-m", "rung.cli", "dashboard", str(folder), "--port", "0"],
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


def test_the_dashboard_follows_a_running_experiment(live, dashboard, browser, tmp_path):
    folder, gate, experiment = live
    shots = tmp_path / "screenshots"
    shots.mkdir()
    browser.get(dashboard)
    wait = WebDriverWait(browser, WAIT_S)

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
    wait.until(
        lambda b: (
            b.execute_script("return (document.getElementById('best_so_far').data || []).length")
            > 0
        )
    )
    browser.save_screenshot(str(shots / "overview.png"))

    # The trials table sorts on the server: by value, lowest first.
    clicked(browser, "#trials th", "value")
    wait.until(lambda b: "▲" in b.find_element(By.CSS_SELECTOR, "#trials th:nth-child(4)").text)
    values = [float(r[3]) for r in cells(browser, "trials") if r[3]]
    assert values == sorted(values) and len(values) == 5  # the running one has no value yet

    # Filtered to the stopped trials.
    Select(browser.find_element(By.ID, "state")).select_by_visible_text("stopped")
    wait.until(lambda b: b.find_element(By.ID, "page").text.endswith(f"of {len(stopped)}"))
    assert {r[1] for r in cells(browser, "trials")} == {"stopped"}

    # One stopped trial: its curve, with where it was stopped.
    trial_id = clicked(browser, "#trials tbody tr").split()[0]
    wait.until(lambda b: b.find_element(By.ID, "trial_title").text.startswith(f"Trial {trial_id}"))
    names = browser.execute_script(
        "return document.getElementById('trial_curve').data.map(t => t.name)"
    )
    iterations = next(t for t in loaded.trials if t.trial_id == trial_id).iterations
    assert f"stopped at {iterations}" in names
    browser.save_screenshot(str(shots / "trial.png"))

    # The last trial goes on and the run ends: the page says so without a reload.
    with open(gate, "w") as fifo:
        fifo.write("go\n")
    assert experiment.wait(timeout=120) == 0
    wait.until(lambda b: cells(b, "experiments")[0][11] == "num_trials=6 trials were run")
    assert cells(browser, "experiments")[0][3] == "0"
    browser.save_screenshot(str(shots / "ended.png"))
    for shot in ("overview", "trial", "ended"):
        assert (shots / f"{shot}.png").stat().st_size > 20_000

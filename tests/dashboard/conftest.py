"""A headless Chromium and its driver for the browser tests, installed with apt-get when
missing (these machines run as root), once per machine even with several test workers."""

import fcntl
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


def _install_chromium() -> str:
    """Why Chromium and chromedriver are missing after trying to install them, or ""."""
    if shutil.which("chromium") and shutil.which("chromedriver"):
        return ""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "chromium and chromedriver are missing and apt-get cannot install them here"
    lock = Path(tempfile.gettempdir()) / "rung-chromium-install.lock"
    with open(lock, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # one apt-get at a time across test workers
        if not (shutil.which("chromium") and shutil.which("chromedriver")):
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
            done = subprocess.run(
                ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"],
                env=env,
                capture_output=True,
                text=True,
            )
            if done.returncode:
                return f"apt-get could not install chromium: {done.stderr.strip()[-300:]}"
    return ""


@pytest.fixture
def browser():
    """A headless Chrome driven by Selenium, at 1400 x 1800."""
    pytest.importorskip("selenium", reason="selenium is not installed (requirements-dev.txt)")
    missing = _install_chromium()
    if missing:
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument("--window-size=1400,1800")
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def six_asha_trials(tune, tmp_path):
    """Six inline trials of the quadratic under ASHA, in ``tmp_path / "exp"``: their results."""
    import rung
    from tests import trainables

    return tune(
        trainables.quadratic,
        {"x": rung.uniform(0, 1)},
        num_trials=6,
        name="exp",
        executor="inline",
        scheduler={"name": "asha", "max_t": 5},
    )

"""Debian packages that system tests need (Slurm, munge, sshfs), installed on first use:
these machines run as root. A test that cannot have them is skipped with the reason."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess

import pytest


def ensure_debian_packages(commands: dict[str, str]) -> None:
    """Make each command of ``{command: package}`` available, installing the missing
    packages with apt-get; skip the calling test, saying why, where that cannot be done."""
    missing = sorted({package for command, package in commands.items() if not _found(command)})
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip(f"needs the Debian packages {missing}, and apt-get as root to install them")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # One installer at a time (test processes run side by side).
    with open("/tmp/rung-tests-apt.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", *missing]):
            if command[1] == "install":
                command = [*command[:4], *(p for p in missing if not _installed(p))]
                if len(command) == 4:
                    break
            done = subprocess.run(command, capture_output=True, text=True, env=environment)
            if done.returncode != 0:
                said = done.stderr[-500:]
                pytest.skip(f"could not install {missing}: {' '.join(command)} said {said}")
    still = [command for command in commands if not _found(command)]
    if still:
        pytest.skip(f"{still} still missing after installing {missing}")


def _installed(package: str) -> bool:
    query = ["dpkg-query", "-W", "-f=${Status}", package]
    done = subprocess.run(query, capture_output=True, text=True)
    return "install ok installed" in done.stdout


def _found(command: str) -> bool:
    return shutil.which(command) is not None or os.path.exists(command)

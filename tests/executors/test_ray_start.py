"""How the Ray executor finds or starts a Ray."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'rung[ray]')")

SCRIPT = textwrap.dedent(
    """
    import rung
    results = rung.run(lambda config: {"loss": config["x"]}, {"x": rung.uniform(0, 1)},
                       metric="loss", mode="min", num_trials=3, executor="ray", verbose=0)
    print("TRIALS", len(results.trials), flush=True)
    """
)


def test_a_new_local_ray_starts_where_a_cluster_once_ran(tmp_path):
    """`ray start` leaves the address of its cluster in the machine's Ray folder; a Ray
    that is gone must not be joined (ray.init then refused rung's CPU count)."""
    from ray._common.utils import get_ray_address_file

    address_file = Path(get_ray_address_file(None))
    before = address_file.read_text() if address_file.exists() else None
    address_file.parent.mkdir(parents=True, exist_ok=True)
    address_file.write_text("127.0.0.1:1")  # a cluster that ran here once
    try:
        environment = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
        ran = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=environment,
            timeout=120,
        )
    finally:
        if before is None:
            address_file.unlink(missing_ok=True)
        else:
            address_file.write_text(before)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "TRIALS 3" in ran.stdout


GUARDED = textwrap.dedent(
    """
    import os, subprocess, sys
    import ray  # imported before rung starts its Ray, as a user's script may
    import rung

    def joins(gcs, environment):
        code = f"import ray; ray.init(address={gcs!r}, logging_level='ERROR'); print('JOINED')"
        probe = subprocess.run([sys.executable, "-c", code], env=environment,
                               capture_output=True, text=True, timeout=90)
        return "JOINED" in probe.stdout

    def probe(config):
        gcs = ray.get_runtime_context().gcs_address
        # Another process of this user: it has the user's token (~/.ray/auth_token), not
        # the one rung made for this Ray.
        outsider = {k: v for k, v in os.environ.items() if not k.startswith("RAY_AUTH")}
        outsider["RAY_AUTH_MODE"] = "token"
        return {"loss": 0.0, "outsider": joins(gcs, outsider), "insider": joins(gcs, os.environ)}

    results = rung.run(probe, {"x": rung.uniform(0, 1)}, metric="loss", mode="min",
                       num_trials=1, executor="ray", verbose=0)
    result = results.trials[0].last_result
    print("OUTSIDER", result["outsider"], "INSIDER", result["insider"], flush=True)
    print("AFTER", os.environ.get("RAY_AUTH_MODE"), flush=True)
    """
)


def test_the_local_ray_rung_starts_takes_only_its_own_token(tmp_path):
    """Ray's servers listen on every interface; the Ray rung starts for itself takes a
    token of its own (not even the user's), and the environment is as it was once that Ray
    ends."""
    home = tmp_path / "home"
    (home / ".ray").mkdir(parents=True)
    (home / ".ray" / "auth_token").write_text("0123456789abcdef" * 4)  # the user's token
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("RAY_AUTH", "RAY_ADDRESS"))
    }
    environment["HOME"] = str(home)
    ran = subprocess.run(
        [sys.executable, "-c", GUARDED],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert "OUTSIDER False INSIDER True" in ran.stdout, ran.stderr[-3000:]
    assert "AFTER None" in ran.stdout


def test_a_run_in_a_ray_job_uses_its_cluster_without_being_told(local_ray, monkeypatch):
    """`rung slurm` jobs set RAY_ADDRESS: the default executor then runs on that cluster
    instead of one node's processes (here, the Ray this process already joined)."""
    import rung
    from tests import trainables

    def run():
        return rung.run(
            trainables.says_where_it_runs,
            {"x": rung.uniform(0, 1)},
            metric="loss",
            mode="min",
            num_trials=2,
            verbose=0,
        )

    monkeypatch.setenv("RAY_ADDRESS", "auto")
    assert all(t.last_result["in_ray"] for t in run().trials)
    monkeypatch.delenv("RAY_ADDRESS")
    assert not any(t.last_result["in_ray"] for t in run().trials)

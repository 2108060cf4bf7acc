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

"""The sbatch script `rung slurm` writes, read as text and by bash (the real Slurm run is
tests/system/test_slurm.py)."""

import os
import subprocess
import sys

import pytest

import rung
from rung.slurm import sbatch_script


def test_the_script_asks_for_the_allocation_and_runs_the_command_on_its_ray(tmp_path):
    script = sbatch_script(
        ["python", "tune.py", "--lr", "0.1 0.2"],
        nodes=4,
        cpus_per_node=32,
        gpus_per_node=4,
        time_limit="08:00:00",
        partition="gpu",
        extra=["--mem=64G"],
    )
    for line in (
        "#SBATCH --nodes=4",
        "#SBATCH --cpus-per-task=32",
        "#SBATCH --gpus-per-node=4",
        "#SBATCH --time=08:00:00",
        "#SBATCH --partition=gpu",
        "#SBATCH --mem=64G",
        "--num-gpus=4",
        'wait-for-nodes "$SLURM_JOB_NUM_NODES"',
        "python tune.py --lr '0.1 0.2'",
    ):
        assert line in script, line
    path = tmp_path / "job.sbatch"
    path.write_text(script)
    checked = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"command": []}, "give the command to run"),
        ({"command": ["python"], "nodes": 0}, "nodes=0"),
        ({"command": ["python"], "gpus_per_node": -1}, "gpus_per_node=-1"),
    ],
)
def test_bad_settings_are_refused(settings, message):
    with pytest.raises(rung.ConfigError, match=message):
        sbatch_script(**settings)


def test_the_command_runs_the_python_rung_was_installed_for():
    script = sbatch_script(["python", "tune.py"])
    lines = script.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("PYTHON="))
    end = next(i for i, line in enumerate(lines) if line.startswith("export PATH="))
    prologue = "\n".join([*lines[start : end + 1], "command -v python"])
    found = subprocess.run(
        ["bash", "-c", prologue],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin"},
    )
    assert found.stdout.strip() == os.path.join(os.path.dirname(sys.executable), "python")

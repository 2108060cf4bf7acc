"""Running the ``rung`` command line as a user would: a fresh process in a folder."""

import os
import subprocess
import sys


def rung_command(*args, cwd, home=None) -> subprocess.CompletedProcess:
    """Run ``rung ARGS`` in ``cwd`` (optionally with another home folder), without this
    checkout on the import path, so only what a user would have is importable."""
    env = {**os.environ, **({"HOME": str(home)} if home else {})}
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [sys.executable, "-m", "rung.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=180,
        env=env,
    )

"""Running an experiment on a Slurm allocation: an sbatch script that starts a Ray cluster
on the allocated nodes, runs the tuning command against it, and takes Ray down at the end.

The script starts a Ray head on the first node and a Ray worker on each other node (each an
``srun`` step), waits until every node has joined, then runs the command with
``RAY_ADDRESS`` set, so ``executor="ray"`` uses the whole allocation. When the job ends, is
cancelled (``scancel``) or runs out of time, the steps end and Ray with them; the
experiment's log is safe at any moment, so a command that runs with ``resume="auto"`` (or
``rung resume DIR``) continues in the next job where this one stopped.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from rung.errors import ConfigError

TEMPLATE = """\
#!/bin/bash
#SBATCH --job-name={job_name}
#SBATCH --nodes={nodes}
#SBATCH --ntasks-per-node=1
#SBATCH --cpus-per-task={cpus}
{gpu_line}#SBATCH --output={output}
{optional_lines}
# Written by `rung slurm`: a Ray cluster on this allocation, then the tuning command on it.
set -euo pipefail

PYTHON={python}
RAY={ray}
# The command's `python` is the one rung and Ray were installed for.
export PATH="$(dirname "$PYTHON"):$PATH"
nodes=($(scontrol show hostnames "$SLURM_JOB_NODELIST"))
head_node=${{nodes[0]}}
head_ip=$(srun --nodes=1 --ntasks=1 --overlap -w "$head_node" hostname --ip-address \
    | awk '{{print $1}}')
# A port of this job's own, so jobs sharing a node do not meet.
port=$((20000 + SLURM_JOB_ID % 20000))
export RAY_ADDRESS="$head_ip:$port"
# A token of this job's own for Ray's authentication; every step inherits it.
export RAY_AUTH_MODE=token
export RAY_AUTH_TOKEN=$("$PYTHON" -c 'import secrets; print(secrets.token_hex(32))')

# Whatever ends this job (the command's end, scancel, the time limit) ends Ray's steps.
trap 'kill $(jobs -p) 2>/dev/null || true; wait || true' EXIT

srun --nodes=1 --ntasks=1 --overlap -w "$head_node" \\
    "$RAY" start --head --block --node-ip-address="$head_ip" --port="$port" \\
    --num-cpus="$SLURM_CPUS_PER_TASK" {ray_gpus}--include-dashboard=false &
if [ "$SLURM_JOB_NUM_NODES" -gt 1 ]; then
    srun --nodes=$((SLURM_JOB_NUM_NODES - 1)) --ntasks=$((SLURM_JOB_NUM_NODES - 1)) \\
        --overlap --exclude="$head_node" \\
        "$RAY" start --block --address="$RAY_ADDRESS" \\
        --num-cpus="$SLURM_CPUS_PER_TASK" {ray_gpus}&
fi
"$PYTHON" -m rung.slurm wait-for-nodes "$SLURM_JOB_NUM_NODES" --timeout {join_timeout}

{command}
"""


# What sbatch takes for --time: "M", "M:S", "H:M:S", "D-H", "D-H:M", "D-H:M:S", or unlimited.
SLURM_TIME = re.compile(
    r"\d+(:\d{1,2}){0,2}|\d+-\d{1,2}(:\d{1,2}){0,2}|unlimited|infinite|UNLIMITED|INFINITE"
)


def sbatch_script(
    command: Sequence[str],
    nodes: int = 1,
    cpus_per_node: int = 1,
    gpus_per_node: int = 0,
    time_limit: str | None = None,
    partition: str | None = None,
    account: str | None = None,
    job_name: str = "rung",
    output: str = "rung-%j.out",
    extra: Sequence[str] = (),
    join_timeout_s: int = 600,
) -> str:
    """The text of an sbatch script that runs ``command`` on a Ray cluster spanning the
    allocation (see the module's docstring). ``extra`` lines are added as ``#SBATCH``
    options (``"--mem=64G"``, ``"--constraint=a100"``)."""
    if not command:
        raise ConfigError("give the command to run, e.g. -- python tune.py")
    for knob, value in (("nodes", nodes), ("cpus_per_node", cpus_per_node)):
        if not isinstance(value, int) or value < 1:
            raise ConfigError(f"{knob}={value!r} must be a whole number >= 1")
    if not isinstance(gpus_per_node, int) or gpus_per_node < 0:
        raise ConfigError(f"gpus_per_node={gpus_per_node!r} must be >= 0")
    options = {"job_name": job_name, "output": output, "partition": partition, "account": account}
    options |= {f"sbatch[{i}]": line for i, line in enumerate(extra)}
    for knob, text in {"time": time_limit, **options}.items():
        if text is not None and any(c in text for c in "\n\r\0"):
            raise ConfigError(
                f"{knob}={text!r} holds a line break; each option is one line of the script"
            )
    if time_limit is not None and not SLURM_TIME.fullmatch(time_limit):
        raise ConfigError(
            f"time={time_limit!r} is not a Slurm time limit: use minutes, "
            "minutes:seconds, hours:minutes:seconds, days-hours, days-hours:minutes or "
            "days-hours:minutes:seconds (e.g. 08:00:00 or 2-00:00:00)"
        )
    optional = [f"--time={time_limit}"] if time_limit else []
    optional += [f"--partition={partition}"] if partition else []
    optional += [f"--account={account}"] if account else []
    optional += [line.removeprefix("#SBATCH ").strip() for line in extra]
    ray = Path(sys.executable).with_name("ray")
    return TEMPLATE.format(
        job_name=job_name,
        nodes=nodes,
        cpus=cpus_per_node,
        gpu_line=f"#SBATCH --gpus-per-node={gpus_per_node}\n" if gpus_per_node else "",
        output=output,
        optional_lines="".join(f"#SBATCH {option}\n" for option in optional),
        python=shlex.quote(sys.executable),
        ray=shlex.quote(str(ray) if ray.exists() else "ray"),
        ray_gpus=f"--num-gpus={gpus_per_node} " if gpus_per_node else "",
        join_timeout=join_timeout_s,
        command=shlex.join(command),
    )


def wait_for_nodes(count: int, timeout_s: float, address: str | None = None) -> int:
    """Block until a Ray cluster (``RAY_ADDRESS``) counts ``count`` live nodes; returns how
    many there are. Raises ConfigError after ``timeout_s``, saying how many joined."""
    import ray

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            ray.init(
                address=address or os.environ.get("RAY_ADDRESS", "auto"),
                logging_level=logging.ERROR,
            )
            break
        except ConnectionError as error:
            if time.monotonic() > deadline:
                raise ConfigError(f"no Ray head answered within {timeout_s:g} s: {error}") from None
            time.sleep(0.5)  # the head is still starting
    try:
        while True:
            alive = sum(1 for node in ray.nodes() if node.get("Alive"))
            if alive >= count:
                return alive
            if time.monotonic() > deadline:
                raise ConfigError(
                    f"only {alive} of {count} Ray nodes joined within {timeout_s:g} s"
                )
            time.sleep(0.5)  # nodes are still joining
    finally:
        ray.shutdown()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rung.slurm wait-for-nodes N [--timeout S]``, used by the sbatch script."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m rung.slurm")
    commands = parser.add_subparsers(dest="command", required=True)
    wait = commands.add_parser("wait-for-nodes", help="wait until N Ray nodes are up")
    wait.add_argument("count", type=int)
    wait.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args(argv)
    try:
        alive = wait_for_nodes(args.count, args.timeout)
    except ConfigError as error:
        print(f"rung: {error}", file=sys.stderr)
        return 1
    print(f"rung: {alive} Ray nodes are up", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A two-node Slurm cluster on this machine (Debian's slurm-wlm and munge: two slurmd
daemons, one per node name, each with one CPU), for the tests that submit real sbatch
jobs."""

from __future__ import annotations

import os
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.system.packages import ensure_debian_packages

PACKAGES = {
    "slurmctld": "slurmctld",
    "slurmd": "slurmd",
    "sbatch": "slurm-client",
    "munged": "munge",
}


@dataclass
class SlurmCluster:
    conf: Path

    @property
    def environment(self) -> dict[str, str]:
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def command(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(
            list(args), capture_output=True, text=True, env=self.environment, **kwargs
        )


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _start_munge() -> None:
    """munged as its own user, with the key the package made; one per machine."""
    if subprocess.run(["pgrep", "-x", "munged"], capture_output=True).returncode == 0:
        return
    for folder in ("/run/munge", "/var/log/munge", "/var/lib/munge"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        subprocess.run(["chown", "munge:munge", folder], check=True)
    if not Path("/etc/munge/munge.key").exists():
        subprocess.run(["/usr/sbin/mungekey", "--create"], check=True)
        subprocess.run(["chown", "munge:munge", "/etc/munge/munge.key"], check=True)
    subprocess.run(["runuser", "-u", "munge", "--", "/usr/sbin/munged"], check=True)


NODES = ("n1", "n2")


def start_slurm(folder: Path) -> tuple[SlurmCluster, list[Path]]:
    """slurmctld and a slurmd per node name, all on this host; waits until the nodes are
    idle. Returns the cluster and the daemons' pid files."""
    ensure_debian_packages(PACKAGES)
    _start_munge()
    host = socket.gethostname().split(".")[0]
    controller_port, *node_ports = _free_ports(1 + len(NODES))
    for sub in ("state", "log", *(f"spool/{node}" for node in NODES)):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    nodes = "".join(
        f"NodeName={node} NodeHostname={host} Port={port} CPUs=1 State=UNKNOWN\n"
        for node, port in zip(NODES, node_ports, strict=True)
    )
    conf = folder / "slurm.conf"
    conf.write_text(
        f"""ClusterName=rungtest
SlurmctldHost={host}
SlurmUser=root
SlurmdUser=root
SlurmctldPort={controller_port}
AuthType=auth/munge
StateSaveLocation={folder / "state"}
SlurmdSpoolDir={folder / "spool" / "%n"}
SlurmctldPidFile={folder / "slurmctld.pid"}
SlurmdPidFile={folder / "slurmd-%n.pid"}
SlurmctldLogFile={folder / "log" / "slurmctld.log"}
SlurmdLogFile={folder / "log" / "slurmd-%n.log"}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
KillWait=5
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
{nodes}PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""
    )
    cluster = SlurmCluster(conf)
    daemons = [["/usr/sbin/slurmctld"], *(["/usr/sbin/slurmd", "-N", node] for node in NODES)]
    for daemon in daemons:
        started = cluster.command(*daemon, "-f", str(conf))
        if started.returncode != 0:
            pytest.skip(f"{daemon} would not start here: {started.stderr.strip()[-300:]}")
    pid_files = [folder / "slurmctld.pid", *(folder / f"slurmd-{node}.pid" for node in NODES)]
    # A job on every node: Slurm starts it once the nodes have registered (or gives up).
    ready = cluster.command("srun", f"--nodes={len(NODES)}", "--immediate=60", "true", timeout=90)
    if ready.returncode != 0:
        stop_slurm(pid_files)
        pytest.skip(f"the Slurm nodes never became ready: {ready.stderr.strip()[-300:]}")
    return cluster, pid_files


def stop_slurm(pid_files: list[Path]) -> None:
    for pid_file in pid_files:
        if pid_file.exists():
            subprocess.run(["kill", pid_file.read_text().strip()], capture_output=True)

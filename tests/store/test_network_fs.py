"""The event log on a network file system: a real one on this machine, sshfs (FUSE over
SSH to a local sshd), mounted twice like two machines mounting one export."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

import rung
from rung.store.filesystems import filesystem_type, journal_mode
from tests.system.packages import ensure_debian_packages

MOUNTS = """\
/dev/root / ext4 rw,relatime 0 0
server:/export /scratch nfs4 rw,relatime 0 0
mds@tcp:/fs /lustre/my\\040project lustre rw,flock 0 0
tmpfs /scratch/local tmpfs rw 0 0
"""


@pytest.mark.parametrize(
    ("path", "kind", "journal"),
    [
        ("/home/me/results", "ext4", "WAL"),
        ("/scratch/me/results", "nfs4", "DELETE"),
        ("/lustre/my project/runs", "lustre", "DELETE"),
        ("/scratch/local/runs", "tmpfs", "WAL"),
    ],
)
def test_the_journal_follows_the_file_system_of_the_folder(path, kind, journal, monkeypatch):
    monkeypatch.delenv("RUNG_SQLITE_JOURNAL", raising=False)
    assert filesystem_type(path, MOUNTS) == kind
    assert journal_mode(path, MOUNTS) == journal
    monkeypatch.setenv("RUNG_SQLITE_JOURNAL", "delete")
    assert journal_mode(path, MOUNTS) == "DELETE", "the variable overrides the guess"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def two_mounts(tmp_path_factory):
    """An export served by a local sshd, mounted at two places with sshfs."""
    ensure_debian_packages({"sshfs": "sshfs", "/usr/sbin/sshd": "openssh-server"})
    if not os.path.exists("/dev/fuse"):
        pytest.skip("sshfs needs /dev/fuse, which this machine does not have")
    root = tmp_path_factory.mktemp("sshfs")
    export, first, second = root / "export", root / "node1", root / "node2"
    for folder in (export, first, second):
        folder.mkdir()
    for key in ("host_key", "user_key"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", root / key], check=True
        )
    port = _free_port()
    (root / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {root / 'host_key'}\n"
        f"AuthorizedKeysFile {root / 'user_key.pub'}\nPermitRootLogin prohibit-password\n"
        f"PasswordAuthentication no\nStrictModes no\nPidFile {root / 'sshd.pid'}\n"
        "Subsystem sftp internal-sftp\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)
    subprocess.run(
        ["/usr/sbin/sshd", "-f", root / "sshd_config", "-E", root / "sshd.log"], check=True
    )
    options = (
        f"IdentityFile={root / 'user_key'},StrictHostKeyChecking=no,"
        "UserKnownHostsFile=/dev/null,cache=no"
    )
    mounted = []
    try:
        for mount in (first, second):
            command = ["sshfs", "-p", str(port), "-o", options, f"root@127.0.0.1:{export}", mount]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                pytest.skip(f"sshfs could not mount: {done.stderr.strip()}")
            mounted.append(mount)
        yield export, first, second
    finally:
        for mount in mounted:
            subprocess.run(["fusermount", "-u", "-z", mount], capture_output=True)
        pid = (root / "sshd.pid").read_text().strip() if (root / "sshd.pid").exists() else ""
        if pid:
            subprocess.run(["kill", pid], capture_output=True)


def test_an_experiment_on_a_network_mount_is_read_and_resumed_from_another(two_mounts):
    export, first, second = two_mounts
    assert filesystem_type(first) == "fuse.sshfs"
    seen = []

    class ReadsFromTheOtherMount(rung.Callback):
        def on_trial_end(self, trial):
            assert not (export / "exp" / "experiment.db-wal").exists(), "no WAL on the network"
            seen.append(len(rung.load(second / "exp").trials))

    def tune(storage_path, num_trials, **settings):
        return rung.run(
            lambda config: {"loss": (config["x"] - 0.3) ** 2},
            {"x": rung.uniform(0, 1)},
            metric="loss",
            mode="min",
            num_trials=num_trials,
            executor="inline",
            storage_path=storage_path,
            name="exp",
            seed=0,
            verbose=0,
            **settings,
        )

    results = tune(first, 30, callbacks=[ReadsFromTheOtherMount()])
    # Commits come at most every 50 ms, so the other mount sees the log a little behind.
    assert len(seen) == 30 and seen == sorted(seen) and seen[-1] > 0, "it reads a growing log"
    again = rung.load(second / "exp")
    assert [t.config for t in again.trials] == [t.config for t in results.trials]
    resumed = tune(second, 40, resume=True)
    assert len(resumed.trials) == 40
    assert len(rung.load(first / "exp").trials) == 40

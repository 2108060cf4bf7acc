"""Which file system a folder is on, and whether SQLite's WAL mode is safe there.

WAL mode keeps its index in shared memory (a memory-mapped ``-shm`` file), which processes
on different machines cannot share: on NFS, Lustre, GPFS, BeeGFS, CIFS or a FUSE network
mount, a reader on another node (``rung status`` on a login node) could read a wrong
index. There the log uses a rollback journal instead, which needs only the file locks those
file systems provide to every client.
"""

from __future__ import annotations

import os
from pathlib import Path

# Kernel and FUSE names of file systems whose files other machines see too.
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "lustre",
        "gpfs",
        "beegfs",
        "cifs",
        "smb3",
        "smbfs",
        "ceph",
        "glusterfs",
        "afs",
        "9p",
        "panfs",
        "wekafs",
        "orangefs",
        "pvfs2",
        "fuse.sshfs",
        "fuse.glusterfs",
        "fuse.ceph-fuse",
        "fuse.s3fs",
        "fuse.gcsfuse",
        "fuse.juicefs",
        "fuse.rclone",
    }
)

# Set to "wal" or "delete" to override the choice (a network file system rung does not
# recognize, or a local one mounted through FUSE).
JOURNAL_VARIABLE = "RUNG_SQLITE_JOURNAL"


def _unescape(field: str) -> str:
    """A mount point as /proc/mounts writes it (spaces and the like as octal escapes)."""
    return field.encode().decode("unicode_escape").encode("latin-1").decode()


def filesystem_type(path: str | os.PathLike, mounts: str | None = None) -> str | None:
    """The type of the file system holding ``path`` (its deepest mount point in
    ``/proc/self/mounts``, or in ``mounts`` given as that file's text); None where unknown."""
    if mounts is None:
        try:
            mounts = Path("/proc/self/mounts").read_text()
        except OSError:
            return None
    target = Path(os.path.realpath(path))
    best: tuple[int, str] | None = None
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = Path(_unescape(fields[1]))
        if (target == point or point in target.parents) and (
            best is None or len(point.parts) >= best[0]
        ):
            best = (len(point.parts), fields[2])
    return None if best is None else best[1]


def journal_mode(path: str | os.PathLike, mounts: str | None = None) -> str:
    """``"WAL"`` on a local file system, ``"DELETE"`` (a rollback journal) on a network one
    or where ``RUNG_SQLITE_JOURNAL`` says so."""
    chosen = os.environ.get(JOURNAL_VARIABLE, "").strip().upper()
    if chosen in ("WAL", "DELETE"):
        return chosen
    return "DELETE" if filesystem_type(path, mounts) in NETWORK_FILESYSTEMS else "WAL"

"""What this machine offers (CPUs, GPUs) and how trials of one size pack onto it."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rung.errors import ConfigError


@dataclass(frozen=True)
class Slot:
    """Room for one trial: the GPUs its worker sees and the threads it may use."""

    gpu_ids: tuple[int, ...] = ()
    cpus: float = 1.0

    def environment(self) -> dict[str, str]:
        """Variables a worker process starts with for this slot."""
        threads = str(max(1, int(self.cpus)))
        env = {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
        env["CUDA_VISIBLE_DEVICES"] = ",".join(str(g) for g in self.gpu_ids)
        return env


def detect_cpus() -> int:
    """CPUs this process may run on (respects affinity masks and cgroup pinning)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def detect_gpus() -> list[int]:
    """Ids of the NVIDIA GPUs visible here, found without importing torch.

    ``CUDA_VISIBLE_DEVICES`` wins when set; otherwise ``nvidia-smi``, then the driver's
    ``/proc`` entries.
    """
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [int(g) for g in visible.split(",") if g.strip().isdigit()]
    if shutil.which("nvidia-smi"):
        try:
            out = subprocess.run(
                ["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout
            return [int(line) for line in out.split() if line.strip().isdigit()]
        except (OSError, subprocess.SubprocessError):
            pass
    proc = Path("/proc/driver/nvidia/gpus")
    return list(range(len(list(proc.iterdir())))) if proc.is_dir() else []


def plan_slots(
    per_trial: Mapping[str, float],
    max_concurrent: int | None,
    cpus: int | None = None,
    gpus: list[int] | None = None,
) -> list[Slot]:
    """The slots trials of size ``per_trial`` fill on this machine.

    A fractional GPU request packs ``floor(1 / gpu)`` trials onto each GPU (``gpu: 0.25``
    runs four per GPU), spread over the GPUs first; a whole request gives each trial its own
    GPUs.
    """
    unknown = set(per_trial) - {"cpu", "gpu"}
    if unknown:
        raise ConfigError(
            f"resources_per_trial has unknown keys {sorted(unknown)}; use 'cpu' and 'gpu'"
        )
    cpu = float(per_trial.get("cpu", 1))
    gpu = float(per_trial.get("gpu", 0))
    if cpu < 0 or gpu < 0 or not (math.isfinite(cpu) and math.isfinite(gpu)):
        raise ConfigError(f"resources_per_trial={dict(per_trial)}: amounts must be >= 0")
    if gpu > 1 and gpu != int(gpu):
        raise ConfigError(
            f"resources_per_trial gpu={gpu}: above 1, ask for whole GPUs (2, not {gpu})"
        )
    cpus = detect_cpus() if cpus is None else cpus
    gpus = detect_gpus() if gpus is None else gpus
    if cpu > cpus:
        raise ConfigError(
            f"resources_per_trial asks for {cpu:g} CPUs per trial but this machine has {cpus}; "
            f"ask for at most {cpus} (or fewer, to run trials side by side)"
        )
    limit = max_concurrent if max_concurrent is not None else math.inf
    if cpu > 0:
        limit = min(limit, max(1, math.floor(cpus / cpu + 1e-9)))
    if gpu > 0:
        if not gpus:
            raise ConfigError(
                f"resources_per_trial asks for {gpu} GPU but no GPU is visible "
                "(nvidia-smi found none, CUDA_VISIBLE_DEVICES); set gpu=0 to run on CPUs"
            )
        if gpu > len(gpus):
            raise ConfigError(
                f"resources_per_trial asks for {gpu:g} GPUs but only {len(gpus)} are visible"
            )
        if gpu < 1:
            per_gpu = math.floor(1 / gpu + 1e-9)
            layout: list[tuple[int, ...]] = [(g,) for _ in range(per_gpu) for g in gpus]
        else:
            size = int(gpu)
            layout = [tuple(gpus[i : i + size]) for i in range(0, len(gpus) - size + 1, size)]
        limit = min(limit, len(layout))
        return [Slot(gpu_ids, cpu) for gpu_ids in layout[: int(limit)]]
    if limit == math.inf:
        limit = cpus
    return [Slot((), cpu) for _ in range(int(limit))]

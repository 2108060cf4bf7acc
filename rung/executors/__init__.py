"""Executors: where trials run. Selectable by name or as an instance."""

from __future__ import annotations

import os
from typing import Any

from rung.executors.base import EventHandler, Executor
from rung.executors.inline import InlineExecutor
from rung.executors.process import ProcessExecutor
from rung.executors.ray_executor import RayExecutor
from rung.executors.resources import Slot, detect_cpus, detect_gpus, plan_slots
from rung.executors.simulated import SimulatedExecutor
from rung.registry import resolve

EXECUTORS: dict[str, type[Executor]] = {
    "inline": InlineExecutor,
    "process": ProcessExecutor,
    "ray": RayExecutor,
    "simulated": SimulatedExecutor,
}


def make_executor(spec: str | Executor | Any) -> Executor:
    """The executor named by ``spec`` (see ``EXECUTORS``), or ``spec`` itself. ``"auto"``
    (the default): the Ray cluster ``RAY_ADDRESS`` names, where one is set (a ``rung slurm``
    job sets it), else worker processes on this machine."""
    if spec == "auto":
        spec = "ray" if os.environ.get("RAY_ADDRESS") else "process"
    return resolve("executor", spec, EXECUTORS, Executor)


__all__ = [
    "EXECUTORS",
    "EventHandler",
    "Executor",
    "InlineExecutor",
    "ProcessExecutor",
    "RayExecutor",
    "SimulatedExecutor",
    "Slot",
    "detect_cpus",
    "detect_gpus",
    "make_executor",
    "plan_slots",
]

"""The Ray executor: trials on a Ray cluster, one long-lived actor per slot, reused.

Each actor (``TrialActor``) runs the same trial runner as a worker process of the process
executor. The driver keeps one call in flight per actor and waits on all of them at once,
so a report costs one actor call. Where no decision waits on results (``stage_ahead``), a
busy actor also holds its next trials, which start without a round trip to the driver.
Actors ask Ray for the trial's resources (``resources_per_trial``: ``cpu``, ``gpu``
(fractions pack several trials on a GPU, and Ray sets each actor's
``CUDA_VISIBLE_DEVICES``), ``memory`` in bytes, and any custom resource by name). The pool
follows the cluster: it grows when nodes join (up to ``max_concurrent``) and shrinks when
they leave.

A trial whose actor dies with its node is "lost": it restarts at once from its last
checkpoint on a node that is left, and that does not count against ``max_failures`` (the
trial did nothing wrong). An actor whose process dies on a live node (a segfault, the OOM
killer) fails its trial, which does count, as with the process executor.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import secrets
import sys
import tarfile
import time
import warnings
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rung.checkpoint import pack_checkpoint, unpack_checkpoint
from rung.errors import ConfigError, RungWarning
from rung.executors.base import EventHandler, Executor
from rung.executors.process import serialize_trainable
from rung.executors.ray_auth import enable_token_auth, restore
from rung.executors.ray_worker import PROBE_FILE, TrialActor
from rung.executors.resources import Slot
from rung.executors.sources import code_files
from rung.interrupts import critical, reclaim_sigterm
from rung.output_capture import salvage
from rung.trial import Exit, Launch, Outcome, Report

STORAGE_MODES = ("auto", "shared", "transfer")
# With ``stage_ahead``, how many trials a busy actor holds besides its running one: more
# than one lets trials shorter than a round trip to the driver end several to a call.
STAGED_PER_ACTOR = 4


@dataclass(eq=False)
class _Actor:
    handle: Any
    hello: Any  # the pending hello() call, until answered
    node: str | None = None
    host: str | None = None
    pid: int = 0
    pending: Any = None  # the exchange() call in flight
    trial_id: str | None = None
    launch: Any = None  # the launch held while the actor waits for a node
    trial_dir: str | None = None
    staged: deque[tuple[str, str]] = field(default_factory=deque)  # trials handed over
    outbox: list[Any] = field(default_factory=list)  # launches for the actor's next call
    call_due: bool = False  # a staged trial began; its messages need a call in flight
    started: float = math.inf
    spawned: float = field(default_factory=time.monotonic)


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "executor='ray' needs Ray: pip install 'rung[ray]' (or pip install ray)"
        ) from None
    return ray


def ray_request(resources: Mapping[str, float]) -> dict[str, Any]:
    """``resources_per_trial`` as Ray actor options (``num_cpus``, ``num_gpus``, ``memory``,
    ``resources``), with the same checks as on one machine."""
    request: dict[str, Any] = {"num_cpus": 1.0, "num_gpus": 0.0, "resources": {}}
    for key, amount in resources.items():
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            raise ConfigError(f"resources_per_trial[{key!r}]={amount!r}: give a number")
        if not math.isfinite(amount) or amount < 0:
            raise ConfigError(f"resources_per_trial[{key!r}]={amount}: amounts must be >= 0")
        if amount > 1 and amount != int(amount):
            raise ConfigError(
                f"resources_per_trial[{key!r}]={amount}: above 1, ask for whole units "
                f"({math.ceil(amount)}, not {amount})"
            )
        if key == "cpu":
            request["num_cpus"] = float(amount)
        elif key == "gpu":
            request["num_gpus"] = float(amount)
        elif key == "memory":
            request["memory"] = float(amount)
        else:
            request["resources"][key] = float(amount)
    return request


def _needs(request: Mapping[str, Any]) -> dict[str, float]:
    """A Ray actor request by Ray's resource names."""
    return {
        "CPU": request.get("num_cpus", 0.0),
        "GPU": request.get("num_gpus", 0.0),
        "memory": request.get("memory", 0.0),
        **request.get("resources", {}),
    }


def node_capacity(offered: Mapping[str, float], request: Mapping[str, Any]) -> float:
    """How many trials of size ``request`` fit on a node offering ``offered`` (Ray's
    resource names); ``inf`` when the request asks for nothing."""
    fits = math.inf
    for name, amount in _needs(request).items():
        if amount > 0:
            fits = min(fits, math.floor(offered.get(name, 0.0) / amount + 1e-9))
    return fits


class RayExecutor(Executor):
    """Runs trials as Ray actors, on a running cluster or a Ray started for the experiment.

    Args:
        address: the cluster to join: ``"auto"`` (the one this machine belongs to), an
            address (``"10.0.0.1:6379"``, ``"ray://head:10001"``), or None: ``RAY_ADDRESS``
            when set, else a Ray already initialized in this process, else a new local Ray
            that ends with the experiment.
        storage: where trials write checkpoints. ``"auto"``: in the experiment's folder
            when the trial's node sees it (a shared file system; checked per node), else in
            a scratch folder on the node, with checkpoints sent to the driver as bytes and
            back to whichever node resumes the trial. ``"shared"`` or ``"transfer"`` force
            one way.
        rescale_interval_s: how often the pool is matched to the cluster's nodes.
        placement_patience_s: how long a trial waits for its actor to be placed while
            another actor is idle (the cluster's room may be held by another job, or by an
            actor Ray is still tearing down); then it moves to the idle actor.
    """

    supports_timeout = True

    def __init__(
        self,
        address: str | None = None,
        storage: str = "auto",
        rescale_interval_s: float = 5.0,
        placement_patience_s: float = 30.0,
    ) -> None:
        if storage not in STORAGE_MODES:
            raise ConfigError(f"storage={storage!r}: use one of {list(STORAGE_MODES)}")
        self.address = address
        self.storage = storage
        self.rescale_interval_s = rescale_interval_s
        self.placement_patience_s = placement_patience_s
        self._actors: list[_Actor] = []
        self._dying: list[Any] = []  # a call on each actor shutdown killed: fails once it is gone
        self._started_ray = False
        self._request: dict[str, Any] = {}
        self._resources: dict[str, float] = {}
        self._max_concurrent: int | None = None
        self._probes: dict[str, str] = {}
        self._rescaled = 0.0
        self._capacity_seen: float = math.inf
        self._waiting_warned = False
        self._unplaced_warned = False
        self._auth_before: dict[str, str | None] | None = None

    # the cluster -------------------------------------------------------------------------

    def _connect(self) -> Any:
        ray = _ray()
        if ray.is_initialized():
            return ray
        address = self.address or os.environ.get("RAY_ADDRESS")
        options: dict[str, Any] = {"logging_level": "ERROR", "include_dashboard": False}
        if address is None:
            from rung.executors.resources import detect_cpus, detect_gpus

            # "local": a Ray of its own, even where a cluster once ran on this machine,
            # guarded by a token of its own (its servers listen on every interface).
            options.update(num_cpus=detect_cpus(), num_gpus=len(detect_gpus()))
            self._auth_before = enable_token_auth()
        try:
            ray.init(address=address or "local", **options)
        except (ConnectionError, RuntimeError, ValueError) as error:
            self._restore_auth()
            where = f"join the Ray cluster at {address!r}" if address else "start a local Ray"
            raise ConfigError(f"could not {where}: {error}") from None
        self._started_ray = address is None
        reclaim_sigterm()
        return ray

    def _capacity(self) -> float:
        """Trials that fit on the cluster's live nodes, at most ``max_concurrent``."""
        ray = _ray()
        fits = sum(
            node_capacity(node.get("Resources", {}), self._request)
            for node in ray.nodes()
            if node.get("Alive")
        )
        if fits == math.inf:  # a trial that asks for nothing: one per CPU
            fits = max(1, int(ray.cluster_resources().get("CPU", 1)))
        if self._max_concurrent is not None:
            fits = min(fits, self._max_concurrent)
        self._capacity_seen = fits
        return fits

    def plan_slots(self, resources: Mapping[str, float], max_concurrent: int | None) -> list[Slot]:
        self._resources = dict(resources)
        self._request = ray_request(resources)
        self._max_concurrent = max_concurrent
        ray = self._connect()
        capacity = self._capacity()
        if capacity < 1:
            offered = ", ".join(
                f"{node.get('NodeManagerAddress')}: {_describe(node.get('Resources', {}))}"
                for node in ray.nodes()
                if node.get("Alive")
            )
            raise ConfigError(
                f"resources_per_trial={self._resources}: no node of the Ray cluster has room "
                f"for one trial (its nodes offer {offered})"
            )
        return [Slot((), self._request["num_cpus"]) for _ in range(int(capacity))]

    # the pool ----------------------------------------------------------------------------

    def start(
        self,
        trainable: Any,
        handler: EventHandler,
        slots: list[Slot],
        trial_timeout_s: float | None = None,
        elapsed_s: float = 0.0,
    ) -> None:
        super().start(trainable, handler, slots, trial_timeout_s)
        ray = self._connect()
        self._actor_class = ray.remote(TrialActor).options(
            max_restarts=0, max_concurrency=1, **self._request
        )
        payload = serialize_trainable(trainable)
        self._payload = ray.put(payload)
        self._code_files = code_files(trainable)
        self._paths = [p for p in sys.path if p and os.path.isdir(p)]
        self._actors = []
        for _ in slots:
            self._spawn()
        self._rescaled = time.monotonic()

    def _spawn(self) -> _Actor:
        """Start an actor and record it as one step: a Ctrl-C cannot leave an actor that Ray
        made unknown to ``shutdown`` (alive, on a Ray the user keeps)."""
        with critical():
            handle = self._actor_class.remote(
                self._payload, self._code_files, self._paths, self.storage
            )
            actor = _Actor(handle, handle.hello.remote())
            self._actors.append(actor)
        return actor

    def _rescale(self) -> None:
        """Match the pool to the live nodes: start actors where room appeared, let idle ones
        go where it is gone (always keeping one, which waits for a node with room)."""
        self._rescaled = time.monotonic()
        capacity = self._capacity()
        while len(self._actors) < capacity:
            self._spawn()
        if capacity < 1 and not self._waiting_warned:
            self._waiting_warned = True
            warnings.warn(
                f"no live node of the Ray cluster has room for a trial of "
                f"{self._resources}; waiting for one to join",
                RungWarning,
                stacklevel=2,
            )
        idle = [a for a in self._actors if a.trial_id is None]
        for actor in sorted(idle, key=lambda a: a.hello is None):  # unplaced ones first
            if len(self._actors) <= max(1, capacity):
                break
            self._retire(actor)

    def _retire(self, actor: _Actor) -> None:
        """Kill an actor and forget it as one step (a Ctrl-C between would leave it alive)."""
        with critical():
            with contextlib.suppress(Exception):
                _ray().kill(actor.handle, no_restart=True)
            self._actors.remove(actor)

    @property
    def free_slots(self) -> int:
        return sum(a.trial_id is None or self._stageable(a) for a in self._actors)

    @property
    def staged(self) -> frozenset[str]:
        return frozenset(trial_id for a in self._actors for trial_id, _ in a.staged)

    def _stageable(self, actor: _Actor) -> bool:
        """Whether a busy actor can be handed its next trial now (``stage_ahead``): the
        trial then starts the moment the running one ends, without waiting for a round
        trip to the driver and back."""
        return (
            self.stage_ahead
            and actor.trial_id is not None
            and len(actor.staged) < STAGED_PER_ACTOR
            and actor.hello is None
        )

    def launch(self, launch: Launch) -> None:
        message = (launch, self._probe(launch.trial_dir))
        idle = [a for a in self._actors if a.trial_id is None]
        if not idle:
            busy = next(a for a in self._actors if self._stageable(a))
            busy.staged.append((launch.trial_id, launch.trial_dir))
            busy.outbox.append(message)
            return
        actor = next((a for a in idle if a.hello is None), idle[0])
        actor.trial_id = launch.trial_id
        actor.trial_dir = launch.trial_dir
        actor.started = time.monotonic() if actor.hello is None else math.inf
        actor.outbox.append(message)
        actor.pending = self._call(actor, None)
        actor.launch = message if actor.hello is not None else None

    def _call(self, actor: _Actor, answer: Any) -> Any:
        """The actor's next call: ``answer`` for its trial, with the launches waiting."""
        launches, actor.outbox = tuple(actor.outbox), []
        actor.call_due = False
        return actor.handle.exchange.remote(answer, launches)

    def _move_unplaced(self) -> None:
        """A trial waiting for its actor to be placed moves to an actor that is placed and
        idle, when the pool is larger than the cluster now holds (a node left) or when the
        actor has waited ``placement_patience_s``; the unplaced actor goes. (An actor merely
        starting up keeps its trial.)"""
        now = time.monotonic()
        shrunk = len(self._actors) > max(1, self._capacity_seen)
        for actor in [a for a in self._actors if a.launch is not None and a.hello is not None]:
            stuck = now - actor.spawned > self.placement_patience_s
            if not (shrunk or stuck):
                continue
            idle = next((a for a in self._actors if a.trial_id is None and a.hello is None), None)
            if stuck and not shrunk:
                self._warn_unplaced(moved=idle is not None)
            if idle is None:
                return
            idle.trial_id, idle.trial_dir = actor.trial_id, actor.trial_dir
            idle.started = now
            idle.pending = idle.handle.exchange.remote(None, (actor.launch,))
            self._retire(actor)
            assert idle.trial_id is not None
            self.handler.on_run_begun(idle.trial_id)

    def _warn_unplaced(self, moved: bool) -> None:
        """Say once that Ray could not place an actor in time, and what the cluster has
        free: without it a trial held by another job's resources would wait in silence."""
        if self._unplaced_warned:
            return
        self._unplaced_warned = True
        ray = _ray()
        free, total = ray.available_resources(), ray.cluster_resources()
        needed = [name for name, amount in _needs(self._request).items() if amount > 0]
        room = ", ".join(f"{free.get(n, 0):g} of {total.get(n, 0):g} {n}" for n in needed)
        then = (
            "its trial moved to an idle actor"
            if moved
            else "its trial waits until the room is freed"
        )
        warnings.warn(
            f"a Ray actor for a trial of {self._resources} could not be placed for "
            f"{self.placement_patience_s:g} s (free on the cluster: {room}; another job, "
            f"or actors it left behind, may hold the rest); {then}",
            RungWarning,
            stacklevel=3,
        )

    def _probe(self, trial_dir: str) -> str:
        """The token a node must read in the experiment's folder to share it."""
        experiment = Path(trial_dir).parent.parent
        key = str(experiment)
        if key not in self._probes:
            self._probes[key] = secrets.token_hex(16)
            if self.storage == "auto":
                experiment.mkdir(parents=True, exist_ok=True)
                (experiment / PROBE_FILE).write_text(self._probes[key])
        return self._probes[key]

    def now(self) -> float:
        return time.monotonic()

    # events ------------------------------------------------------------------------------

    def poll(self, timeout: float) -> None:
        if time.monotonic() - self._rescaled > self.rescale_interval_s:
            self._rescale()
        for actor in self._actors:
            if actor.call_due:  # sent only now, with the launches staged meanwhile
                actor.pending = self._call(actor, None)
        if not any(a.trial_id is not None for a in self._actors):
            return
        calls = {a.hello: a for a in self._actors if a.hello is not None}
        calls.update({a.pending: a for a in self._actors if a.pending is not None})
        if self.trial_timeout_s is not None:
            deadline = min(a.started for a in self._actors) + self.trial_timeout_s
            timeout = max(0.0, min(timeout, deadline - time.monotonic()))
        ray = _ray()
        done, rest = ray.wait(list(calls), num_returns=1, timeout=timeout)
        if done and rest:
            more, _ = ray.wait(rest, num_returns=len(rest), timeout=0)
            done += more
        for ref in done:
            actor = calls[ref]
            if actor not in self._actors:
                continue  # lost while handling an earlier call of this batch
            if ref is actor.hello:
                self._on_hello(actor, ref)
            elif ref is actor.pending:
                self._on_message(actor, ref)
        self._move_unplaced()
        if self.trial_timeout_s is not None:
            self._enforce_timeout()

    def _on_hello(self, actor: _Actor, ref: Any) -> None:
        try:
            hello = _ray().get(ref)
        except Exception as error:
            self._on_actor_error(actor, error)
            return
        if hello["fatal"]:
            raise ConfigError(
                f"the trainable could not be loaded in a Ray actor on {hello['host']}:\n"
                f"{hello['fatal']}\nIs rung installed there, and the trainable's module "
                "importable (the same code and environment on every node)?"
            )
        actor.hello = actor.launch = None
        actor.node, actor.host, actor.pid = hello["node"], hello["host"], hello["pid"]
        if actor.trial_id is not None:
            actor.started = time.monotonic()
            self.handler.on_run_begun(actor.trial_id)

    def _on_message(self, actor: _Actor, ref: Any) -> None:
        try:
            messages = _ray().get(ref)
        except Exception as error:
            self._on_actor_error(actor, error)
            return
        for kind, *body in messages:
            self._handle(actor, kind, body)

    def _handle(self, actor: _Actor, kind: str, body: list[Any]) -> None:
        """Pass one message of a trial to the driver, and its answer back to the trial."""
        trial_id = actor.trial_id
        assert trial_id is not None
        if kind == "report":
            metrics, path, data, final = body
            if data is not None:
                unpack_checkpoint(data, path)
            action = self.handler.on_report(Report(trial_id, metrics, path))
            if not final:  # a final report's decision is carried out when the run exits
                actor.pending = self._call(actor, action)
        elif kind == "checkpoint":
            path, data = body
            if data is not None:
                unpack_checkpoint(data, path)
            self.handler.on_checkpoint(trial_id, path)
            actor.pending = self._call(actor, None)
        elif kind == "fetch":
            path = body[0]
            data = pack_checkpoint(path) if os.path.isdir(path) else None
            actor.pending = self._call(actor, data)
        else:
            exit, extras = body
            self._keep_files(exit, extras, actor.trial_dir)
            actor.pending = actor.trial_id = None
            actor.started, actor.call_due = math.inf, False
            if actor.staged:  # the next trial has begun on the actor
                actor.trial_id, actor.trial_dir = actor.staged.popleft()
                actor.started, actor.call_due = time.monotonic(), True
            self.handler.on_exit(exit)
            if actor.trial_id is not None:
                self.handler.on_run_begun(actor.trial_id)

    def _keep_files(self, exit: Exit, extras: dict[str, Any], trial_dir: str | None) -> None:
        """Write what a run on a node without the driver's storage sent back at its end:
        its last checkpoint, its output (appended: a trial may run many times) and the
        other files it wrote in its folder (a later run's copy replaces an earlier's)."""
        if extras.get("checkpoint") is not None and exit.checkpoint:
            unpack_checkpoint(extras["checkpoint"], exit.checkpoint)
        if trial_dir is None:
            return
        logs = extras.get("logs") or {}
        if logs or extras.get("files"):
            Path(trial_dir).mkdir(parents=True, exist_ok=True)
        for name, data in logs.items():
            with open(Path(trial_dir) / name, "ab") as file:
                file.write(data)
        if extras.get("files"):
            with tarfile.open(fileobj=io.BytesIO(extras["files"]), mode="r") as archive:
                archive.extractall(trial_dir, filter="data")

    def _on_actor_error(self, actor: _Actor, error: BaseException) -> None:
        """An actor died or cannot be reached: its trial's run is lost with its node, or
        failed with its process; a new actor takes its place if the cluster has room."""
        ray = _ray()
        if not isinstance(error, ray.exceptions.RayActorError):
            raise error
        lost = _node_lost(error, actor.node)
        trial_id = actor.trial_id
        self._salvage(actor)
        where = f" on {actor.host}" if actor.host else ""
        self._retire(actor)
        if len(self._actors) < max(1, self._capacity()):
            self._spawn()
        if trial_id is None:
            return
        if lost:
            exit = Exit(trial_id, Outcome.LOST, error=f"its Ray node{where} was lost")
        else:
            exit = Exit(
                trial_id, Outcome.FAILED, error=f"its Ray actor{where} died: {_death(error)}"
            )
        self.handler.on_exit(exit)
        gone = f"its Ray node{where} was lost" if lost else f"its Ray actor{where} ended"
        self._give_back_staged(actor, f"{gone} before the trial began")

    def _give_back_staged(self, actor: _Actor, why: str) -> None:
        """A trial handed to an actor that ended before running it is lost, not failed: it
        did nothing, and starts again first on another actor."""
        while actor.staged:
            trial_id, _ = actor.staged.popleft()
            self.handler.on_exit(Exit(trial_id, Outcome.LOST, error=why))

    def _salvage(self, actor: _Actor) -> None:
        """Keep what a dead actor's trial wrote since its last report, where the actor's
        capture files are in the driver's storage (a shared file system)."""
        if actor.trial_id is not None and actor.trial_dir is not None and actor.host:
            salvage(actor.trial_dir, actor.host, actor.pid)

    def _enforce_timeout(self) -> None:
        limit = self.trial_timeout_s
        now = time.monotonic()
        for actor in list(self._actors):
            if limit is None or actor.trial_id is None or now - actor.started <= limit:
                continue
            trial_id = actor.trial_id
            self._retire(actor)
            self._salvage(actor)
            self._spawn()
            self.handler.on_exit(
                Exit(
                    trial_id,
                    Outcome.FAILED,
                    error=f"timed out after {now - actor.started:.1f} s "
                    f"(trial_timeout_s={limit}); its actor was killed",
                )
            )
            self._give_back_staged(actor, "the trial before it on its Ray actor timed out")

    def shutdown(self, wait: bool = True) -> None:
        """End every actor's process (those with a trial too: what happens to that trial is
        already recorded) and wait until they are gone (up to 10 s), remove the storage
        probes, and end a Ray this executor started. Every actor is killed at once, so
        ``wait=False`` has no grace to skip; a Ctrl-C cuts the wait short, and the next call
        waits again."""
        if not self._actors and not self._dying and not self._started_ray:
            return
        ray = _ray()
        for actor in list(self._actors):
            with critical():
                self._dying.append(actor.pending or actor.handle.exchange.remote(None))
                self._retire(actor)
        if self._dying:
            ray.wait(self._dying, num_returns=len(self._dying), timeout=10)
        for experiment in self._probes:
            with contextlib.suppress(OSError):
                (Path(experiment) / PROBE_FILE).unlink()
        self._probes.clear()
        # Let go of every Ray reference now, while Ray is up: one freed after ray.shutdown()
        # (when this object is collected, perhaps in another thread) makes Ray end the
        # whole process.
        self._dying = []
        self._payload = None
        if self._started_ray and ray.is_initialized():
            ray.shutdown()
            self._started_ray = False
        self._restore_auth()

    def _restore_auth(self) -> None:
        """Put back the authentication settings a Ray this executor started changed."""
        if self._auth_before is not None:
            restore(self._auth_before)
            self._auth_before = None


def _node_lost(error: BaseException, node: str | None) -> bool:
    """Whether an actor error means its node (not its process) went away: Ray says so, or
    cannot reach the actor, or no longer counts the actor's node among the live ones."""
    import ray

    if isinstance(error, ray.exceptions.ActorUnavailableError):
        return True
    if getattr(error, "preempted", False) or "its node has died" in str(error):
        return True
    alive = {n["NodeID"] for n in ray.nodes() if n.get("Alive")}
    return node is not None and node not in alive


def _death(error: BaseException) -> str:
    """The useful part of Ray's words for an actor's death."""
    text = str(error)
    marker = "Worker exit detail: "
    if marker in text:
        detail = text.split(marker, 1)[1]
        return detail.split(". Some common causes", 1)[0].rstrip(".")
    return text.splitlines()[0] if text else type(error).__name__


def _describe(resources: Mapping[str, float]) -> str:
    shown = {k: v for k, v in resources.items() if not k.startswith("node:") and "store" not in k}
    return ", ".join(
        f"{k}={v:g}" if k != "memory" else f"memory={v / 2**30:.1f}GiB" for k, v in shown.items()
    )


__all__ = ["RayExecutor", "node_capacity", "ray_request"]

"""A trial never waits on a Ray actor that cannot be placed while another actor is idle."""

from __future__ import annotations

import threading
import warnings

import pytest

import rung
from rung.executors.ray_executor import RayExecutor
from tests import trainables


class _Holder:
    def ready(self) -> bool:
        return True


def test_a_trial_whose_actor_cannot_be_placed_moves_to_an_idle_actor(local_ray, tmp_path):
    # Something else on the cluster (another job, an actor being torn down) holds one of
    # its two CPUs: rung's pool has two actors, and one of them cannot be placed.
    holder = local_ray.remote(_Holder).options(num_cpus=1).remote()
    assert local_ray.get(holder.ready.remote())
    try:
        with pytest.warns(rung.RungWarning, match="could not be placed for 1 s"):
            results = rung.run(
                trainables.quadratic,
                {"x": rung.uniform(0, 1)},
                metric="loss",
                mode="min",
                num_trials=4,
                max_concurrent=2,
                executor=RayExecutor(placement_patience_s=1.0),
                storage_path=tmp_path,
                verbose=0,
                seed=0,
            )
    finally:
        local_ray.kill(holder)
    assert [t.status for t in results.trials] == [rung.TrialStatus.TERMINATED] * 4


def test_a_trial_held_off_the_whole_cluster_is_named_and_runs_once_room_is_freed(
    local_ray, tmp_path
):
    # Another job holds every CPU: rung says so (instead of showing trials "running" in
    # silence) and the trials run once the room is freed.
    holders = [local_ray.remote(_Holder).options(num_cpus=1).remote() for _ in range(2)]
    assert local_ray.get([holder.ready.remote() for holder in holders])
    warned = threading.Event()
    messages: list[str] = []

    def note(message, *args, **kwargs) -> None:
        messages.append(str(message))
        warned.set()

    outcome: dict[str, rung.Results] = {}

    def tune() -> None:
        outcome["results"] = rung.run(
            trainables.quadratic,
            {"x": rung.uniform(0, 1)},
            metric="loss",
            mode="min",
            num_trials=3,
            max_concurrent=2,
            executor=RayExecutor(placement_patience_s=1.0),
            storage_path=tmp_path,
            verbose=0,
            seed=0,
        )

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = note
        runner = threading.Thread(target=tune)
        runner.start()
        try:
            assert warned.wait(60)
        finally:
            for holder in holders:
                local_ray.kill(holder)
        runner.join(120)
    assert not runner.is_alive()
    assert "could not be placed for 1 s" in messages[0]
    assert "waits until the room is freed" in messages[0]
    assert "free on the cluster: 0 of 2 CPU" in messages[0]
    statuses = [t.status for t in outcome["results"].trials]
    assert statuses == [rung.TrialStatus.TERMINATED] * 3

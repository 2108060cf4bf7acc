"""A trial never waits on a Ray actor that cannot be placed while another actor is idle."""

from __future__ import annotations

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

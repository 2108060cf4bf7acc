"""Ctrl-C on Ray at the two moments an actor can slip out of the executor's hands: just
after Ray made it, before the executor recorded it; and while shutdown kills the actors.
Either way no actor may outlive ``rung.run`` on a Ray the user keeps running."""

from __future__ import annotations

import pytest

import rung
from rung.executors.ray_executor import RayExecutor
from tests import trainables
from tests.resume.ctrl_c_loop import ray_actors_alive
from tests.test_interrupts import ctrl_c

pytestmark = pytest.mark.usefixtures("sigint_from_a_terminal")


class Recording:
    """Ray's actor class, but it holds on to every actor it makes (as a reference cycle
    may, for a while), so that only the executor's own kill ends them; and perhaps a Ctrl-C
    arrives the moment it has made one."""

    def __init__(self, actor_class, ctrl_c_once_made: bool) -> None:
        self.actor_class = actor_class
        self.ctrl_c_once_made = ctrl_c_once_made
        self.made: list = []

    def remote(self, *args):
        self.made.append(self.actor_class.remote(*args))
        if self.ctrl_c_once_made:
            ctrl_c()
        return self.made[-1]


class RecordingExecutor(RayExecutor):
    def __init__(self, ctrl_c_once_made: bool = False) -> None:
        super().__init__()
        self.ctrl_c_once_made = ctrl_c_once_made

    def _spawn(self):
        if not isinstance(self._actor_class, Recording):
            self._actor_class = Recording(self._actor_class, self.ctrl_c_once_made)
        return super()._spawn()


def test_an_actor_made_just_before_a_ctrl_c_does_not_outlive_the_run(local_ray, tune):
    before = set(ray_actors_alive())
    executor = RecordingExecutor(ctrl_c_once_made=True)
    results = tune(
        trainables.returns_dict, {"x": rung.uniform(0, 1)}, num_trials=4, executor=executor
    )
    assert results.stop_reason == "interrupted (Ctrl-C)"
    assert len(executor._actor_class.made) == 1
    assert set(ray_actors_alive()) - before == set()


def test_a_ctrl_c_while_shutdown_kills_the_actors_leaves_none_alive(local_ray, tune, monkeypatch):
    real_kill = local_ray.kill
    signalled = []

    def kill_after_a_ctrl_c(*args, **kwargs):
        if not signalled:  # at the first kill only
            signalled.append(1)
            ctrl_c()
        return real_kill(*args, **kwargs)

    class InterruptedAtTheEnd(RecordingExecutor):
        def shutdown(self, wait: bool = True) -> None:
            monkeypatch.setattr(local_ray, "kill", kill_after_a_ctrl_c)
            super().shutdown(wait)

    before = set(ray_actors_alive())
    executor = InterruptedAtTheEnd()
    results = tune(
        trainables.returns_dict, {"x": rung.uniform(0, 1)}, num_trials=4, executor=executor
    )
    assert signalled
    assert len(results.trials) == 4
    assert set(ray_actors_alive()) - before == set()

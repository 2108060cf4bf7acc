import pytest

import rung
from rung.errors import ConfigError
from rung.executors.resources import Slot, detect_gpus, plan_slots


def test_fractional_gpus_pack_several_trials_per_gpu_spread_over_gpus():
    slots = plan_slots({"cpu": 1, "gpu": 0.25}, None, cpus=16, gpus=[0, 1])
    assert len(slots) == 8
    assert [s.gpu_ids for s in slots[:4]] == [(0,), (1,), (0,), (1,)]
    assert sum(s.gpu_ids == (0,) for s in slots) == 4


def test_whole_gpus_are_given_out_without_sharing():
    slots = plan_slots({"cpu": 1, "gpu": 2}, None, cpus=16, gpus=[0, 1, 2, 3, 4])
    assert [s.gpu_ids for s in slots] == [(0, 1), (2, 3)]
    assert slots[0].environment()["CUDA_VISIBLE_DEVICES"] == "0,1"


def test_cpus_and_max_concurrent_bound_the_slots():
    assert len(plan_slots({"cpu": 1}, None, cpus=4, gpus=[])) == 4
    assert len(plan_slots({"cpu": 0.5}, None, cpus=4, gpus=[])) == 8
    assert len(plan_slots({"cpu": 2}, None, cpus=4, gpus=[])) == 2
    assert len(plan_slots({"cpu": 1}, 3, cpus=8, gpus=[])) == 3
    assert len(plan_slots({"cpu": 1, "gpu": 0.5}, None, cpus=2, gpus=[0, 1])) == 2
    with pytest.raises(ConfigError, match="asks for 8 CPUs per trial but this machine has 2"):
        plan_slots({"cpu": 8}, None, cpus=2, gpus=[])


def test_a_slot_without_gpus_hides_them_and_sets_threads():
    env = Slot((), 2).environment()
    assert env == {"OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2", "CUDA_VISIBLE_DEVICES": ""}


@pytest.mark.parametrize(
    ("per_trial", "gpus", "message"),
    [
        ({"gpu": 1}, [], "asks for 1.0 GPU but no GPU is visible"),
        ({"gpu": 3}, [0, 1], "asks for 3 GPUs but only 2 are visible"),
        ({"gpu": 1.5}, [0, 1], "ask for whole GPUs"),
        ({"cpu": -1}, [], "amounts must be >= 0"),
    ],
)
def test_impossible_requests_say_why(per_trial, gpus, message):
    with pytest.raises(rung.ConfigError, match=message):
        plan_slots(per_trial, None, cpus=4, gpus=gpus)


def test_visible_devices_variable_decides_the_gpus(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    assert detect_gpus() == [2, 3]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert detect_gpus() == []

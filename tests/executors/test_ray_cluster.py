"""The Ray executor on a real multi-node Ray cluster on this machine (ray.cluster_utils):
a node lost mid-experiment, checkpoints that travel between nodes, GPUs packed by fraction."""

import os
import signal
import time
from pathlib import Path

import pytest

import rung
from rung.events import RunInterrupted
from rung.store import open_readonly
from rung.store.sqlite import DB_NAME, read_events
from rung.trial import TrialStatus

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'rung[ray]')")
cluster_utils = pytest.importorskip("ray.cluster_utils", reason="Ray's cluster_utils is missing")

# A node that stops answering is declared dead within a second or two.
FAST_HEALTH_CHECKS = {
    "health_check_initial_delay_ms": 0,
    "health_check_period_ms": 500,
    "health_check_failure_threshold": 3,
}


def start_cluster(*workers):
    """A head with one CPU and worker nodes as given, with this process connected."""
    if ray.is_initialized():
        ray.shutdown()
    cluster = cluster_utils.Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "_system_config": FAST_HEALTH_CHECKS},
    )
    nodes = [cluster.add_node(**options) for options in workers]
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, logging_level="ERROR")
    return cluster, nodes


def stop_cluster(cluster):
    ray.shutdown()
    cluster.shutdown()


@pytest.fixture
def three_nodes():
    cluster, nodes = start_cluster({"num_cpus": 1}, {"num_cpus": 1})
    yield cluster, nodes
    stop_cluster(cluster)


def counts_with_checkpoints(config):
    """Counts up one per iteration from its checkpoint, reporting where it ran; a restored
    state that is not the recorded iteration would show as state != training_iteration."""
    import ray

    checkpoint = rung.get_checkpoint()
    state = checkpoint["state"] if checkpoint else 0
    for _ in range(config["length"] - state):
        time.sleep(config.get("pause", 0))
        state += 1
        rung.report(
            loss=config["x"] / state,
            state=state,
            node=ray.get_runtime_context().get_node_id(),
            pid=os.getpid(),
            trial_dir=str(rung.get_trial_dir()),
            checkpoint={"state": state},
        )


class RemovesANode(rung.Callback):
    """Removes the node of the first trial that reaches ``iteration`` off the head node, at
    that report (the trial is waiting for its answer, so it is surely running there), with
    the trial's process: a machine that dies takes its processes with it."""

    def __init__(self, cluster, nodes, iteration):
        self.cluster, self.nodes, self.iteration = cluster, nodes, iteration
        self.removed = None

    def on_trial_result(self, trial, result):
        if self.removed is not None or result["training_iteration"] != self.iteration:
            return
        for node in self.nodes:
            if node.node_id == result["node"]:
                self.cluster.remove_node(node, allow_graceful=False)
                os.kill(result["pid"], signal.SIGKILL)
                self.removed = (trial.trial_id, node.node_id)


def test_a_lost_node_costs_only_its_trials_progress_since_their_checkpoint(three_nodes, tmp_path):
    cluster, nodes = three_nodes
    remover = RemovesANode(cluster, nodes, iteration=3)
    results = rung.run(
        counts_with_checkpoints,
        {"x": rung.uniform(0, 1), "length": 8},
        metric="loss",
        mode="min",
        num_trials=6,
        max_failures=0,
        executor={"name": "ray", "rescale_interval_s": 0.5},
        storage_path=tmp_path,
        name="exp",
        callbacks=[remover],
        seed=0,
        verbose=0,
    )
    assert remover.removed is not None, "a trial ran on a worker node"
    lost_trial, lost_node = remover.removed
    assert results.stop_reason == "num_trials=6 trials were run"
    assert all(t.status is TrialStatus.TERMINATED for t in results.trials), [
        (t.trial_id, t.status, t.error) for t in results.trials
    ]
    for trial in results.trials:
        iterations = [r["training_iteration"] for r in trial.results]
        assert iterations == list(range(1, 9)), f"trial {trial.trial_id}: each result once"
        assert all(r["state"] == r["training_iteration"] for r in trial.results)
        assert trial.num_failures == 0, "a lost node is not the trial's failure"
    lost = results.trials[int(lost_trial)]
    after = [r["node"] for r in lost.results if r["training_iteration"] > 3]
    assert lost_node not in after, "the lost trial went on on a node that is left"
    database = tmp_path / "exp" / DB_NAME
    events = read_events(open_readonly(database.parent), database)
    interruptions = [
        e for e in events if isinstance(e, RunInterrupted) and e.trial_id == lost_trial
    ]
    assert len(interruptions) == 1
    assert "was lost" in interruptions[0].reason


class AddsANode(rung.Callback):
    """Adds a worker node when the first result comes in."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.added = None

    def on_trial_result(self, trial, result):
        if self.added is None:
            self.added = self.cluster.add_node(num_cpus=1).node_id


def test_the_pool_grows_when_a_node_joins(tmp_path):
    cluster, _ = start_cluster()
    try:
        adder = AddsANode(cluster)
        results = rung.run(
            counts_with_checkpoints,
            {"x": rung.uniform(0, 1), "length": 4, "pause": 0.02},
            metric="loss",
            mode="min",
            num_trials=60,
            executor={"name": "ray", "rescale_interval_s": 0.2},
            storage_path=tmp_path,
            seed=0,
            verbose=0,
            callbacks=[adder],
        )
    finally:
        stop_cluster(cluster)
    nodes = [r["node"] for t in results.trials for r in t.results]
    assert adder.added in nodes, "trials ran on the node that joined"
    assert all(t.status is TrialStatus.TERMINATED for t in results.trials)


@pytest.fixture(scope="module")
def nodes_with_gpus():
    cluster, nodes = start_cluster({"num_cpus": 2}, {"num_cpus": 2, "num_gpus": 2})
    yield cluster, nodes
    stop_cluster(cluster)


@pytest.mark.parametrize("scheduler", ["hyperband", "pbt"])
def test_checkpoints_travel_between_nodes_without_a_shared_folder(
    nodes_with_gpus, tmp_path, scheduler
):
    strategy = (
        {"name": "hyperband", "max_t": 9, "reduction_factor": 3}
        if scheduler == "hyperband"
        else {"name": "pbt", "perturbation_interval": 2, "hyperparam_mutations": {"x": [0.1, 0.9]}}
    )
    results = rung.run(
        counts_with_checkpoints,
        {"x": rung.uniform(0, 1), "length": 9},
        metric="loss",
        mode="min",
        num_trials=6,
        scheduler=strategy,
        executor={"name": "ray", "storage": "transfer"},
        checkpoint_keep=2,
        storage_path=tmp_path,
        name="exp",
        seed=0,
        verbose=0,
    )
    experiment = Path(results.path)
    assert all(t.status is not TrialStatus.ERROR for t in results.trials)
    resumed = 0
    for trial in results.trials:
        assert all(r["state"] == r["training_iteration"] for r in trial.results), (
            f"trial {trial.trial_id} restored the state of the checkpoint it was given"
        )
        assert not any(r["trial_dir"].startswith(str(experiment)) for r in trial.results), (
            "a trial ran in a scratch folder of its node"
        )
        resumed += trial.runs - 1
        for checkpoint in trial.live_checkpoints():
            assert (experiment / checkpoint["path"]).is_dir(), (
                "recorded checkpoints are in the experiment"
            )
        on_disk = list((experiment / "trials" / trial.trial_id / "checkpoints").glob("ckpt_*"))
        assert len([p for p in on_disk if not p.name.endswith(".partial")]) <= 3
    assert resumed > 0, f"{scheduler} resumed trials from checkpoints that travelled"
    if scheduler == "pbt":
        assert any(t.lineage for t in results.trials), "PBT copied a donor's checkpoint"


def writes_files(config):
    Path("summary.txt").write_text(f"x={config['x']}")
    Path("plots").mkdir(exist_ok=True)
    Path("plots", "curve.csv").write_text("1,2\n")
    return {"loss": config["x"], "trial_dir": os.getcwd()}


def test_files_a_trial_writes_come_back_without_a_shared_folder(nodes_with_gpus, tmp_path):
    results = rung.run(
        writes_files,
        {"x": rung.uniform(0, 1)},
        metric="loss",
        mode="min",
        num_trials=4,
        executor={"name": "ray", "storage": "transfer"},
        storage_path=tmp_path,
        name="exp",
        seed=0,
        verbose=0,
    )
    experiment = Path(results.path)
    for trial in results.trials:
        assert not trial.last_result["trial_dir"].startswith(str(experiment))
        folder = experiment / "trials" / trial.trial_id
        assert (folder / "summary.txt").read_text() == f"x={trial.config['x']}"
        assert (folder / "plots" / "curve.csv").read_text() == "1,2\n"


def reports_its_gpu(config):
    import ray

    rung.report(
        loss=config["x"],
        visible=os.environ.get("CUDA_VISIBLE_DEVICES", ""),
        gpu_ids=[str(g) for g in ray.get_gpu_ids()],
    )


def test_fractional_gpus_pack_four_trials_on_two_gpus(nodes_with_gpus, tmp_path):
    executor = rung.executors.RayExecutor()
    slots = executor.plan_slots({"cpu": 0.5, "gpu": 0.5}, None)
    assert len(slots) == 4, "two GPUs at half a GPU each"
    results = rung.run(
        reports_its_gpu,
        {"x": rung.uniform(0, 1)},
        metric="loss",
        mode="min",
        num_trials=8,
        resources_per_trial={"cpu": 0.5, "gpu": 0.5},
        executor="ray",
        storage_path=tmp_path,
        seed=0,
        verbose=0,
    )
    seen = {t.last_result["visible"] for t in results.trials}
    assert seen <= {"0", "1"} and seen, "each trial sees one of the node's two GPUs"
    assert all([t.last_result["visible"]] == t.last_result["gpu_ids"] for t in results.trials)


def test_a_trial_too_big_for_every_node_is_refused_with_what_the_nodes_offer(nodes_with_gpus):
    executor = rung.executors.RayExecutor()
    with pytest.raises(rung.ConfigError, match="no node of the Ray cluster has room") as error:
        executor.plan_slots({"cpu": 1, "gpu": 3}, None)
    assert "GPU=2" in str(error.value)

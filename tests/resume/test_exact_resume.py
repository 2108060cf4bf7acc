"""Resume is exact: a run killed at any commit and resumed ends as the unbroken run does.

On the simulated executor, for every scheduler in the registry: with one slot, killed
after every single commit of its log (each a boundary between events the driver handled)
and resumed, the run ends with the same trials, configs, statuses, results and best as the
unbroken run with the same seed. The simulated trials checkpoint at every iteration, so a
restarted trial loses nothing and the resumed run can equal the unbroken one exactly.
"""

from __future__ import annotations

import random

import pytest

import rung
from benchmarks.problems.curves import SPACE, make_curve
from rung.executors import SimulatedExecutor
from rung.schedulers import (
    SCHEDULERS,
    AdaptiveHyperBandScheduler,
    ASHAScheduler,
    AsyncHyperBandScheduler,
    CurveStoppingRule,
    FIFOScheduler,
    HyperBandScheduler,
    MedianStoppingRule,
    PopulationBasedTraining,
    SuccessiveHalvingScheduler,
)
from tests.resume.crash import run_until_crash
from tests.resume.validity import check_valid_run

MAX_T = 9
STRATEGIES = {
    "fifo": lambda: FIFOScheduler(),
    "median": lambda: MedianStoppingRule(min_samples_required=2),
    "sha": lambda: SuccessiveHalvingScheduler(max_t=MAX_T, bracket_size=4),
    "asha": lambda: ASHAScheduler(max_t=MAX_T),
    "hyperband": lambda: HyperBandScheduler(max_t=MAX_T),
    "async_hyperband": lambda: AsyncHyperBandScheduler(max_t=MAX_T),
    "adaptive_hyperband": lambda: AdaptiveHyperBandScheduler(max_t=MAX_T),
    "curve": lambda: CurveStoppingRule(max_t=MAX_T, min_points=3, threshold=0.2),
    "pbt": lambda: PopulationBasedTraining(
        perturbation_interval=3, hyperparam_mutations={"decay": rung.uniform(0.1, 2.0)}
    ),
}


def test_every_registered_scheduler_is_checked():
    assert set(STRATEGIES) == set(SCHEDULERS)


def tune(tmp_path, name, scheduler, resume=False, searcher=None, workers=1, every=1):
    curve = make_curve(MAX_T)
    return rung.run(
        curve,
        SPACE,
        metric="loss",
        mode="min",
        scheduler=scheduler(),
        searcher=searcher,
        num_trials=8,
        executor=SimulatedExecutor(workers, checkpoint_every=every),
        seed=3,
        verbose=0,
        storage_path=tmp_path,
        name=name,
        resume=resume,
    )


def summary(results):
    best = results.best_trial
    return (
        [(t.trial_id, t.config, t.status, t.results, t.iteration) for t in results.trials],
        best.trial_id if best else None,
    )


@pytest.mark.parametrize(
    ("scheduler", "searcher"),
    [
        *((name, None) for name in STRATEGIES),
        ("asha", "tpe"),
        ("fifo", "cmaes"),
        ("fifo", "portfolio"),
    ],
)
def test_a_run_killed_after_any_commit_and_resumed_ends_as_the_unbroken_run(
    tmp_path, monkeypatch, scheduler, searcher
):
    strategy = STRATEGIES[scheduler]
    crashed, commits = run_until_crash(
        monkeypatch, None, lambda: tune(tmp_path, "whole", strategy, searcher=searcher)
    )
    assert not crashed
    whole = summary(rung.load(tmp_path / "whole"))
    assert any(status is rung.TrialStatus.TERMINATED for _, _, status, _, _ in whole[0])
    for crash_at in range(1, commits + 1):
        name = f"killed-{crash_at}"
        crashed, _ = run_until_crash(
            monkeypatch,
            crash_at,
            lambda name=name: tune(tmp_path, name, strategy, searcher=searcher),
        )
        assert crashed
        resumed = tune(tmp_path, name, strategy, resume=True, searcher=searcher)
        assert summary(resumed) == whole, f"killed after commit {crash_at} of {commits}"
        assert summary(rung.load(tmp_path / name)) == whole


def read_log(path):
    from rung.store import open_readonly
    from rung.store.sqlite import read_events

    return read_events(open_readonly(path), path)


@pytest.mark.parametrize("scheduler", list(STRATEGIES))
def test_with_several_slots_a_run_killed_again_and_again_stays_a_valid_run(
    tmp_path, monkeypatch, scheduler
):
    """Four slots, trials checkpointing every other iteration, killed after a random commit
    and resumed, over and over until the run ends: the log only ever grows (every event
    committed before a kill is there once, unchanged), and it is a valid run."""
    rng = random.Random(scheduler)
    strategy = STRATEGIES[scheduler]
    logs, kills = [], 0
    while True:
        crash_at = rng.randint(1, 12)
        crashed, _ = run_until_crash(
            monkeypatch,
            crash_at,
            lambda: tune(tmp_path, "exp", strategy, resume=bool(logs), workers=4, every=2),
        )
        logs.append(read_log(tmp_path / "exp"))
        if not crashed:
            break
        kills += 1
    assert kills >= 3
    final = logs[-1]
    for before in logs:
        assert final[: len(before)] == before, "committed events stay, once and unchanged"
    check_valid_run(final)
    results = rung.load(tmp_path / "exp")
    assert len(results.trials) == 8
    assert all(t.status.is_finished or t.status is rung.TrialStatus.PAUSED for t in results.trials)


def two_objectives(config, iteration):
    """The curve's loss against a cost that grows with its scale, epoch by epoch."""
    reported = make_curve(MAX_T)(config, iteration)
    if reported is None:
        return None
    metrics, seconds = reported
    return {**metrics, "cost": config["scale"] * iteration, "decay": config["decay"]}, seconds


def tune_two(tmp_path, name, resume=False, scheduler=None):
    return rung.run(
        two_objectives,
        SPACE,
        metric=["loss", "cost"],
        mode=["min", "min"],
        constraints=["decay <= 1.5"],
        scheduler=scheduler() if scheduler is not None else None,
        searcher="random",  # a model's draws after a resume differ (Searcher.restore)
        num_trials=14,
        executor=SimulatedExecutor(1, checkpoint_every=1),
        seed=3,
        verbose=0,
        storage_path=tmp_path,
        name=name,
        resume=resume,
    )


def front_of(results):
    return [(t.trial_id, t.config, t.last_result) for t in results.front()]


def statuses(results):
    return [(t.trial_id, t.status, len(t.results)) for t in results.trials]


@pytest.mark.parametrize(
    "scheduler",
    [None, lambda: ASHAScheduler(max_t=MAX_T, grace_period=1)],
    ids=["fifo", "multi-objective asha"],
)
def test_several_objectives_killed_after_any_commit_resume_to_the_unbroken_front(
    tmp_path, monkeypatch, scheduler
):
    pytest.importorskip("moocore", reason="the hypervolume needs moocore (rung[multiobjective])")
    crashed, commits = run_until_crash(
        monkeypatch, None, lambda: tune_two(tmp_path, "whole", scheduler=scheduler)
    )
    assert not crashed
    whole = rung.load(tmp_path / "whole")
    assert front_of(whole) and any(not t.feasible for t in whole.trials)
    if scheduler is not None:
        assert any(t.status is rung.TrialStatus.STOPPED for t in whole.trials)
    for crash_at in range(1, commits + 1):
        name = f"killed-{crash_at}"
        crashed, _ = run_until_crash(
            monkeypatch, crash_at, lambda name=name: tune_two(tmp_path, name, scheduler=scheduler)
        )
        assert crashed
        resumed = tune_two(tmp_path, name, resume=True, scheduler=scheduler)
        assert front_of(resumed) == front_of(whole), f"killed after commit {crash_at}"
        assert statuses(resumed) == statuses(whole)
        assert resumed.hypervolume() == whole.hypervolume()
        assert front_of(rung.load(tmp_path / name)) == front_of(whole)

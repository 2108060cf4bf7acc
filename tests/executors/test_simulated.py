"""The simulated clock: exact times, N virtual workers, determinism, scale."""

import pytest

import rung
from rung.executors import SimulatedExecutor
from rung.schedulers import ASHAScheduler
from rung.trial import TrialStatus


def three_steps(config, iteration):
    if iteration > 3:
        return None
    return {"loss": config["x"] / iteration, "epoch": iteration}, config["cost"]


SPACE = {"x": rung.uniform(0, 1), "cost": 1.0}


def run(tmp_path, **kwargs):
    kwargs.setdefault("num_trials", 4)
    kwargs.setdefault("executor", SimulatedExecutor(2))
    return rung.run(
        three_steps,
        kwargs.pop("space", SPACE),
        metric="loss",
        mode="min",
        verbose=0,
        storage_path=tmp_path,
        seed=0,
        **kwargs,
    )


def test_the_clock_advances_by_each_steps_cost_on_n_workers(tmp_path):
    results = run(tmp_path)
    times = [[r["experiment_time_s"] for r in t.results] for t in results.trials]
    assert times == [[1, 2, 3], [1, 2, 3], [4, 5, 6], [4, 5, 6]]
    assert [t.last_result["time_total_s"] for t in results.trials] == [3, 3, 3, 3]
    assert all(t.status is TrialStatus.TERMINATED for t in results.trials)


def test_a_simulated_time_budget_stops_at_that_time(tmp_path):
    results = run(tmp_path, num_trials=10, time_budget_s=4.5)
    assert results.stop_reason == "the time budget of 4.5 s was spent"
    latest = max(r["experiment_time_s"] for t in results.trials for r in t.results)
    assert latest == 4


def test_a_simulated_timeout_fails_the_trial(tmp_path):
    space = {"x": rung.uniform(0, 1), "cost": rung.grid([1.0, 5.0])}
    results = run(tmp_path, space=space, searcher="grid", trial_timeout_s=4)
    fast, slow = results.trials
    assert fast.status is TrialStatus.TERMINATED
    assert slow.status is TrialStatus.ERROR and "timed out after 4.0 simulated s" in slow.error


def test_runs_are_deterministic_under_a_seed(tmp_path):
    first = run(tmp_path, num_trials=50, scheduler=ASHAScheduler(max_t=3))
    second = run(tmp_path, num_trials=50, scheduler=ASHAScheduler(max_t=3))
    assert [t.results for t in first.trials] == [t.results for t in second.trials]


def test_ten_thousand_trials_on_a_thousand_workers(tmp_path):
    results = run(
        tmp_path,
        num_trials=10_000,
        executor=SimulatedExecutor(1000),
        scheduler=ASHAScheduler(max_t=3),
    )
    assert len(results.trials) == 10_000
    assert sum(t.status is TrialStatus.TERMINATED for t in results.trials) < 5_000


def test_only_step_functions_are_accepted(tmp_path):
    with pytest.raises(rung.ConfigError, match="runs step\\(config, iteration\\)"):
        rung.run(
            lambda config: None,
            SPACE,
            metric="loss",
            mode="min",
            num_trials=1,
            executor="simulated",
            storage_path=tmp_path,
        )

import pytest

from rung.schedulers import HyperBandScheduler, SuccessiveHalvingScheduler
from rung.trial import Action, TrialStatus
from tests.schedulers.helpers import Feeder, simulate

# Li et al. (JMLR 2018), Table 1: R = 81, eta = 3; (n_i, r_i) for each bracket s = 4 .. 0.
LI_TABLE = [
    [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
    [(34, 3), (11, 9), (3, 27), (1, 81)],
    [(15, 9), (5, 27), (1, 81)],
    [(8, 27), (2, 81)],
    [(5, 81)],
]


def test_brackets_match_li_et_al_table():
    table = HyperBandScheduler(max_t=81, grace_period=1, reduction_factor=3).table()
    assert table == LI_TABLE


def test_table_scales_with_the_grace_period():
    table = HyperBandScheduler(max_t=810, grace_period=10, reduction_factor=3).table()
    assert table == LI_TABLE


def budget_at(trial, budget):
    return next(r["loss"] for r in trial.results if r["training_iteration"] == budget)


@pytest.mark.parametrize("mode", ["min", "max"])
def test_each_rung_keeps_exactly_the_best_and_resumes_them(mode):
    scheduler = HyperBandScheduler(max_t=9, reduction_factor=3)
    sizes = [n for n, _ in scheduler.bracket_specs()]
    assert sizes == [9, 5, 3]
    results = simulate(scheduler, num_trials=sum(sizes), workers=4, max_t=9, mode=mode)
    brackets = [results.trials[:9], results.trials[9:14], results.trials[14:]]
    for members, rungs in zip(brackets, scheduler.table(), strict=True):
        alive = members
        for (count, budget), following in zip(rungs, [*rungs[1:], None], strict=True):
            assert len(alive) == count
            if following is None:
                assert all(t.iterations == budget for t in alive)
                assert all(t.status is TrialStatus.TERMINATED for t in alive)
                break
            ranked = sorted(alive, key=lambda t: budget_at(t, budget), reverse=mode == "max")
            keep = following[0]
            assert {t.trial_id for t in alive if t.iterations > budget} == {
                t.trial_id for t in ranked[:keep]
            }
            assert all(t.status is TrialStatus.STOPPED for t in ranked[keep:])
            alive = ranked[:keep]
    for trial in results.trials:
        iterations = [r["epoch"] for r in trial.results]
        assert iterations == list(range(1, trial.iterations + 1)), "resumed, not restarted"


def test_a_rung_waits_for_all_its_trials():
    feeder = Feeder(SuccessiveHalvingScheduler(max_t=9, bracket_size=3))
    for trial_id in "abc":
        feeder.add(trial_id)
    assert feeder.report("a", 1, 3.0) is Action.PAUSE
    assert feeder.report("b", 1, 1.0) is Action.PAUSE
    assert feeder.scheduler.take_stopped() == []
    assert feeder.report("c", 1, 2.0) is Action.STOP, "the last one in decides the rung"
    assert sorted(feeder.scheduler.take_stopped()) == ["a"]
    for trial_id in "ab":
        feeder.trials[trial_id].status = TrialStatus.PAUSED
    waiting = [feeder.trials["a"], feeder.trials["b"]]
    chosen = feeder.scheduler.choose_trial_to_run(waiting, more_coming=False)
    assert chosen is feeder.trials["b"], "the promoted one, not the first waiting"
    feeder.scheduler.on_trial_start(chosen)
    assert feeder.scheduler.choose_trial_to_run(waiting, more_coming=False) is None


def test_a_trial_waiting_for_a_retry_runs_before_promotions():
    feeder = Feeder(SuccessiveHalvingScheduler(max_t=9, bracket_size=2))
    for trial_id in "ab":
        feeder.add(trial_id)
    assert feeder.report("a", 1, 3.0) is Action.PAUSE
    feeder.trials["a"].status = TrialStatus.PAUSED
    feeder.trials["b"].status = TrialStatus.PENDING  # failed before its first rung
    waiting = [feeder.trials["a"], feeder.trials["b"]]
    assert feeder.scheduler.choose_trial_to_run(waiting, more_coming=False) is feeder.trials["b"]


def test_a_bracket_closes_when_no_more_trials_come():
    feeder = Feeder(SuccessiveHalvingScheduler(max_t=9))
    for trial_id in "ab":
        feeder.add(trial_id)
    assert feeder.report("a", 1, 3.0) is Action.PAUSE
    assert feeder.report("b", 1, 1.0) is Action.PAUSE
    for trial_id in "ab":
        feeder.trials[trial_id].status = TrialStatus.PAUSED
    waiting = [feeder.trials["a"], feeder.trials["b"]]
    assert feeder.scheduler.choose_trial_to_run(waiting, more_coming=True) is None
    assert feeder.scheduler.take_stopped() == []
    feeder.scheduler.on_no_more_trials()
    assert feeder.scheduler.take_stopped() == ["a"]
    assert feeder.scheduler.choose_trial_to_run(waiting, more_coming=False) is feeder.trials["b"]


def test_sha_on_the_simulated_executor_halves_each_rung():
    results = simulate(SuccessiveHalvingScheduler(max_t=27), num_trials=81, workers=8)
    reached = [sum(t.iterations >= r for t in results.trials) for r in (1, 3, 9, 27)]
    assert reached == [81, 27, 9, 3]
    assert sum(t.status is TrialStatus.TERMINATED for t in results.trials) == 3

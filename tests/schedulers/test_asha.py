import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rung
from rung.schedulers import ASHAScheduler, AsyncHyperBandScheduler
from rung.trial import Action, TrialStatus
from tests.schedulers.helpers import Feeder, simulate


def test_rungs_are_grace_period_times_powers_of_eta_within_max_t():
    assert ASHAScheduler(max_t=27, grace_period=1, reduction_factor=3).milestones() == [1, 3, 9, 27]
    assert ASHAScheduler(max_t=20, grace_period=2, reduction_factor=2).milestones() == [2, 4, 8, 16]
    assert ASHAScheduler(max_t=5, grace_period=5).milestones() == [5]


def naive_continues(recorded, score, eta, mode):
    """Reference: a trial goes on iff it ranks in the top 1/eta (at least first) of the
    scores recorded at the rung, its own included."""
    better = [s for s in recorded if (s < score if mode == "min" else s > score)]
    return len(better) + 1 <= max(1, math.floor((len(recorded) + 1) / eta))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.floats(-10, 10), min_size=1, max_size=40),
    st.sampled_from([2, 3, 4]),
    st.sampled_from(["min", "max"]),
)
def test_a_trial_passes_a_rung_only_in_the_top_fraction_recorded_so_far(scores, eta, mode):
    feeder = Feeder(ASHAScheduler(max_t=100, grace_period=1, reduction_factor=eta), mode)
    recorded = []
    for i, score in enumerate(scores):
        action = feeder.report(f"t{i}", 1, score)
        expected = naive_continues(recorded, score, eta, mode)
        assert (action is Action.CONTINUE) == expected
        recorded.append(score)


def test_a_trial_is_judged_once_per_rung_and_finishes_at_max_t():
    feeder = Feeder(ASHAScheduler(max_t=9, grace_period=1, reduction_factor=3))
    assert feeder.report("a", 1, 5.0) is Action.CONTINUE
    assert feeder.report("b", 1, 1.0) is Action.CONTINUE
    assert feeder.report("c", 1, 9.0) is Action.STOP
    assert feeder.report("a", 2, 100.0) is Action.CONTINUE, "between rungs nothing is judged"
    assert feeder.report("a", 3, 4.0) is Action.CONTINUE, "first at rung 3"
    assert feeder.report("b", 3, 6.0) is Action.STOP, "worse than a, and 1/3 of 2 keeps one"
    assert feeder.report("a", 9, 3.0) is Action.FINISH


def test_nan_scores_rank_last():
    feeder = Feeder(ASHAScheduler(max_t=9, reduction_factor=2))
    assert feeder.report("a", 1, 1.0) is Action.CONTINUE
    assert feeder.report("b", 1, math.nan) is Action.STOP


def test_budget_may_be_any_reported_key():
    feeder = Feeder(ASHAScheduler(time_attr="samples", max_t=1000, grace_period=100))
    trial = feeder.add("a")
    decision = feeder.scheduler.on_trial_result(trial, {"loss": 1.0, "samples": 120})
    assert decision.action is Action.CONTINUE
    with pytest.raises(rung.ConfigError, match="measures budget by 'samples'"):
        feeder.scheduler.on_trial_result(trial, {"loss": 1.0})


@pytest.mark.parametrize("mode", ["min", "max"])
def test_on_the_simulated_executor_trials_stop_only_at_rungs(mode):
    results = simulate(ASHAScheduler(max_t=27), num_trials=300, workers=8, mode=mode)
    stopped = [t for t in results.trials if t.status is TrialStatus.STOPPED]
    finished = [t for t in results.trials if t.status is TrialStatus.TERMINATED]
    assert {t.iterations for t in stopped} <= {1, 3, 9}
    assert {t.iterations for t in finished} == {27}
    reached = {r: sum(t.iterations >= r for t in results.trials) for r in (1, 3, 9, 27)}
    assert reached[1] == 300
    # Early arrivals face few rivals, so asynchrony lets somewhat more than 1/3 through.
    assert reached[3] <= 0.4 * 300 and reached[27] < reached[9] < reached[3]


def test_async_hyperband_spreads_trials_over_brackets_like_hyperband():
    scheduler = AsyncHyperBandScheduler(max_t=27)
    simulate(scheduler, num_trials=400, workers=8)
    counts = [0] * 4
    for trial_id in scheduler._bracket_of:
        counts[scheduler.bracket_of(trial_id)] += 1
    # Hyperband's shares eta^s / (s + 1) for s = 3, 2, 1, 0: 6.75, 3, 1.5, 1 (of 12.25).
    assert counts[0] > counts[1] > counts[2] > counts[3] > 0
    assert abs(counts[0] / 400 - 6.75 / 12.25) < 0.08


def test_bad_settings_are_refused():
    with pytest.raises(rung.ConfigError, match="reduction_factor=1"):
        ASHAScheduler(reduction_factor=1)
    with pytest.raises(rung.ConfigError, match="grace_period=10"):
        ASHAScheduler(grace_period=10, max_t=5)
    with pytest.raises(rung.ConfigError, match="brackets=0"):
        ASHAScheduler(brackets=0)


@pytest.mark.parametrize(
    ("max_t", "first"), [(52, 2), (100, 4), (30, 1), (10, 1), (81, 3), (0.5, 0.5 / 27)]
)
def test_without_a_grace_period_the_first_rung_is_three_halvings_below_max_t(max_t, first):
    """The default users get is the setting the scheduler benchmarks measured: a first rung
    of about max_t / 27 (2 of LCBench's 52 epochs), not one epoch's noisy report."""
    for scheduler in (
        ASHAScheduler(max_t=max_t),
        rung.schedulers.make_scheduler({"name": "asha", "max_t": max_t}),
        rung.schedulers.AsyncHyperBandScheduler(max_t=max_t),
        rung.schedulers.HyperBandScheduler(max_t=max_t),
    ):
        assert scheduler.first_rung == pytest.approx(first)
    assert ASHAScheduler(max_t=max_t).milestones()[0] == pytest.approx(first)
    assert ASHAScheduler(max_t=52, grace_period=1).first_rung == 1, "a given one is kept"

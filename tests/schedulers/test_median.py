import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rung.objective import Objective
from rung.schedulers import MedianStoppingRule
from rung.trial import Action, TrialStatus
from tests.schedulers.helpers import Feeder, simulate


def test_stops_a_trial_whose_best_trails_the_median_of_running_averages():
    feeder = Feeder(MedianStoppingRule(grace_period=2, min_samples_required=3))
    for trial_id, losses in {"a": [4, 2], "b": [6, 4], "c": [10, 2]}.items():
        for step, loss in enumerate(losses, start=1):
            feeder.report(trial_id, step, loss)
    # Running averages at step 2: a 3, b 5, c 6 -> median 5.
    assert feeder.report("d", 1, 9.0) is Action.CONTINUE, "within the grace period"
    assert feeder.report("d", 2, 5.5) is Action.STOP, "best 5.5 > median 5"
    assert feeder.report("e", 1, 9.0) is Action.CONTINUE
    assert feeder.report("e", 2, 4.5) is Action.CONTINUE, "best 4.5 < median of 3, 5, 6, 7.25"


def test_needs_min_samples_before_stopping_anyone():
    feeder = Feeder(MedianStoppingRule(min_samples_required=3))
    feeder.report("a", 1, 1.0)
    feeder.report("b", 1, 1.0)
    assert feeder.report("c", 1, 100.0) is Action.CONTINUE, "only two others at step 1"
    assert feeder.report("d", 1, 100.0) is Action.STOP


def naive_decision(history, trial_id, step, mode, grace, min_samples):
    """Reference: the median over the other trials that reported at ``step`` of their mean
    result up to ``step``; stop when this trial's best so far is worse."""
    sign = 1 if mode == "min" else -1
    own = [sign * v for s, v in history[trial_id] if s <= step]
    averages = [
        statistics.fmean(sign * v for s, v in results if s <= step)
        for other, results in history.items()
        if other != trial_id and any(s == step for s, _ in results)
    ]
    if step < grace or len(averages) < min_samples:
        return Action.CONTINUE
    return Action.STOP if min(own) > statistics.median(averages) else Action.CONTINUE


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.floats(-100, 100, allow_nan=False)),
        min_size=1,
        max_size=60,
    ),
    st.sampled_from(["min", "max"]),
    st.integers(1, 3),
)
def test_decisions_match_the_definition(reports, mode, grace):
    feeder = Feeder(MedianStoppingRule(grace_period=grace, min_samples_required=2), mode)
    history: dict[str, list[tuple[int, float]]] = {}
    stopped = set()
    for trial_index, value in reports:
        trial_id = f"t{trial_index}"
        if trial_id in stopped:
            continue
        step = len(history.get(trial_id, [])) + 1
        history.setdefault(trial_id, []).append((step, value))
        expected = naive_decision(history, trial_id, step, mode, grace, 2)
        assert feeder.report(trial_id, step, value) is expected
        if expected is Action.STOP:
            stopped.add(trial_id)


@pytest.mark.parametrize("mode", ["min", "max"])
def test_on_the_simulated_executor_it_stops_most_and_keeps_the_best(mode):
    results = simulate(MedianStoppingRule(grace_period=3), num_trials=200, mode=mode)
    stopped = [t for t in results.trials if t.status is TrialStatus.STOPPED]
    assert len(stopped) > 100
    assert all(t.iterations >= 3 for t in stopped)
    best = results.get_best_trial(scope="all")
    sign = 1 if mode == "min" else -1
    objective = Objective("loss", mode)
    best_possible = min(sign * t.best_value(objective) for t in results.trials)
    assert math.isclose(sign * best.best_value(objective), best_possible)

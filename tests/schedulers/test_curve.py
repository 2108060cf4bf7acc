import numpy as np
import pytest

from rung.schedulers import CurveStoppingRule
from rung.schedulers.curve import extrapolate
from rung.trial import Action, TrialStatus
from tests.schedulers.helpers import Feeder, simulate


@pytest.mark.parametrize(
    "curve",
    [
        lambda t: 0.2 + 1.5 * t**-0.7,
        lambda t: 0.3 + 0.9 * np.exp(-0.2 * t),
    ],
)
def test_extrapolation_recovers_a_clean_curve(curve):
    budgets = np.arange(1, 13, dtype=float)
    mean, sd = extrapolate(budgets, curve(budgets), 50)
    assert mean == pytest.approx(curve(50.0), abs=0.02)
    assert sd < 0.05


def test_stops_a_curve_that_will_not_beat_the_best_and_keeps_one_that_will():
    feeder = Feeder(CurveStoppingRule(max_t=50, min_points=4))
    for t in range(1, 51):
        feeder.report("good", t, 0.1 + 1.0 * t**-0.8)
    actions = [feeder.report("bad", t, 0.6 + 1.0 * t**-0.8) for t in range(1, 5)]
    assert actions[:3] == [Action.CONTINUE] * 3
    assert actions[3] is Action.STOP
    actions = [feeder.report("better", t, 0.0 + 1.0 * t**-0.8) for t in range(1, 17)]
    assert Action.STOP not in actions


def test_on_the_simulated_executor_it_saves_budget_and_finds_the_best():
    fifo = simulate("fifo", num_trials=100)
    curve = simulate(CurveStoppingRule(max_t=27), num_trials=100)
    spent = [sum(t.iterations for t in r.trials) for r in (fifo, curve)]
    assert spent[1] < 0.5 * spent[0]
    assert curve.best_result["loss"] == pytest.approx(fifo.best_result["loss"], rel=0.05)
    assert any(t.status is TrialStatus.STOPPED for t in curve.trials)

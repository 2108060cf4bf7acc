"""Multi-objective ASHA: a rung ranks score vectors by non-dominated sorting, ties within a
front broken by an epsilon-net, and keeps the top 1/eta."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import rung
from rung.executors import SimulatedExecutor
from rung.objective import Objective
from rung.pareto import promotion_ranks
from rung.schedulers import ASHAScheduler
from rung.trial import Action, Trial, TrialStatus


def dominates(a, b):
    return all(x <= y for x, y in zip(a, b, strict=True)) and a != b


def reference_order(points):
    """The promotion order written the slow, obvious way: peel fronts, walk each front by
    an epsilon-net from its best first objective, the unrankable last."""
    rankable = [i for i, p in enumerate(points) if all(math.isfinite(v) for v in p)]
    order, left = [], list(rankable)
    while left:
        front = [i for i in left if not any(dominates(points[j], points[i]) for j in left)]
        low = [min(points[i][k] for i in front) for k in range(len(points[0]))]
        high = [max(points[i][k] for i in front) for k in range(len(points[0]))]
        scaled = {
            i: [(points[i][k] - low[k]) / ((high[k] - low[k]) or 1) for k in range(len(low))]
            for i in front
        }
        picked = [min(front, key=lambda i: (scaled[i], i))]
        while len(picked) < len(front):
            rest = [i for i in front if i not in picked]
            picked.append(
                max(rest, key=lambda i: (min(math.dist(scaled[i], scaled[j]) for j in picked), -i))
            )
        order += picked
        left = [i for i in left if i not in front]
    return order + [i for i in range(len(points)) if i not in rankable]


vectors = st.lists(
    st.tuples(
        st.one_of(st.integers(0, 6).map(float), st.just(math.inf)), st.integers(0, 6).map(float)
    ),
    min_size=1,
    max_size=25,
)


@given(vectors)
def test_the_promotion_order_is_fronts_then_an_epsilon_net(points):
    ranks = promotion_ranks(points)
    assert list(np.argsort(ranks)) == reference_order(points)


class TwoObjectiveFeeder:
    """Feeds results of two minimized metrics straight to a scheduler."""

    def __init__(self, scheduler):
        self.scheduler = scheduler
        scheduler.setup(Objective.of(["a", "b"], ["min", "min"]), np.random.default_rng(0))
        self.trials = {}

    def report(self, trial_id, budget, a, b):
        if trial_id not in self.trials:
            self.trials[trial_id] = Trial(trial_id, {})
            self.scheduler.on_trial_add(self.trials[trial_id])
        result = {"a": a, "b": b, "training_iteration": budget}
        self.trials[trial_id].results.append(result)
        return self.scheduler.on_trial_result(self.trials[trial_id], result).action


@settings(max_examples=100, deadline=None)
@given(vectors, st.sampled_from([2, 3]))
def test_a_trial_passes_a_rung_only_in_the_top_fraction_of_the_promotion_order(points, eta):
    feeder = TwoObjectiveFeeder(ASHAScheduler(max_t=100, grace_period=1, reduction_factor=eta))
    for i, (a, b) in enumerate(points):
        action = feeder.report(f"t{i}", 1, a, b)
        rank = reference_order(points[: i + 1]).index(i) + 1
        assert (action is Action.CONTINUE) == (rank <= max(1, math.floor((i + 1) / eta)))


def test_a_trade_off_goes_on_where_one_metric_alone_would_stop_it():
    feeder = TwoObjectiveFeeder(ASHAScheduler(max_t=9, grace_period=1, reduction_factor=2))
    assert feeder.report("a", 1, 1.0, 5.0) is Action.CONTINUE
    assert feeder.report("worse", 1, 2.0, 6.0) is Action.STOP, "dominated by a"
    assert feeder.report("worse still", 1, 2.5, 7.0) is Action.STOP
    # The worst on a of the four, the best on b: second in the order, and 4 / 2 go on.
    assert feeder.report("other end", 1, 3.0, 1.0) is Action.CONTINUE


def test_multi_objective_asha_stops_trials_and_keeps_the_front_trained(tmp_path):
    """Accuracy against a cost: curves whose final loss trades off against their 'width';
    ASHA stops most trials early and what it trains to the end spans the front."""

    def step(config, iteration):
        if iteration > 27:
            return None
        loss = config["floor"] + iteration ** -config["decay"]
        return {"loss": loss, "width": 1 - config["floor"]}, 1.0

    space = {"floor": rung.uniform(0, 1), "decay": rung.uniform(0.1, 2)}
    results = rung.run(
        step,
        space,
        metric=["loss", "width"],
        mode=["min", "min"],
        scheduler=ASHAScheduler(max_t=27, grace_period=1, reduction_factor=3),
        num_trials=60,
        executor=SimulatedExecutor(4),
        storage_path=tmp_path,
        name="moasha",
        seed=0,
        verbose=0,
    )
    statuses = [t.status for t in results.trials]
    assert statuses.count(TrialStatus.STOPPED) >= 30
    finished = [t for t in results.trials if t.status is TrialStatus.TERMINATED]
    widths = [t.last_result["width"] for t in finished]
    assert max(widths) - min(widths) > 0.5, "the finished trials span the trade-off"
    assert len(results.front()) >= 3
    reloaded = rung.load(tmp_path / "moasha")
    assert [t.trial_id for t in reloaded.front()] == [t.trial_id for t in results.front()]

"""Several objectives and constraints: the Pareto front, its hypervolume, what breaks a
constraint, and what refuses to rank by one metric when there are several."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rung
from rung.constraints import Bound, Constraints
from rung.errors import ConfigError
from rung.objective import Objective
from rung.results import non_dominated
from tests.commands import rung_command
from tests.zdt import front_volume

SPACE = {"x": rung.uniform(0, 1), "y": rung.uniform(0, 1)}


def zdt1_like(config):
    """Two objectives that trade off along x (a ZDT1 front at y = 0), and a memory figure
    that a constraint bounds."""
    x, y = config["x"], config["y"]
    rung.report(f1=x, f2=(1 + y) * (1 - math.sqrt(x / (1 + y))), mem=20 * y)


def run_two(tune, **kwargs):
    kwargs.setdefault("num_trials", 24)
    return tune(
        zdt1_like, SPACE, metric=["f1", "f2"], mode=["min", "min"], executor="inline", **kwargs
    )


@pytest.mark.parametrize(
    ("metric", "mode", "message"),
    [
        (["a", "b"], "min", "give a mode for each"),
        ("a", ["min", "max"], "give a mode for each"),
        (["a", "b"], ["min"], "one mode for each metric"),
        (["a", "a"], ["min", "max"], "each metric once"),
        (["a", "b"], ["min", "up"], "use 'min' or 'max'"),
    ],
)
def test_several_objectives_are_named_with_a_mode_each(metric, mode, message):
    with pytest.raises(ConfigError, match=message):
        Objective.of(metric, mode)


def test_one_metric_in_a_list_is_one_objective():
    assert Objective.of(["acc"], ["max"]) == Objective("acc", "max")
    two = Objective.of(["acc", "ms"], ["max", "min"])
    assert two.several and two.metrics == ("acc", "ms") and two.modes == ("max", "min")
    assert two.scores({"acc": 0.9, "ms": 3}) == (-0.9, 3.0)
    assert two.scores({"acc": 0.9}) == (-0.9, math.inf)


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=30))
def test_the_front_is_what_nothing_dominates(points):
    kept = non_dominated(np.array(points, dtype=float))

    def dominates(a, b):
        return (
            all(x <= y for x, y in zip(a, b, strict=True))
            and a != b
            and any(x < y for x, y in zip(a, b, strict=True))
        )

    for point, keep in zip(points, kept, strict=True):
        assert keep == (not any(dominates(other, point) for other in points))


@pytest.mark.parametrize(
    ("text", "result", "violation"),
    [
        ("mem <= 16", {"mem": 10}, -6.0),
        ("mem <= 16", {"mem": 18}, 2.0),
        (" acc>=0.9 ", {"acc": 0.95}, pytest.approx(-0.05)),
        ("mem <= 1e3", {}, math.inf),
        ("mem <= 16", {"mem": "big"}, math.inf),
    ],
)
def test_a_bound_says_how_far_a_result_is_past_it(text, result, violation):
    assert Bound.parse(text).violation(result) == violation


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mem < 16", "use <= or >="),
        ("mem == 3", "use <= or >="),
        ("import os", "write a reported key"),
    ],
)
def test_a_constraint_that_cannot_be_read_is_named(text, message):
    with pytest.raises(ConfigError, match=message) as raised:
        Constraints([text])
    assert repr(text) in str(raised.value)


def test_functions_and_texts_are_one_violation_and_a_failing_function_is_infeasible():
    constraints = Constraints(["mem <= 16", lambda r: [r["a"] - 1, r["b"]]])
    assert constraints.violation({"mem": 4, "a": 0.5, "b": -2}) == -0.5
    assert constraints.violation({"mem": 20, "a": 0.5, "b": -2}) == 4.0
    with pytest.warns(rung.RungWarning, match="failed on a result"):
        assert constraints.violation({"mem": 4}) == math.inf  # the function raised KeyError
    assert constraints.saved()[0] == "mem <= 16"


def test_the_front_holds_the_feasible_trials_nothing_beats(tune, tmp_path):
    results = run_two(tune, constraints=["mem <= 12"], name="two")
    front = [t.trial_id for t in results.front()]
    feasible = [t for t in results.trials if t.last_result["mem"] <= 12]
    assert front and set(front) <= {t.trial_id for t in feasible}
    assert all(not t.feasible for t in results.trials if t.last_result["mem"] > 12)
    for trial in feasible:
        mine = (trial.last_result["f1"], trial.last_result["f2"])
        beaten = any(
            o.last_result["f1"] <= mine[0]
            and o.last_result["f2"] <= mine[1]
            and o is not trial
            and (o.last_result["f1"], o.last_result["f2"]) != mine
            for o in feasible
        )
        assert (trial.trial_id in front) == (not beaten)
    on_front = results.front()
    table = results.pareto_front()
    by_f1 = sorted(on_front, key=lambda t: t.last_result["f1"])
    assert list(table["trial_id"]) == [t.trial_id for t in by_f1]
    assert list(table["f2"]) == [t.last_result["f2"] for t in by_f1]
    with pytest.raises(ConfigError, match=r"several objectives.*pareto_front\(\)"):
        _ = results.best_trial
    assert results.get_best_trial(metric="f1", mode="min").last_result["f1"] == min(
        t.last_result["f1"] for t in feasible
    )
    loaded = rung.load(tmp_path / "two")  # the log alone says which results were feasible
    assert [t.trial_id for t in loaded.front()] == front


def test_the_hypervolume_is_the_area_the_front_dominates(tune):
    pytest.importorskip("moocore", reason="the hypervolume needs moocore (rung[multiobjective])")
    results = run_two(tune, name="hv")
    points = sorted((t.last_result["f1"], t.last_result["f2"]) for t in results.front())
    reference = (1.1, 2.5)
    area, ceiling = 0.0, reference[1]
    for f1, f2 in points:  # staircase from the left: each point's strip up to the last one
        area += (reference[0] - f1) * (ceiling - f2)
        ceiling = f2
    assert results.hypervolume(reference) == pytest.approx(area)
    assert 0 < results.hypervolume() < area, "the default reference is the worst seen"
    with pytest.raises(ConfigError, match="one value per objective"):
        results.hypervolume([1.0])


def test_one_objective_with_a_constraint_never_ranks_an_infeasible_trial_best(tune):
    results = tune(
        zdt1_like,
        SPACE,
        metric="f1",
        mode="min",
        constraints="f1 >= 0.2",
        num_trials=20,
        executor="inline",
    )
    feasible = [t for t in results.trials if t.last_result["f1"] >= 0.2]
    assert results.best_trial.last_result["f1"] == min(t.last_result["f1"] for t in feasible)
    assert min(t.last_result["f1"] for t in results.trials) < results.best_result["f1"]


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        ({"searcher": "cmaes"}, "CMAESSearch ranks trials by one metric"),
        ({"searcher": "evolution"}, "EvolutionSearch ranks trials by one metric"),
        ({"searcher": "bohb"}, "BOHBSearch ranks trials by one metric"),
        ({"scheduler": {"name": "median"}}, "MedianStoppingRule compares trials by one"),
        ({"scheduler": {"name": "hyperband", "max_t": 3}}, "HyperBandScheduler compares"),
        ({"scheduler": {"name": "adaptive_hyperband", "max_t": 3}}, "AdaptiveHyperBand"),
        (
            {"scheduler": {"name": "pbt", "hyperparam_mutations": SPACE}},
            "PopulationBasedTraining compares trials by one",
        ),
    ],
)
def test_what_ranks_by_one_metric_is_refused_before_a_trial(tune, tmp_path, strategy, message):
    with pytest.raises(ConfigError, match=message):
        run_two(tune, name="refused", **strategy)
    assert not (tmp_path / "refused").exists()


def test_auto_serves_several_objectives(tune):
    results = run_two(tune, searcher="auto", num_trials=40, name="auto")
    assert len(results.front()) >= 3


def test_resumed_front_equals_the_unbroken_runs(tune, tmp_path):
    unbroken = run_two(tune, num_trials=16, name="unbroken", constraints=["mem <= 12"])
    run_two(tune, num_trials=8, name="broken", constraints=["mem <= 12"])
    resumed = run_two(tune, num_trials=16, name="broken", constraints=["mem <= 12"], resume=True)
    ids = [t.trial_id for t in unbroken.front()]
    assert [t.trial_id for t in resumed.front()] == ids
    assert [t.trial_id for t in rung.load(tmp_path / "broken").front()] == ids


def test_rung_status_shows_the_front(tune, tmp_path):
    run_two(tune, name="status")
    said = rung_command("status", tmp_path / "status", cwd=tmp_path)
    assert said.returncode == 0 and "Pareto front (min 'f1', min 'f2'):" in said.stdout


def test_the_front_chart_marks_the_front_and_what_breaks_a_constraint(tune, tmp_path):
    pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is not installed")
    results = run_two(tune, constraints=["mem <= 12"], name="plots")
    chart = rung.plot.charts.pareto_front(results)
    (panel,) = chart.panels
    by_label = {t.label.split(" (")[0]: t for t in panel.traces}
    front = sorted(results.front(), key=lambda t: t.last_result["f1"])
    assert by_label["the Pareto front"].x == [t.last_result["f1"] for t in front]
    infeasible = [t for t in results.trials if not t.feasible]
    assert len(by_label["breaks a constraint"].x) == len(infeasible) > 0
    figure = rung.plot.pareto_front(tmp_path / "plots")  # a folder, drawn by matplotlib
    assert figure.axes[0].get_xlabel() == "f1" and figure.axes[0].get_ylabel() == "f2"


def test_the_hypervolume_chart_ends_at_the_fronts_hypervolume(tune):
    pytest.importorskip("moocore", reason="the hypervolume needs moocore (rung[multiobjective])")
    results = run_two(tune, name="hv_chart")
    (trace,) = rung.plot.charts.hypervolume_over_time(results).panels[0].traces
    assert trace.y[-1] == pytest.approx(results.hypervolume())
    assert all(a <= b + 1e-12 for a, b in zip(trace.y, trace.y[1:], strict=False)), "it only grows"


def test_charts_that_rank_by_one_metric_refuse_several_objectives(tune):
    results = run_two(tune, name="refuse_charts")
    for chart in (rung.plot.charts.best_so_far, rung.plot.charts.importance):
        with pytest.raises(ConfigError, match=r"ranks by one metric.*pareto_front"):
            chart(results)
    single = tune(zdt1_like, SPACE, metric="f1", mode="min", num_trials=4, executor="inline")
    with pytest.raises(ConfigError, match="one objective"):
        rung.plot.charts.pareto_front(single)


def test_an_experiment_file_takes_several_objectives_and_constraints(tmp_path):
    (tmp_path / "model.py").write_text(
        "import math\n"
        "def train(config):\n"
        "    x, y = config['x'], config['y']\n"
        "    return {'f1': x, 'f2': (1 + y) * (1 - math.sqrt(x / (1 + y))), 'mem': 20 * y}\n"
    )
    (tmp_path / "experiment.yaml").write_text(
        "trainable: model:train\n"
        "space:\n  x: uniform(0, 1)\n  y: uniform(0, 1)\n"
        "metric: [f1, f2]\nmode: [min, min]\n"
        "constraints: ['mem <= 12']\n"
        "num_trials: 12\nexecutor: inline\nseed: 0\nname: from_file\n"
        f"storage_path: {tmp_path}\n"
    )
    said = rung_command("run", "experiment.yaml", cwd=tmp_path)
    assert said.returncode == 0, said.stderr
    assert "Pareto front" in said.stdout
    loaded = rung.load(tmp_path / "from_file")
    assert loaded.objective.metrics == ("f1", "f2") and loaded.front()
    assert all(t.feasible == (t.last_result["mem"] <= 12) for t in loaded.trials)


def test_multi_objective_tpe_finds_a_larger_front_than_random_search():
    pytest.importorskip("moocore", reason="the hypervolume needs moocore (rung[multiobjective])")
    volumes = {
        searcher: [front_volume(searcher, 80, seed) for seed in range(3)]
        for searcher in ("tpe", "random")
    }
    assert np.median(volumes["tpe"]) > np.median(volumes["random"])


def test_auto_models_several_objectives_with_a_gp_where_a_gp_can_afford_it():
    from rung.searchers.auto import choose

    space = rung.Space(SPACE)
    assert choose(space, 12, several=True)[0] == "quasirandom"
    assert choose(space, 40, several=True)[0] == "gp"
    assert choose(space, 500, several=True)[0] == "tpe"
    assert choose(space, None, several=True)[0] == "tpe"
    wide = rung.Space({f"x{i}": rung.uniform(0, 1) for i in range(40)})
    assert choose(wide, 100, several=True)[0] == "tpe"
    conditional = rung.Space(
        {"opt": rung.choice([{"name": "sgd", "lr": rung.uniform(0, 1)}, {"name": "adam"}])}
    )
    assert choose(conditional, 100, several=True)[0] == "tpe"
    assert choose(space, 100, early_stopping=True, several=True)[0] == "random"


@settings(deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=2, max_size=20),
    st.integers(0, 10_000),
)
def test_parego_scores_a_dominated_trial_worse_than_what_dominates_it(points, seed):
    searcher = rung.searchers.GPSearch(seed=seed).setup(
        SPACE, Objective.of(["f1", "f2"], ["min", "min"])
    )
    for i, (f1, f2) in enumerate(points):
        searcher.adopt(str(i), {"x": 0.5, "y": 0.5})
        searcher.on_trial_complete(str(i), {"f1": f1, "f2": f2})
    searcher.scalarize()
    loss = searcher.observed.loss
    for i, a in enumerate(points):
        for j, b in enumerate(points):
            if a[0] <= b[0] and a[1] <= b[1] and a != b:
                assert loss[i] < loss[j]


def test_gp_finds_a_larger_front_than_multi_objective_tpe_on_zdt1():
    pytest.importorskip("moocore", reason="the hypervolume needs moocore (rung[multiobjective])")
    volumes = {searcher: front_volume(searcher, 50, 0) for searcher in ("gp", "tpe")}
    assert volumes["gp"] > volumes["tpe"] + 0.5


def test_with_four_objectives_the_gp_proposes_on_random_scalarizations(monkeypatch):
    searcher = rung.searchers.GPSearch(n_startup=4, seed=0).setup(
        SPACE, Objective.of(["f1", "f2", "f3", "f4"], ["min"] * 4)
    )
    scalarized = []
    monkeypatch.setattr(
        searcher, "scalarize", lambda real=searcher.scalarize: scalarized.append(real())
    )
    for i in range(8):
        config = searcher.suggest(str(i))
        x, y = config["x"], config["y"]
        searcher.on_trial_complete(str(i), {"f1": x, "f2": y, "f3": 1 - x, "f4": 1 - y})
    assert len(scalarized) == 4, "every proposal after the start-up is ParEGO's"


def test_good_trials_weigh_by_what_the_front_would_lose_without_them():
    pytest.importorskip("moocore", reason="the hypervolume needs moocore (rung[multiobjective])")
    from rung.searchers.tpe import contribution_weights

    # Three on a front and one the middle one dominates. With the reference 10% of the span
    # beyond the worst (4.4, 4.4), each adds a rectangle only it covers: 2 x 0.4, 2 x 1.9
    # and 0.4 x 2.1; the dominated one adds nothing.
    scores = np.array([[0.0, 4.0], [2.0, 2.1], [4.0, 0.0], [2.5, 2.5]])
    weights = contribution_weights(scores)
    assert weights[:3] == pytest.approx([0.8 / 3.8, 1.0, 0.84 / 3.8])
    assert weights[3] == pytest.approx(1e-12)


def test_a_searcher_ranks_a_result_past_the_constraints_after_every_feasible_one():
    searcher = rung.searchers.TPESearch(seed=0).setup({"x": rung.uniform(0, 1)})
    reports = [  # (loss, violation): the best loss breaks the constraints
        ("a", 0.1, 2.0),
        ("b", 0.5, None),
        ("c", 0.3, -1.0),
        ("d", 0.2, 0.5),
    ]
    for trial_id, loss, violation in reports:
        searcher.adopt(trial_id, {"x": loss})
        searcher.on_trial_complete(trial_id, {"loss": loss}, violation=violation)
    order = [reports[i][0] for i in searcher.observed.ranking()]
    assert order == ["c", "b", "d", "a"], "feasible by loss, then the least violating"


def constrained_bowl(config):
    """Lowest at x = 0.2, which the constraint x >= 0.5 rules out."""
    rung.report(loss=(config["x"] - 0.2) ** 2 + (config["y"] - 0.5) ** 2, x=config["x"])


def test_tpe_learns_where_the_constraints_hold(tune):
    space = {"x": rung.uniform(0, 1), "y": rung.uniform(0, 1)}
    late_feasible = {}
    for searcher in ("tpe", "random"):
        results = tune(
            constrained_bowl,
            space,
            metric="loss",
            mode="min",
            constraints="x >= 0.5",
            searcher=searcher,
            num_trials=60,
            executor="inline",
            name=searcher,
        )
        late = sorted(results.trials, key=lambda t: t.trial_id)[-30:]
        late_feasible[searcher] = sum(t.feasible for t in late)
        assert results.best_result["x"] >= 0.5
    assert late_feasible["tpe"] > late_feasible["random"]

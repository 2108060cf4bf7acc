import math

import numpy as np
import pytest

import rung
from rung.errors import ConfigError
from rung.objective import Objective
from rung.searchers import (
    SEARCHERS,
    AutoSearch,
    BOHBSearch,
    EvolutionSearch,
    RandomSearch,
    make_searcher,
)
from rung.searchers.auto import choose
from tests.searchers.loop import MIXED_CONDITIONAL, SPHERE_SPACE, minimize, sphere, stepped_sphere

SPHERE6 = {f"x{i}": rung.uniform(0, 1) for i in range(6)}


def sphere6(config):
    return sum((v - 0.3) ** 2 for v in config.values())


def test_evolution_beats_random_search_on_a_six_dimensional_bowl():
    evo = [min(minimize(EvolutionSearch(), SPHERE6, sphere6, 200, s)[1]) for s in range(3)]
    rand = [min(minimize(RandomSearch(), SPHERE6, sphere6, 200, s)[1]) for s in range(3)]
    assert np.median(evo) < 0.3 * np.median(rand)


def test_evolution_keeps_the_newest_members_and_children_differ_from_parents():
    searcher = EvolutionSearch(population_size=8, sample_size=3)
    minimize(searcher, rung.Space(MIXED_CONDITIONAL), lambda c: c["layers"], 40, seed=1)
    assert list(searcher._population) == list(range(32, 40))
    parent = searcher.observed.x[0]
    for _ in range(20):
        child = searcher.mutate(parent)
        assert not np.array_equal(np.nan_to_num(child, nan=-1), np.nan_to_num(parent, nan=-1))
        assert searcher.space.contains(searcher.geometry.decode(child))


@pytest.mark.parametrize(
    ("make", "knob"),
    [
        (lambda: EvolutionSearch(population_size=4, sample_size=5), "sample_size"),
        (lambda: EvolutionSearch(population_size=0), "population_size"),
        (lambda: rung.searchers.GPSearch(n_candidates=0), "n_candidates"),
        (lambda: rung.searchers.TPESearch(n_startup=-1), "n_startup"),
        (lambda: BOHBSearch(random_fraction=1.5), "random_fraction"),
    ],
)
def test_bad_searcher_settings_are_refused_naming_the_knob(make, knob):
    with pytest.raises(ConfigError, match=knob):
        make()


def report_curves(searcher, trials, budgets=(1, 3, 9), seed=0):
    """Trials report at each budget; the loss at budget b is sphere + 1/b."""
    searcher.setup(SPHERE_SPACE, Objective("loss"), np.random.default_rng(seed))
    for i in range(trials):
        config = searcher.suggest(f"t{i}")
        for b in budgets[: 1 + i % len(budgets)]:
            result = {"loss": sphere(config) + 1 / b, "training_iteration": b}
            searcher.on_trial_result(f"t{i}", result)
        searcher.on_trial_complete(f"t{i}", result, stopped_early=b < budgets[-1])
    return searcher


def test_bohb_models_the_largest_budget_with_enough_results():
    searcher = report_curves(BOHBSearch(), 4)
    assert searcher.model_budget() is None  # 2 parameters need 5 results at a budget
    searcher = report_curves(BOHBSearch(), 15)
    assert searcher.model_budget() == 9.0
    assert len(searcher.by_budget[1.0]) == 15 and len(searcher.by_budget[9.0]) == 5


def test_bohb_proposals_concentrate_near_the_optimum():
    # Pooled over seeds: one seed's 20 proposals depend on its 60 trials' luck. Random
    # proposals have a median sphere of 0.22.
    losses = []
    for seed in range(5):
        searcher = report_curves(BOHBSearch(random_fraction=0.0), 60, seed=seed)
        losses += [sphere(searcher.suggest(f"p{i}")) for i in range(20)]
    assert np.median(losses) < 0.05


def test_bohb_counts_a_failed_trial_as_bad_at_its_budget():
    searcher = BOHBSearch().setup(SPHERE_SPACE, Objective("loss"), np.random.default_rng(0))
    config = searcher.suggest("a")
    searcher.on_trial_result("a", {"loss": 0.5, "training_iteration": 1})
    searcher.on_trial_complete("a", {"loss": math.nan, "training_iteration": 2}, failed=True)
    assert searcher.by_budget[2.0]["a"][1] == math.inf
    assert searcher.space.decode(searcher.by_budget[2.0]["a"][0]) == config


def test_bohb_fits_again_only_when_its_model_budget_gets_a_result():
    searcher = report_curves(BOHBSearch(random_fraction=0.0), 15)
    fitted = searcher._densities(9.0)
    config = searcher.suggest("p")
    searcher.on_trial_result("p", {"loss": sphere(config) + 1, "training_iteration": 1})
    assert searcher._densities(9.0) is fitted  # a result at another budget
    searcher.on_trial_result("p", {"loss": 0.0, "training_iteration": 9})
    refitted = searcher._densities(9.0)
    assert refitted is not fitted
    assert any(np.allclose(c, searcher.space.encode(config)) for c in refitted[0].centers)
    # The same trial failing at that budget replaces its result there: fitted again.
    searcher.on_trial_complete("p", {"loss": math.nan, "training_iteration": 9}, failed=True)
    assert searcher._densities(9.0) is not refitted
    assert not any(
        np.allclose(c, searcher.space.encode(config)) for c in searcher._densities(9.0)[0].centers
    )


def test_bohb_with_hyperband_in_a_run():
    results = rung.run(
        stepped_sphere,
        SPHERE_SPACE,
        metric="loss",
        mode="min",
        searcher="bohb",
        scheduler=rung.schedulers.HyperBandScheduler(max_t=9, grace_period=1),
        num_trials=60,
        executor="inline",
        seed=0,
        verbose=0,
    )
    assert results.best_result["loss"] < 0.2


@pytest.mark.parametrize(
    ("space", "trials", "picked"),
    [
        ({"a": rung.grid([1, 2])}, None, "grid"),
        (SPHERE_SPACE, 10, "quasirandom"),
        (MIXED_CONDITIONAL, 100, "tpe"),
        ({f"x{i}": rung.uniform(0, 1) for i in range(20)}, 100, "tpe"),
        (SPHERE_SPACE, 5000, "cmaes"),
        (SPHERE_SPACE, None, "cmaes"),
        ({"x": rung.loguniform(1e-3, 1), "n": rung.randint(1, 5)}, 5000, "tpe"),
        ({"a": 1}, 5000, "tpe"),
        (SPHERE_SPACE, 100, "portfolio"),
    ],
)
def test_auto_picks_by_space_and_budget(space, trials, picked):
    assert choose(rung.Space(space), trials)[0] == picked


def test_auto_under_a_scheduler_that_stops_early_picks_bohb(capsys):
    assert choose(rung.Space(SPHERE_SPACE), 100, early_stopping=True)[0] == "bohb"
    assert choose(rung.Space(SPHERE_SPACE), 10, early_stopping=True)[0] == "quasirandom"
    picked = {}
    for scheduler in ("asha", "fifo", "median"):
        results = rung.run(
            stepped_sphere,
            SPHERE_SPACE,
            metric="loss",
            mode="min",
            searcher="auto",
            scheduler=scheduler if scheduler != "asha" else {"name": "asha", "max_t": 9},
            max_iterations=9,
            num_trials=20,
            executor="inline",
            seed=0,
            verbose=1,
        )
        assert len(results.trials) == 20
        header = capsys.readouterr().out.splitlines()[0]
        picked[scheduler] = header.split("auto: ")[1].split(" ")[0]
    assert picked == {"asha": "BOHBSearch", "fifo": "PortfolioSearch", "median": "PortfolioSearch"}


def test_auto_says_what_it_picked_and_proposes_as_it():
    auto = AutoSearch().setup(SPHERE_SPACE, Objective("loss"), np.random.default_rng(3), 200)
    assert auto.describe().startswith("auto: PortfolioSearch (")
    assert [type(m).__name__ for m in auto.chosen.members] == ["GPSearch", "TPESearch"]
    tpe = AutoSearch().setup(MIXED_CONDITIONAL, Objective("loss"), np.random.default_rng(3), 200)
    assert "TPESearch" in tpe.describe() and "conditional" in tpe.describe()


def test_every_name_resolves_and_unknown_names_list_the_choices():
    assert set(SEARCHERS) == {
        "random",
        "grid",
        "quasirandom",
        "tpe",
        "gp",
        "evolution",
        "nsga2",
        "anneal",
        "bohb",
        "auto",
        "given",
        "cmaes",
        "portfolio",
    }
    for name, cls in SEARCHERS.items():
        spec = {"name": name, "configs": [{"x": 1}]} if name == "given" else name
        assert type(make_searcher(spec)) is cls
    with pytest.raises(ConfigError, match="bohb"):
        make_searcher("bayes")


@pytest.mark.parametrize(
    "name", ["tpe", "gp", "evolution", "nsga2", "anneal", "bohb", "auto", "cmaes", "portfolio"]
)
def test_model_based_searchers_survive_failures_and_nan_in_a_run(name):
    def trainable(config):
        if config["x"] < 0.2:
            raise ValueError("diverged")
        rung.report(loss=math.nan if config["y"] < 0.2 else sphere(config))

    results = rung.run(
        trainable,
        SPHERE_SPACE,
        metric="loss",
        mode="min",
        searcher=name,
        num_trials=24,
        executor="inline",
        seed=0,
        verbose=0,
    )
    assert len(results.trials) == 24
    assert any(t.status.value == "ERROR" for t in results.trials)
    assert results.best_result["loss"] < 0.1

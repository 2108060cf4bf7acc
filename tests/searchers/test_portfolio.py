"""The portfolio: members take turns by which one's proposals lately improved the best."""

import numpy as np
import pytest

import rung
from rung.errors import ConfigError
from rung.objective import Objective
from rung.searchers import GPSearch, PortfolioSearch, TPESearch
from rung.searchers.base import Searcher
from tests.searchers.loop import SPHERE_SPACE, best_so_far, minimize, sphere

LINE = {"x": rung.uniform(0, 1)}


class Descending(Searcher):
    """Proposes x = 0.99, 0.98, ...: every proposal beats every earlier one on loss = x."""

    def _setup(self) -> None:
        self.next = 1.0

    def _suggest(self, trial_id):
        self.next -= 0.01
        return {"x": self.next}


class Stuck(Searcher):
    """Always proposes x = 1: never an improvement after the first."""

    def _suggest(self, trial_id):
        return {"x": 1.0}


def drive(portfolio: PortfolioSearch, trials: int, replay: list[dict] = ()) -> list[tuple]:
    """Sequential trials on loss = x, the first ones replayed from ``replay`` as a resume
    does; which member proposed each trial, and what."""
    portfolio.setup(LINE, Objective("loss"), np.random.default_rng(0))
    history = []
    for i in range(trials):
        if i < len(replay):
            config = replay[i]
            portfolio.restore(f"t{i}", config)
        else:
            config = portfolio.suggest(f"t{i}")
        history.append((portfolio._proposer[f"t{i}"], config))
        portfolio.on_trial_complete(f"t{i}", {"loss": config["x"], "training_iteration": 1})
    return history


def test_turns_go_to_the_member_that_improves_and_each_keeps_its_minimum_share():
    history = drive(PortfolioSearch([Stuck(), Descending()], window=10, min_share=0.1), 60)
    proposers = [member for member, _ in history]

    later = proposers[10:]
    assert later.count(1) >= 0.8 * len(later)  # the improving member leads
    for start in range(len(proposers) - 10):  # and the other is never starved
        assert proposers[start : start + 10].count(0) >= 1


def test_every_member_learns_from_every_trial_whoever_proposed_it():
    portfolio = PortfolioSearch(["gp", "tpe"]).setup(
        SPHERE_SPACE, Objective("loss"), np.random.default_rng(0)
    )
    for i in range(25):
        config = portfolio.suggest(f"t{i}")
        portfolio.on_trial_complete(f"t{i}", {"loss": sphere(config), "training_iteration": 1})
    gp, tpe = portfolio.members
    assert isinstance(gp, GPSearch) and isinstance(tpe, TPESearch)
    assert len(gp.observed) == len(tpe.observed) == 25
    assert not gp.pending and not tpe.pending and not portfolio.pending
    assert sum(portfolio.proposed) == 25 and portfolio.proposed[1] >= 1
    assert "GPSearch" in portfolio.describe() and "TPESearch" in portfolio.describe()


def test_a_resumed_portfolio_chooses_as_the_unbroken_one():
    make = lambda: PortfolioSearch([Stuck(), Descending()], window=6, min_share=0.2)  # noqa: E731
    unbroken = drive(make(), 40)
    resumed = drive(make(), 40, replay=[config for _, config in unbroken[:25]])
    assert resumed == unbroken
    assert {member for member, _ in unbroken[25:]} == {0, 1}


def test_on_a_smooth_bowl_it_stays_close_to_its_best_member():
    _, portfolio = minimize(PortfolioSearch(), SPHERE_SPACE, sphere, 40, seed=0)
    _, tpe = minimize(TPESearch(), SPHERE_SPACE, sphere, 40, seed=0)
    assert best_so_far(portfolio) < best_so_far(tpe)


@pytest.mark.parametrize(
    ("settings", "knob"),
    [
        ({"members": ["gp"]}, "members"),
        ({"members": "gp"}, "members"),
        ({"window": 1}, "window"),
        ({"min_share": 0.6}, "min_share"),
    ],
)
def test_bad_settings_are_refused_naming_the_knob(settings, knob):
    with pytest.raises(ConfigError, match=knob):
        PortfolioSearch(**settings)


def test_portfolio_by_name_in_a_run():
    results = rung.run(
        lambda config: {"loss": sphere(config)},
        SPHERE_SPACE,
        metric="loss",
        mode="min",
        searcher={"name": "portfolio", "members": ["tpe", "random"]},
        num_trials=14,
        seed=0,
        verbose=0,
    )
    assert len(results.trials) == 14

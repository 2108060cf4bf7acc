"""points_to_evaluate: given configurations first, partial ones completed by the searcher,
which learns from their results; checked before any trial; kept exactly across a resume."""

from __future__ import annotations

import pytest

import rung
from rung.searchers import GridSearch, TPESearch
from tests import trainables

SPACE = {"x": rung.uniform(0, 1), "opt": {"lr": rung.loguniform(1e-4, 1e-1), "name": "sgd"}}


def bowl(config):
    return {"loss": (config["x"] - 0.3) ** 2 + abs(config["opt"]["lr"] - 0.01)}


def tune(**kwargs):
    kwargs.setdefault("searcher", "random")
    kwargs.setdefault("num_trials", 6)
    return rung.run(
        bowl, SPACE, metric="loss", mode="min", executor="inline", verbose=0, seed=3, **kwargs
    )


def test_points_run_first_in_order_and_a_partial_one_is_completed():
    points = [{"x": 0.3, "opt": {"lr": 0.01}}, {"x": 0.9, "opt": {"lr": 0.001}}, {"x": 0.5}]
    results = tune(points_to_evaluate=points)
    configs = [t.config for t in results.trials]
    assert configs[0] == {"x": 0.3, "opt": {"lr": 0.01, "name": "sgd"}}
    assert configs[1] == {"x": 0.9, "opt": {"lr": 0.001, "name": "sgd"}}
    assert configs[2]["x"] == 0.5 and 1e-4 <= configs[2]["opt"]["lr"] <= 1e-1
    assert configs[2]["opt"]["name"] == "sgd", "the completion keeps the space's constants"
    assert all(c["x"] not in (0.3, 0.9, 0.5) for c in configs[3:]), "then the searcher's own"
    assert results.best_config == configs[0]


def test_a_model_based_searcher_learns_from_the_points_and_counts_them_as_its_start():
    searcher = TPESearch(n_startup=2)
    points = [{"x": 0.31, "opt": {"lr": 0.01}}, {"x": 0.95, "opt": {"lr": 0.09}}]
    tune(searcher=searcher, points_to_evaluate=points, num_trials=3)
    assert len(searcher.observed) == 3
    assert searcher.observed.x[0] == pytest.approx(
        searcher.space.encode({**points[0], "opt": {"lr": 0.01, "name": "sgd"}}), nan_ok=True
    )
    assert searcher._suggested == 3, "two points and one proposal: the third is the model's"


def test_points_do_not_use_up_a_grid():
    space = {"x": rung.grid([0.1, 0.2, 0.3])}
    results = rung.run(
        trainables.returns_dict,
        space,
        metric="loss",
        mode="min",
        searcher=GridSearch(),
        points_to_evaluate=[{"x": 0.2}],
        executor="inline",
        verbose=0,
    )
    assert [t.config["x"] for t in results.trials] == [0.2, 0.1, 0.2, 0.3]


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ([{"y": 0.1}], r"points_to_evaluate\[0\]: the space has no 'y'"),
        (
            [{"x": 0.1}, {"opt": {"lrr": 0.1}}],
            r"points_to_evaluate\[1\]: the space has no 'opt/lrr' \(did you mean 'lr'\?\)",
        ),
        ([{"x": 2.0}], r"points_to_evaluate\[0\]: x: 2.0 is not a value of"),
        ({"x": 0.1}, r"points_to_evaluate=.*give a list of configurations"),
        (["x"], r"give a list of configurations"),
    ],
)
def test_bad_points_are_refused_before_any_trial_naming_which(points, message, tmp_path):
    with pytest.raises(rung.ConfigError, match=message):
        tune(points_to_evaluate=points, storage_path=tmp_path, name="e")
    assert not (tmp_path / "e").exists(), "nothing was started"


def test_a_resume_neither_repeats_nor_forgets_the_points(tmp_path):
    points = [{"x": 0.3, "opt": {"lr": 0.01}}, {"x": 0.7}]
    first = tune(points_to_evaluate=points, num_trials=1, storage_path=tmp_path, name="e")
    assert [t.config["x"] for t in first.trials] == [0.3]
    resumed = tune(
        points_to_evaluate=points, num_trials=4, storage_path=tmp_path, name="e", resume=True
    )
    xs = [t.config["x"] for t in resumed.trials]
    assert xs[:2] == [0.3, 0.7] and len(xs) == 4 and xs.count(0.3) == 1 and xs.count(0.7) == 1
    with pytest.raises(rung.ConfigError, match="points_to_evaluate"):
        tune(
            points_to_evaluate=points[:1],
            num_trials=5,
            storage_path=tmp_path,
            name="e",
            resume=True,
        )

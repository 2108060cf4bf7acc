"""One objective, one scoring rule: best means the same to results, the final table and the
progress line."""

from __future__ import annotations

import io
import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

import rung
from rung.callbacks import ProgressReporter
from rung.objective import Objective
from tests import trainables


@pytest.mark.parametrize(
    ("value", "mode", "score"),
    [
        (0.5, "min", 0.5),
        (0.5, "max", -0.5),
        (np.float32(2.0), "min", 2.0),
        (3, "max", -3.0),
        (math.nan, "min", math.inf),
        (math.inf, "max", math.inf),
        (-math.inf, "min", math.inf),
        (True, "max", math.inf),
        ("0.5", "min", math.inf),
        (None, "min", math.inf),
    ],
)
def test_a_result_scores_by_one_rule(value, mode, score):
    assert Objective("loss", mode).score({"loss": value}) == score


def test_a_missing_metric_scores_worst():
    assert Objective("loss").score({"other": 1.0}) == math.inf
    assert Objective("loss").score(None) == math.inf


def noisy_curve(config):
    """Best early, worse at the end for some: the best-ever and the last value disagree."""
    for epoch in range(1, 4):
        loss = config["x"] + (0.5 if config["x"] < 0.3 and epoch == 3 else 0.0) - epoch * 0.01
        rung.report(loss=loss, epoch=epoch)


def test_the_progress_line_marks_as_new_best_the_trials_best_trial_picks(tmp_path):
    console = Console(file=io.StringIO(), width=400, highlight=False, color_system=None)
    results = rung.run(
        noisy_curve,
        {"x": rung.uniform(0, 1)},
        metric="loss",
        mode="min",
        num_trials=30,
        executor="inline",
        seed=2,
        verbose=0,
        callbacks=[ProgressReporter(verbose=2, console=console)],
    )
    marked = re.findall(r"trial (\d+) \w+ after .* new best", console.file.getvalue())
    assert marked, "some trial was marked"
    assert marked[-1] == results.best_trial.trial_id
    assert results.ranked()[0] is results.best_trial
    # A trial whose best-ever value beat the winner's last one is not marked after it.
    objective = results.objective
    winner = objective.score(results.best_trial.last_result)
    assert any(min(map(objective.score, t.results)) < winner for t in results.trials)


def test_nan_and_errors_are_never_the_best(tune):
    space = {"x": 0.5, "fail": rung.grid(["nan", "raise", "no"])}
    results = tune(trainables.fails_when, space, searcher="grid", executor="inline")
    assert results.best_trial.config["fail"] == "no"
    assert [t.config["fail"] for t in results.ranked()] == ["no"]


@pytest.mark.parametrize("mode", ["min", "max"])
@given(values=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=20), target=st.floats(-1e6, 1e6))
def test_the_objective_alone_says_what_is_better(mode, values, target):
    objective = Objective("loss", mode)
    best = objective.best(values)
    assert all(objective.sign * best <= objective.sign * v for v in values)
    assert objective.reaches(best, target) == any(objective.reaches(v, target) for v in values)
    assert objective.reaches(target, target)
    assert objective.score({"loss": best}) == min(objective.score({"loss": v}) for v in values)

"""What the dashboard says of an experiment at a glance, read from its folder."""

import json
import math

import rung
from rung.dashboard.overview import chart_json, overview, trial_detail
from rung.plot import charts
from rung.view import open_view
from tests import trainables


def test_the_overview_agrees_with_results_and_the_log(six_asha_trials, tmp_path):
    results = six_asha_trials
    with open_view(tmp_path / "exp") as view:
        said = overview(view)
    assert said["trials"] == 6 and sum(said["counts"].values()) == 6
    assert said["counts"]["completed"] == sum(
        t.status.value == "TERMINATED" for t in results.trials
    )
    assert said["best"]["trial_id"] == results.best_trial.trial_id
    assert said["best"]["value"] == results.best_result["loss"]
    assert said["scheduler"] == "asha" and said["searcher"] == "random"
    assert said["num_trials"] == 6 and said["stop_reason"] == results.stop_reason
    json.dumps(said, allow_nan=False)  # what the server sends


def test_charts_travel_as_json_with_their_numbers(tune, tmp_path):
    results = tune(trainables.quadratic, {"x": rung.uniform(0, 1)}, num_trials=3, name="exp")
    chart = charts.best_so_far(results)
    data = chart_json(chart)
    assert data["panels"][0]["traces"][-1]["y"] == chart.panels[0].traces[-1].y
    chart.panels[0].traces[-1].y[0] = math.nan
    assert chart_json(chart)["panels"][0]["traces"][-1]["y"][0] is None
    json.dumps(chart_json(chart), allow_nan=False)


def test_a_trials_detail_has_the_end_of_what_it_printed_and_its_error(tune, tmp_path):
    space = {"x": rung.grid([0.2, 0.9])}
    tune(trainables.prints, space, name="exp", max_concurrent=1, executor="process")
    with open_view(tmp_path / "exp") as view:
        fine, broken = (trial_detail(view, t) for t in ("00000", "00001"))
        assert trial_detail(view, "00002") is None
    assert fine["stdout"] == "hello from 00000\n" and fine["error"] is None
    assert "low-level error line 00001" in broken["stderr"]
    assert "it broke" in broken["error"] and broken["state"] == "failed"
    json.dumps(broken, allow_nan=False)

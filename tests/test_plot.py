"""Plots, rendered from small real experiments, checked by the numbers they draw."""

from __future__ import annotations

import bisect
import math
from unittest import mock

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rung
from rung.cli import main
from rung.objective import Objective
from rung.pbt_schedule import parameter_schedule
from rung.plot import charts
from rung.plot._charts import FATE_COLORS, Chart, Panel, Trace
from rung.schedulers import PopulationBasedTraining
from rung.trial import Trial, TrialStatus
from tests import trainables
from tests.commands import rung_command

pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is not installed")


def lr_matters(config):
    """The loss depends on the learning rate (best at 1e-2) and falls with the epochs;
    width and seed hardly matter."""
    for epoch in range(1, 10):
        loss = (math.log10(config["lr"]) + 2) ** 2 + 1.0 / epoch + 1e-4 * config["width"]
        rung.report(loss=loss)


SPACE = {
    "lr": rung.loguniform(1e-4, 1.0),
    "width": rung.choice([16, 32, 64]),
    "seed": rung.randint(0, 1000),
}


@pytest.fixture(scope="module")
def asha(tmp_path_factory):
    storage = tmp_path_factory.mktemp("plots")
    results = rung.run(
        lr_matters,
        SPACE,
        metric="loss",
        mode="min",
        num_trials=30,
        scheduler={"name": "asha", "max_t": 9, "grace_period": 1, "reduction_factor": 3},
        executor="inline",
        storage_path=storage,
        name="asha",
        verbose=0,
        seed=0,
    )
    return results, storage / "asha"


def simulated_lr(config, iteration):
    """Simulated training where a large lr helps early and a small one late."""
    if iteration > 12:
        return None
    target = 0.1 if iteration <= 4 else 0.01
    return {"loss": abs(np.log10(config["lr"]) - np.log10(target)) + 1.0 / iteration}, 1.0


@pytest.fixture(scope="module")
def pbt(tmp_path_factory):
    scheduler = PopulationBasedTraining(
        perturbation_interval=2, hyperparam_mutations={"lr": rung.loguniform(1e-3, 1.0)}
    )
    return rung.run(
        simulated_lr,
        {"lr": rung.loguniform(1e-3, 1.0)},
        metric="loss",
        mode="min",
        scheduler=scheduler,
        num_trials=6,
        executor=rung.executors.SimulatedExecutor(6),
        storage_path=tmp_path_factory.mktemp("pbt"),
        verbose=0,
        seed=1,
    )


def test_best_so_far_follows_the_best_trial_over_time_and_over_trials(asha):
    results, folder = asha
    figure = rung.plot.best_so_far(folder)
    line = next(x for x in figure.axes[0].get_lines() if x.get_label() == "best trial so far")
    reports = sorted(
        (r["experiment_time_s"], t.trial_id, r["loss"]) for t in results.trials for r in t.results
    )
    latest, expected = {}, []
    for _, trial_id, loss in reports:
        latest[trial_id] = loss
        expected.append(min(latest.values()))
    # Drawn as a step through its changes: at every report it says what best_trial said.
    xs, ys = list(line.get_xdata()), list(line.get_ydata())
    drawn = [ys[bisect.bisect_right(xs, at) - 1] for at, _, _ in reports]
    assert drawn == expected and xs[-1] == reports[-1][0]
    assert expected[-1] == results.best_result["loss"]
    assert figure.axes[0].get_xlabel() == "experiment time (s)"

    figure = rung.plot.best_so_far(results, x="trials")
    line = next(x for x in figure.axes[0].get_lines() if x.get_label() == "best trial so far")
    lasts = [t.last_result["loss"] for t in sorted(results.trials, key=lambda t: t.trial_id)]
    xs, ys = list(line.get_xdata()), list(line.get_ydata())
    drawn = [ys[bisect.bisect_right(xs, n) - 1] for n in range(1, len(lasts) + 1)]
    assert drawn == list(np.minimum.accumulate(lasts)) and xs[-1] == len(lasts)


def test_every_view_gives_one_answer_to_which_trial_is_best(tmp_path):
    results = rung.run(
        trainables.peaks_or_steady,
        {"shape": rung.grid(["peaks", "steady"])},
        metric="loss",
        mode="min",
        executor="inline",
        storage_path=tmp_path,
        name="exp",
        verbose=0,
    )
    best = results.best_trial
    assert best.config["shape"] == "steady" and results.best_result["loss"] == 1.0
    for x in ("time", "trials"):
        figure = rung.plot.best_so_far(tmp_path / "exp", x=x)
        line = next(g for g in figure.axes[0].get_lines() if g.get_label() == "best trial so far")
        assert line.get_ydata()[-1] == 1.0, x
    status = rung_command("status", tmp_path / "exp", cwd=tmp_path)
    assert f"best loss (min) = 1 in trial {best.trial_id}" in status.stdout


def test_learning_curves_draw_every_trial_coloured_by_its_fate(asha):
    results, _ = asha
    chart = charts.learning_curves(results)
    traces = chart.panels[0].traces
    assert len(traces) == len(results.trials), "a trial stopped at its first report too"
    stopped_at = {t.iteration for t in results.trials if t.status is TrialStatus.STOPPED}
    assert stopped_at == {1, 3}, "ASHA with eta 3 stops trials at its rungs"
    colours = {}
    for trace, trial in zip(traces, results.trials, strict=True):
        assert trace.y == [r["loss"] for r in trial.results]
        assert trace.style == ("markers" if len(trial.results) == 1 else "line")
        colours.setdefault(charts.fate(trial), set()).add(trace.color)
    assert all(len(c) == 1 for c in colours.values()), "one colour per fate"
    assert colours["completed"] == {FATE_COLORS["completed"]}
    assert colours["stopped at 1"] != colours["stopped at 3"]
    figure = rung.plot.learning_curves(results, log=True)
    ax = figure.axes[0]
    assert ax.get_yscale() == "log"
    drawn = len(ax.get_lines()) + sum(len(c.get_offsets()) for c in ax.collections)
    assert drawn == len(results.trials), "a line per trial, a marker for a single report"
    legend = {text.get_text() for text in ax.get_legend().get_texts()}
    count = sum(t.iteration == 1 and t.status is TrialStatus.STOPPED for t in results.trials)
    assert f"stopped at 1 ({count})" in legend


def test_parallel_coordinates_scale_each_axis_and_put_the_best_trial_at_the_bottom(asha):
    results, _ = asha
    figure = rung.plot.parallel_coordinates(results)
    ax = figure.axes[0]
    lines = ax.get_lines()
    assert len(lines) == len(results.trials)
    labels = [t.get_text().split("\n")[0] for t in ax.get_xticklabels()]
    assert labels == ["lr", "seed", "width", "loss"]
    ys = np.array([line.get_ydata() for line in lines])
    assert ys.min() == 0.0 and ys.max() == 1.0
    best = min(
        range(len(results.trials)), key=lambda i: results.trials[i].best_value(results.objective)
    )
    assert ys[best, -1] == 0.0
    lrs = np.log10([t.config["lr"] for t in results.trials])
    expected = (lrs - lrs.min()) / (lrs.max() - lrs.min())
    assert np.allclose(ys[:, 0], expected), "lr spans decades: placed on a log scale"
    assert "log" in ax.get_xticklabels()[0].get_text()
    assert "log" not in ax.get_xticklabels()[1].get_text(), "a seed (integers) stays linear"


def test_importance_ranks_the_parameter_the_loss_depends_on_first(asha):
    results, _ = asha
    table = charts.importance_table(results)
    assert table[0][0] == "lr"
    assert sum(row[1] for row in table) == pytest.approx(1.0)
    assert table[0][1] > 0.8
    figure = rung.plot.importance(results)
    heights = [bar.get_height() for bar in figure.axes[0].patches]
    assert heights == pytest.approx([row[1] for row in table])


def test_importance_needs_trials_and_says_so(asha):
    results, _ = asha
    few = rung.Results(results.trials[:2], results.objective)
    with pytest.raises(rung.errors.ConfigError, match="at least 4 trials"):
        charts.importance_table(few)


def test_slices_put_each_trial_at_its_parameter_value(asha):
    results, _ = asha
    figure = rung.plot.slices(results, params=["lr", "width"])
    lr_ax, width_ax = (ax for ax in figure.axes if ax.get_title() in ("lr", "width"))
    offsets = lr_ax.collections[0].get_offsets()
    assert sorted(offsets[:, 0]) == sorted(t.config["lr"] for t in results.trials)
    assert lr_ax.get_xscale() == "log"
    bests = sorted(t.best_value(results.objective) for t in results.trials)
    assert sorted(offsets[:, 1]) == pytest.approx(bests)
    assert set(width_ax.collections[0].get_offsets()[:, 0]) <= {16.0, 32.0, 64.0}


def test_pbt_plot_follows_the_best_trials_lineage_and_shows_each_copy(pbt):
    figure = rung.plot.pbt(pbt)
    lr_ax = next(ax for ax in figure.axes if ax.get_title() == "lr")
    best = next(line for line in lr_ax.get_lines() if line.get_label().startswith("best trial"))
    schedule = parameter_schedule(pbt, "lr")
    assert list(best.get_xdata())[: len(schedule)] == [i for i, _ in schedule]
    assert list(best.get_ydata())[: len(schedule)] == pytest.approx([v for _, v in schedule])
    lineage_ax = next(ax for ax in figure.axes if ax.get_title().startswith("lineage"))
    copies = [
        line
        for line in lineage_ax.get_lines()
        if line.get_xdata()[0] == line.get_xdata()[1] and line.get_ydata()[0] != line.get_ydata()[1]
    ]
    assert len(copies) == sum(len(t.lineage) for t in pbt.trials)


def test_pbt_plot_of_an_experiment_without_pbt_says_why(asha):
    results, _ = asha
    with pytest.raises(rung.errors.ConfigError, match="not a PBT experiment"):
        rung.plot.pbt(results)


def test_time_to_solution_averages_the_top_k_trials_best_so_far(asha, pbt):
    results, folder = asha
    figure = rung.plot.time_to_solution({"asha": folder, "again": [results, results]}, top_k=3)
    ax = figure.axes[0]
    single, repeated = (line for line in ax.get_lines())
    assert single.get_label() == "asha" and repeated.get_label() == "again (2 runs)"
    final = sorted(t.best_value(results.objective) for t in results.trials)[:3]
    assert single.get_ydata()[-1] == pytest.approx(np.mean(final))
    assert repeated.get_ydata()[-1] == pytest.approx(np.mean(final))
    first = min(r["experiment_time_s"] for t in results.trials for r in t.results)
    assert single.get_xdata()[0] >= first, "nothing is drawn before the first result"
    assert np.all(np.diff(single.get_ydata()) <= 1e-12), "a mean of bests so far never rises"


def test_comparing_experiments_that_optimize_different_things_is_refused(asha, pbt, tmp_path):
    results, _ = asha
    other = rung.Results(results.trials, rung.objective.Objective("loss", "max"))
    with pytest.raises(rung.errors.ConfigError, match="different things"):
        charts.time_to_solution({"a": results, "b": other})


def test_plotly_draws_the_same_chart_as_interactive_html(asha, tmp_path):
    pytest.importorskip("plotly", reason="plotly (interactive plots) is not installed")
    results, _ = asha
    figure = rung.plot.best_so_far(results, backend="plotly")
    step = next(trace for trace in figure.data if trace.name == "best trial so far")
    assert step.line.shape == "hv"
    chart = charts.best_so_far(results)
    assert list(step.y) == chart.panels[0].traces[1].y
    # One title: a single panel's repeats the chart's, and is left out.
    titles = [a.text for a in figure.layout.annotations]
    assert figure.layout.title.text == chart.title and chart.title not in titles
    figure.write_html(tmp_path / "best.html", include_plotlyjs=True)
    assert "plotly" in (tmp_path / "best.html").read_text()[:5000].lower()


def test_rung_plot_writes_each_plot_and_says_what_it_left_out(asha, tmp_path, capsys):
    _, folder = asha
    assert main(["plot", str(folder), "--out", str(tmp_path / "out")]) == 0
    said = capsys.readouterr().out
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    several = ("pbt", "pareto_front", "hypervolume")
    assert written == sorted(f"{k}.png" for k in rung.plot.KINDS if k not in several)
    assert "left out pbt: no trial copied another's state" in said
    assert "left out pareto_front: one objective" in said
    assert all((tmp_path / "out" / name).stat().st_size > 10_000 for name in written)


def test_rung_plot_compares_several_experiments(asha, pbt, tmp_path, capsys):
    _, folder = asha
    assert main(["plot", str(folder), str(folder), "--out", str(tmp_path), "--top-k", "2"]) == 0
    assert (tmp_path / "time_to_solution.png").stat().st_size > 10_000


def test_rung_plot_writes_interactive_html_too(asha, tmp_path):
    pytest.importorskip("plotly", reason="plotly (interactive plots) is not installed")
    _, folder = asha
    assert (
        main(["plot", str(folder), "--kind", "learning_curves", "--html", "--out", str(tmp_path)])
        == 0
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "index.html",
        "learning_curves.html",
        "learning_curves.png",
        "plotly.min.js",
    ]
    page = (tmp_path / "learning_curves.html").read_text()
    assert "Plotly.newPlot" in page and "completed (" in page
    assert 'src="plotly.min.js"' in page


def test_html_pages_share_one_plotly_and_an_index_links_them(asha, tmp_path):
    pytest.importorskip("plotly", reason="plotly (interactive plots) is not installed")
    _, folder = asha
    assert main(["plot", str(folder), "--html", "--out", str(tmp_path)]) == 0
    pages = sorted(p.name for p in tmp_path.glob("*.html") if p.name != "index.html")
    assert len(pages) >= 5
    assert [p.name for p in tmp_path.glob("*.js")] == ["plotly.min.js"], "one copy"
    assert all((tmp_path / p).stat().st_size < 500_000 for p in pages), "none inlines plotly.js"
    index = (tmp_path / "index.html").read_text()
    assert all(f'href="{p}"' in index for p in pages)
    assert "pbt: " in index, "what was left out, and why"
    parallel = (tmp_path / "parallel_coordinates.html").read_text()
    assert '"type":"parcoords"' in parallel.replace(" ", "")


def test_rung_plot_of_a_kind_that_does_not_apply_fails_and_says_why(asha, tmp_path, capsys):
    _, folder = asha
    assert main(["plot", str(folder), "--kind", "pbt", "--out", str(tmp_path)]) == 2
    assert "left out pbt: no trial copied another's state" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_rung_plot_refuses_an_unknown_kind_in_one_line(asha, capsys):
    _, folder = asha
    assert main(["plot", str(folder), "--kind", "curves"]) == 2
    error = capsys.readouterr().err
    assert "unknown plot kinds ['curves']" in error and "learning_curves" in error


def test_lineage_results_follow_a_state_back_through_its_copies(pbt):
    from rung.pbt_schedule import lineage_results

    by_id = {t.trial_id: t for t in pbt.trials}
    copied = [t for t in pbt.trials if t.lineage]
    assert copied
    for trial in pbt.trials:
        history = lineage_results(by_id, trial.trial_id)
        assert [r["training_iteration"] for r in history] == list(range(1, trial.iteration + 1))
    for trial in copied:  # the first results are those of the trial the chain began with
        root, before = trial, math.inf
        while events := [e for e in root.lineage if e["time"] <= before]:
            root, before = by_id[events[-1]["donor"]], events[-1]["time"]
        assert lineage_results(by_id, trial.trial_id)[0] is root.results[0]


def test_importance_compares_trials_at_one_budget_and_says_which(asha):
    results, _ = asha
    budget, trials, values = charts.budget_for_importance(results)
    reached = [t for t in results.trials if t.iteration >= budget]
    assert len(reached) >= len(results.trials) / 2, "half the trials or more"
    for trial, value in zip(trials, values, strict=True):
        at = [r["loss"] for r in trial.results if r["training_iteration"] == budget]
        assert value == at[-1], "each trial's metric at that budget"
    chart = charts.importance(results)
    title = chart.panels[0].title
    assert f"at training_iteration {budget}, {len(trials)} of {len(results.trials)} trials" in title


@given(
    reports=st.lists(
        st.tuples(
            st.integers(0, 20),
            st.sampled_from(["a", "b", "c", "d"]),
            st.one_of(st.none(), st.floats(-5, 5), st.just(math.nan)),
        ),
        max_size=60,
    ),
    mode=st.sampled_from(["min", "max"]),
)
def test_the_incumbent_is_the_best_of_every_trials_latest_value(reports, mode):
    """The heap gives what the definition gives: after each report, the best of every
    trial's latest rankable value, with values that fall as well as rise."""
    trials = {name: Trial(name, {}) for name in "abcd"}
    for at, name, value in reports:
        trials[name].results.append({"experiment_time_s": float(at), "acc": value})
    objective = Objective("acc", mode)
    ordered = sorted(
        (
            (float(r["experiment_time_s"]), t.trial_id, r["acc"])
            for t in trials.values()
            for r in t.results
        ),
        key=lambda report: report[:2],
    )
    latest, xs, ys = {}, [], []
    for at, name, value in ordered:
        if value is None or not math.isfinite(value):
            latest.pop(name, None)
        else:
            latest[name] = value
        if latest:
            xs.append(at)
            ys.append(min(latest.values()) if mode == "min" else max(latest.values()))
    reports = charts._ReportsInTime(list(trials.values()), objective)
    assert charts._incumbent(reports, objective) == (xs, ys)
    with mock.patch.object(charts, "HEAP_SLACK", 0):  # the heap made afresh at every step
        assert charts._incumbent(reports, objective) == (xs, ys)


def test_a_long_title_is_wrapped_inside_the_figure():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    title = "mean val_acc of the best 6 trials so far (each by its latest report, over 5 runs)"
    panel = Panel(title, "wall time (s)", "val_acc")
    panel.traces.append(Trace([0.0, 1.0], [0.0, 1.0]))
    figure = rung.plot.render(Chart("time_to_solution", title, [panel], 1))
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    box = figure.axes[0].title.get_window_extent(canvas.get_renderer())
    assert box.x0 >= 0 and box.x1 <= figure.bbox.width
    assert figure.axes[0].get_title().replace("\n", " ") == title
    pytest.importorskip("plotly", reason="the plotly backend needs plotly")
    drawn = rung.plot.render(Chart("time_to_solution", title, [panel], 1), "plotly")
    two = rung.plot.render(Chart("time_to_solution", "two", [panel, panel], 2), "plotly")
    for text in (drawn.layout.title.text, two.layout.annotations[0].text):
        lines = text.split("<br>")
        assert " ".join(lines) == title and max(map(len, lines)) <= 55


def test_each_compared_experiment_is_named_once_in_an_interactive_legend(asha, pbt):
    pytest.importorskip("plotly", reason="the plotly backend needs plotly")
    figure = rung.plot.time_to_solution({"asha": asha[0], "pbt": pbt}, backend="plotly")
    assert [t.name for t in figure.data if t.showlegend] == ["asha", "pbt"]


def test_a_best_so_far_chart_of_many_reports_draws_a_sample_of_them(tmp_path, monkeypatch):
    monkeypatch.setattr(charts, "MAX_MARKERS", 7)
    results = rung.run(
        lr_matters,
        SPACE,
        metric="loss",
        mode="min",
        num_trials=6,
        seed=0,
        verbose=0,
        executor="inline",
    )
    reports = sum(len(t.results) for t in results.trials)
    marks, curve = charts.best_so_far(results).panels[0].traces
    every = math.ceil(reports / 7)
    assert len(marks.x) == math.ceil(reports / every) <= 7
    assert marks.label == f"a report (1 in {every} shown)"
    assert curve.y[-1] == results.best_result["loss"]

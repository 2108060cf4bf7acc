"""The status view: drawn in place on a terminal, plain status lines in a log, nothing at
verbose=0; what it says about a real experiment."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

import rung
from rung.callbacks import ProgressReporter
from rung.callbacks.status_view import clock, status_line
from tests import trainables

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_with(reporter, **kwargs):
    kwargs.setdefault("num_trials", 4)
    return rung.run(
        trainables.quadratic,
        {"x": rung.uniform(0, 1)},
        metric="loss",
        mode="min",
        max_concurrent=2,
        executor="process",
        callbacks=[reporter],
        verbose=0,
        seed=0,
        **kwargs,
    )


def terminal(width=140):
    return Console(file=io.StringIO(), force_terminal=True, width=width, color_system=None)


def test_on_a_terminal_the_view_is_redrawn_in_place_with_the_running_trials(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)  # CI itself sets it; this test is about terminals
    console = terminal()
    reporter = ProgressReporter(verbose=1, console=console, live_interval_s=0.0)
    assert reporter.live, "a terminal gets the live view"
    results = run_with(reporter, storage_path=tmp_path, time_budget_s=600)
    output = console.file.getvalue()
    assert "\x1b[" in output, "the view moves the cursor to redraw in place"
    text = ANSI.sub("", output)
    assert "trial  iter  loss (latest)  best" in text, "a table of the running trials"
    rows = re.findall(r"^(\d{5}) +(\d+) +([0-9.e-]+) ", text, re.MULTILINE)
    assert {row[0] for row in rows} == {t.trial_id for t in results.trials}
    assert any(int(row[1]) >= 2 for row in rows), "iterations advance in the view"
    assert re.search(r"elapsed of 10:00 \(\d+:\d\d left\)", text)
    assert "trials 4 of 4: " in text and "best loss=" in text
    assert "done: 4 trials" in text


def test_in_a_log_status_comes_as_plain_lines(tmp_path):
    log = Console(file=io.StringIO(), width=200)
    reporter = ProgressReporter(verbose=1, console=log, status_interval_s=0.0)
    assert not reporter.live, "a file is not a terminal"
    run_with(reporter, storage_path=tmp_path)
    output = log.file.getvalue()
    assert "\x1b[" not in output
    lines = [line for line in output.splitlines() if line.startswith("[status] ")]
    assert len(lines) >= 2
    assert re.search(r"\| trials 4 of 4: (\d+ running, )?.*\d+ completed", lines[-1])


def test_under_ci_even_a_terminal_gets_plain_lines(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert not ProgressReporter(verbose=1, console=terminal()).live


def test_verbose_zero_draws_nothing(tmp_path):
    console = terminal()
    run_with(
        ProgressReporter(verbose=0, console=console, live_interval_s=0.0), storage_path=tmp_path
    )
    assert console.file.getvalue() == ""


def test_the_status_line_names_the_best_trial_and_the_pace(tmp_path):
    seen = []

    class Snapshot(rung.Callback):
        def on_experiment_start(self, experiment):
            self.experiment = experiment

        def on_trial_end(self, trial):
            seen.append(status_line(self.experiment))

    results = run_with(Snapshot(), storage_path=tmp_path, num_trials=3)
    best = results.best_trial
    assert f"best loss={best.last_result['loss']:.4g} (trial {best.trial_id}" in seen[-1]
    assert "trials/s" in seen[-1] and "elapsed" in seen[-1]


@pytest.mark.parametrize(("seconds", "shown"), [(0, "0:00"), (61.9, "1:01"), (3723, "1:02:03")])
def test_clock(seconds, shown):
    assert clock(seconds) == shown

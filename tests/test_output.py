"""What a run leaves on the terminal and on disk: trial output in per-trial files, no empty
temporary folders, times that count the trial's own code, tracebacks that name the user's
file, rounded numbers."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import warnings

import rung
from tests import trainables


def test_trial_output_goes_to_its_folder_and_failures_show_their_stderr(
    tmp_path, capfd, worker_executor
):
    space = {"x": rung.grid([0.2, 0.9])}
    results = rung.run(
        trainables.prints,
        space,
        metric="loss",
        mode="min",
        storage_path=tmp_path,
        name="exp",
        seed=0,
        max_concurrent=1,
        executor=worker_executor,
    )
    terminal = capfd.readouterr()
    for trial in results.trials:
        folder = tmp_path / "exp" / "trials" / trial.trial_id
        assert (folder / "stdout.log").read_text() == f"hello from {trial.trial_id}\n"
        assert f"low-level error line {trial.trial_id}" in (folder / "stderr.log").read_text()
    fine, broken = results.trials
    assert f"hello from {fine.trial_id}" not in terminal.out + terminal.err
    shown = terminal.out + terminal.err
    assert f"low-level error line {broken.trial_id}" in shown, "a failed trial's stderr is shown"
    assert "RuntimeError: it broke" in shown


def test_a_run_in_memory_leaves_no_empty_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    results = rung.run(
        trainables.quadratic,
        {"x": rung.uniform(0, 1)},
        metric="loss",
        mode="min",
        num_trials=3,
        verbose=0,
    )
    assert len(results.trials) == 3
    assert list(tmp_path.iterdir()) == []
    kept = rung.run(
        trainables.peaks_early,
        {"x": rung.uniform(0, 1)},
        metric="loss",
        mode="min",
        num_trials=1,
        verbose=0,
    )
    assert os.path.isdir(kept.best_checkpoint), "a folder with checkpoints stays"


def test_a_trials_time_counts_from_its_own_start(tmp_path):
    results = rung.run(
        trainables.returns_dict,
        {"x": rung.uniform(0, 1)},
        metric="loss",
        mode="min",
        num_trials=2,
        max_concurrent=2,
        verbose=0,
    )
    for trial in results.trials:
        result = trial.last_result
        # The first trial of each worker waited for the worker to start (a few hundred ms
        # at the least); its own time is the instant it took to return a dict.
        assert result["time_total_s"] < 0.5 * result["experiment_time_s"]


def test_a_traceback_names_the_users_file_and_line(tmp_path):
    script = tmp_path / "experiment.py"
    script.write_text(
        textwrap.dedent(
            """
            import rung

            def helper(x):
                raise ValueError(f"bad {x}")

            def train(config):
                helper(config["x"])

            results = rung.run(train, {"x": rung.uniform(0, 1)}, metric="loss", mode="min",
                               num_trials=1, verbose=0)
            print(results.trials[0].traceback)
            """
        )
    )
    ran = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert ran.returncode == 0, ran.stderr
    assert f'File "{script}", line 5, in helper' in ran.stdout
    assert 'raise ValueError(f"bad {x}")' in ran.stdout
    assert "<dynamic-code>" not in ran.stdout


def test_rung_show_rounds_numbers(tmp_path):
    rung.run(
        trainables.returns_dict,
        {"x": rung.uniform(0, 1)},
        metric="loss",
        mode="min",
        num_trials=3,
        storage_path=tmp_path,
        name="exp",
        executor="inline",
        verbose=0,
    )
    shown = subprocess.run(
        [sys.executable, "-m", "rung.cli", "show", str(tmp_path / "exp")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    for trial in rung.load(tmp_path / "exp").trials:
        assert f"{trial.config['x']:.4g}" in shown.stdout
        assert str(trial.config["x"]) not in shown.stdout


class _ReadsLogs(rung.Callback):
    """Reads a trial's stdout.log when each of its results arrives."""

    def __init__(self, folder):
        self.folder = folder
        self.seen = []

    def on_trial_result(self, trial, result):
        log = self.folder / trial.trial_id / "stdout.log"
        self.seen.append((trial.trial_id, log.read_text() if log.exists() else None))


def test_output_is_in_the_log_at_each_report_and_a_crash_keeps_its_last_words(
    tmp_path, worker_executor
):
    reader = _ReadsLogs(tmp_path / "exp" / "trials")
    results = rung.run(
        trainables.prints_each_epoch,
        {"crash": rung.grid([False, True])},
        metric="loss",
        mode="min",
        storage_path=tmp_path,
        name="exp",
        max_concurrent=1,
        executor=worker_executor,
        callbacks=[reader],
        verbose=0,
    )
    for trial in results.trials:
        seen = [text for trial_id, text in reader.seen if trial_id == trial.trial_id]
        assert seen == ["epoch 0\n", "epoch 0\nepoch 1\n", "epoch 0\nepoch 1\nepoch 2\n"]
        folder = tmp_path / "exp" / "trials" / trial.trial_id
        assert (folder / "stdout.log").read_text().endswith("epoch 2\nlast words\n")
    crashed = next(t for t in results.trials if t.config["crash"])
    assert crashed.status is rung.TrialStatus.ERROR
    stderr = (tmp_path / "exp" / "trials" / crashed.trial_id / "stderr.log").read_text()
    assert "Segmentation fault" in stderr and "prints_each_epoch" in stderr
    assert not (tmp_path / "exp" / "trials" / ".output").exists()


def test_a_trial_that_prints_nothing_leaves_no_log_files(tmp_path, worker_executor):
    results = rung.run(
        trainables.quadratic,
        {"x": rung.uniform(0, 1)},
        metric="loss",
        mode="min",
        num_trials=3,
        storage_path=tmp_path,
        name="exp",
        executor=worker_executor,
        verbose=0,
        seed=0,
    )
    trials = tmp_path / "exp" / "trials"
    for trial in results.trials:
        assert not (trials / trial.trial_id / "stdout.log").exists()
        assert not (trials / trial.trial_id / "stderr.log").exists()
    assert list(trials.iterdir()) == [], "a folder a trial left empty is removed"


def test_a_thread_that_outlives_its_trial_reports_to_no_other(tune, executor, tmp_path):
    trainables.next_trial_began.clear()
    trainables.late_reports_made.clear()
    with warnings.catch_warnings(record=True) as warned_here:
        warnings.simplefilter("always")
        results = tune(
            trainables.leaves_a_reporting_thread,
            {"role": rung.grid(["first", "second"])},
            max_concurrent=1,
            executor=executor,
            name="exp",
        )
    if executor == "inline":
        assert any("trial 00000 started reported" in str(w.message) for w in warned_here)
    assert [[r["loss"] for r in t.results] for t in results.trials] == [[1.0], [2.0]]
    if executor != "inline":  # the warning is in the output of the trial then running
        warned = (tmp_path / "exp" / "trials" / "00001" / "stderr.log").read_text()
        assert "a thread that trial 00000 started reported ['loss'] after that" in warned


def test_a_thread_that_outlives_its_trial_cannot_use_the_next_ones_folder(tune, tmp_path):
    trainables.next_trial_began.clear()
    trainables.late_reports_made.clear()
    results = tune(
        trainables.leaves_a_reporting_thread,
        {"role": rung.grid(["first", "second"]), "late": "folder"},
        max_concurrent=1,
        executor="inline",
    )
    answer = results.trials[1].last_result["answer"]
    assert "this thread was started by trial 00000, which has ended" in answer

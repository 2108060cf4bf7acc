"""Misusing the rung command gets one line on standard error naming what and where, never
a traceback: files that are not experiment files, folders rung cannot write, damaged logs,
a reader that goes away, and script options that would break the script."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap

import pytest

import rung
from rung.store.sqlite import DB_NAME
from tests import trainables
from tests.commands import rung_command


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    """A finished experiment, copied by the tests that damage it."""
    root = tmp_path_factory.mktemp("finished")
    rung.run(
        trainables.quadratic,
        {"x": rung.uniform(0, 1)},
        metric="loss",
        mode="min",
        num_trials=3,
        executor="inline",
        storage_path=root,
        name="exp",
        verbose=0,
        seed=0,
    )
    return root / "exp"


def one_line(result, *expected):
    """The command failed with one line on standard error that says ``expected``."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def experiment_file(folder, **settings):
    values = {
        "trainable": "tests.trainables:returns_dict",
        "space": {"x": "uniform(0, 1)"},
        "metric": "loss",
        "mode": "min",
        "num_trials": 2,
        "executor": "inline",
        "verbose": 0,
        **settings,
    }
    path = folder / "experiment.yaml"
    path.write_text(json.dumps(values))  # JSON is YAML
    return path


def damaged_copy(experiment, tmp_path, statement, *parameters):
    copy = tmp_path / "damaged"
    shutil.copytree(experiment, copy)
    with sqlite3.connect(copy / DB_NAME) as connection:
        connection.execute(statement, parameters)
    return copy


def test_a_binary_file_is_not_an_experiment_file(tmp_path):
    one_line(rung_command("run", sys.executable, cwd=tmp_path), "is not a text file")


@pytest.mark.parametrize(
    ("storage", "reason"),
    [("a-file", "Not a directory"), ("/proc/rung", "No such file or directory")],
)
def test_a_storage_path_rung_cannot_create_is_named(tmp_path, storage, reason):
    (tmp_path / "a-file").write_text("")
    path = experiment_file(tmp_path, storage_path=storage, name="exp")
    one_line(rung_command("run", path, cwd=tmp_path), "cannot create the experiment folder", reason)


def test_a_name_too_long_for_a_folder_is_refused(tmp_path):
    path = experiment_file(tmp_path, name="n" * 300)
    one_line(rung_command("run", path, cwd=tmp_path), "is 300 bytes long", "at most 255")


def test_a_key_given_twice_in_an_experiment_file_is_refused(tmp_path):
    path = tmp_path / "experiment.yaml"
    path.write_text(
        textwrap.dedent(
            """
            trainable: tests.trainables:returns_dict
            space: {x: uniform(0, 1)}
            metric: loss
            mode: min
            num_trials: 2
            num_trials: 20
            """
        )
    )
    one_line(rung_command("run", path, cwd=tmp_path), f"{path}:7: 'num_trials' is given twice")


def test_plot_into_a_file_is_named(experiment, tmp_path):
    (tmp_path / "a-file").write_text("")
    result = rung_command("plot", experiment, "--out", tmp_path / "a-file", cwd=tmp_path)
    one_line(result, f"{tmp_path / 'a-file'}: File exists")


def test_slurm_into_a_missing_folder_is_named(tmp_path):
    out = tmp_path / "missing" / "s.sbatch"
    result = rung_command("slurm", "--out", out, "--", "python", "tune.py", cwd=tmp_path)
    one_line(result, f"rung slurm: {out}: No such file or directory")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--time", "1:00\n#SBATCH --mem=1T", "time='1:00\\n#SBATCH --mem=1T' holds a line break"),
        ("--job-name", "x\nrm -rf ~", "job_name='x\\nrm -rf ~' holds a line break"),
        ("--time", "eight hours", "time='eight hours' is not a Slurm time limit"),
    ],
)
def test_slurm_options_that_would_break_the_script_are_refused(tmp_path, option, value, message):
    out = tmp_path / "s.sbatch"
    result = rung_command(
        "slurm", option, value, "--out", out, "--", "python", "t.py", cwd=tmp_path
    )
    line = one_line(result, message)
    assert line.startswith("rung slurm: "), "the command's name first, not its arguments"
    assert not out.exists()


@pytest.mark.parametrize("command", ["status", "show", "plot", "resume"])
def test_a_log_without_its_settings_is_named(experiment, tmp_path, command):
    copy = damaged_copy(experiment, tmp_path, "DELETE FROM meta WHERE key = 'settings'")
    one_line(rung_command(command, copy, cwd=tmp_path), f"{copy} has no settings")


@pytest.mark.parametrize("command", ["status", "show", "plot", "resume"])
def test_a_result_whose_metrics_are_a_string_is_named(experiment, tmp_path, command):
    body = json.dumps({"type": "result", "trial_id": "00000", "time": 1.0, "metrics": "oops"})
    copy = damaged_copy(experiment, tmp_path, "UPDATE events SET body = ? WHERE seq = 3", body)
    one_line(
        rung_command(command, copy, cwd=tmp_path),
        "record 3: a 'result' record whose metrics is str 'oops', not dict",
    )


def test_a_reader_that_goes_away_ends_the_command_quietly(experiment, tmp_path):
    command = [sys.executable, "-m", "rung.cli", "status", str(experiment)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # as `| head -1` does once it has its line
    _, stderr = process.communicate(timeout=120)
    assert b"Traceback" not in stderr and b"BrokenPipeError" not in stderr, stderr
    assert stderr == b""


@pytest.fixture
def read_only(tmp_path):
    """A read-only view of a folder (a read-only bind mount; these tests run as root, whom
    file permissions do not stop)."""
    mounts = []

    def mount(folder):
        view = tmp_path / "read-only"
        view.mkdir()
        for step in (["--bind", folder, view], ["-o", "remount,ro,bind", view]):
            done = subprocess.run(["mount", *step], capture_output=True, text=True)
            if done.returncode != 0:
                pytest.skip(f"cannot make a read-only mount here: {done.stderr.strip()}")
            if not mounts:
                mounts.append(view)
        return view

    yield mount
    for view in mounts:
        subprocess.run(["umount", view], check=True)


def test_a_read_only_experiment_is_read_but_not_resumed(experiment, tmp_path, read_only):
    copy = tmp_path / "copy"
    shutil.copytree(experiment, copy)
    view = read_only(copy)
    assert "3 trials" in rung_command("status", view, cwd=tmp_path).stdout
    one_line(
        rung_command("resume", view, cwd=tmp_path),
        f"cannot write in {view} (Read-only file system)",
        "not run or resumed",
    )
    one_line(rung_command("plot", view, cwd=tmp_path), "Read-only file system")
    plotted = rung_command("plot", view, "--out", tmp_path / "plots", cwd=tmp_path)
    assert plotted.returncode == 0, plotted.stderr

"""Paths as users write them: relative, absolute, with ~; trainables as module:function or
path/to/file.py:function; resume from another working directory."""

from __future__ import annotations

import textwrap

import pytest

import rung
from tests.commands import rung_command

MODEL = "def train(config):\n    return {'loss': (config['x'] - 0.3) ** 2}\n"


def experiment_file(folder, trainable, name):
    (folder / f"{name}.yaml").write_text(
        textwrap.dedent(
            f"""
            trainable: {trainable}
            space:
              x: uniform(0, 1)
            metric: loss
            mode: min
            num_trials: 2
            name: {name}
            verbose: 0
            """
        )
    )


@pytest.mark.parametrize(
    ("trainable", "files"),
    [("t1_rung:train", {"t1_rung.py": MODEL}), ("models/file.py:train", {"models/file.py": MODEL})],
)
def test_run_here_then_look_and_resume_from_elsewhere(tmp_path, trainable, files):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    for path, text in files.items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text(text)
    elsewhere.mkdir()
    experiment_file(project, trainable, "exp")
    ran = rung_command("run", "exp.yaml", cwd=project)
    assert ran.returncode == 0, ran.stderr
    status = rung_command("status", "rung_results/exp", cwd=project)
    assert status.returncode == 0 and "2 trials" in status.stdout, status.stderr
    resumed = rung_command(
        "resume", project / "rung_results" / "exp", "--num-trials", "4", cwd=elsewhere
    )
    assert resumed.returncode == 0, resumed.stderr
    shown = rung_command("show", "../project/rung_results/exp", cwd=elsewhere)
    assert shown.returncode == 0 and "best 4 of 4 trials" in shown.stdout, shown.stderr


def test_home_and_relative_paths_in_python(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    rung.run(
        lambda config: {"loss": config["x"]},
        {"x": rung.uniform(0, 1)},
        metric="loss",
        mode="min",
        num_trials=2,
        storage_path="~/results",
        name="exp",
        executor="inline",
        verbose=0,
    )
    assert (tmp_path / "results" / "exp" / "experiment.db").is_file()
    for path in ("results/exp", "~/results/exp", tmp_path / "results" / "exp"):
        assert len(rung.load(path).trials) == 2
    status = rung_command("status", "~/results/exp", cwd=tmp_path, home=tmp_path)
    assert status.returncode == 0, status.stderr

"""The rung command, run as a user runs it."""

import sqlite3
import textwrap

import pytest

import rung
from rung.store.sqlite import DB_NAME
from tests.commands import rung_command
from tests.resume.test_killed_driver import SCRIPT, run_driver


def test_run_status_and_show_from_a_yaml_file(tmp_path):
    (tmp_path / "my_model.py").write_text(
        textwrap.dedent(
            """
        import rung

        def train(config):
            for epoch in range(1, 4):
                rung.report(epoch=epoch, loss=(config["lr"] - 0.01) ** 2 / epoch)
        """
        )
    )
    (tmp_path / "experiment.yaml").write_text(
        textwrap.dedent(
            """
        trainable: my_model:train
        space:
          lr: loguniform(1e-4, 1e-1)
          optimizer: {choice: [adam, sgd]}
        metric: loss
        mode: min
        num_trials: 6
        name: from_yaml
        executor: inline
        verbose: 0
        """
        )
    )
    ran = rung_command("run", "experiment.yaml", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    directory = tmp_path / "rung_results" / "from_yaml"
    assert len(rung.load(directory).trials) == 6
    status = rung_command("status", directory, cwd=tmp_path)
    assert "6 trials {'TERMINATED': 6}" in status.stdout
    assert "stopped because num_trials=6 trials were run" in status.stdout
    shown = rung_command("show", directory, "--top", "3", cwd=tmp_path)
    assert "best 3 of 6 trials" in shown.stdout


def test_resume_continues_a_killed_experiment(tmp_path):
    script = tmp_path / "experiment.py"
    script.write_text(SCRIPT)
    run_driver(script, tmp_path, resume=False, kill_after=20, with_workers=True)
    assert len(rung.load(tmp_path / "exp").trials) < 30
    resumed = rung_command("resume", tmp_path / "exp", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    after = rung.load(tmp_path / "exp")
    assert len(after.trials) == 30 and all(t.status.is_finished for t in after.trials)


def test_a_directory_that_is_not_an_experiment_gets_a_message(tmp_path):
    result = rung_command("status", tmp_path, cwd=tmp_path)
    assert result.returncode == 2
    assert "is not a rung experiment" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("UPDATE events SET body = '{oops' WHERE seq = 3", "record 3: not valid JSON"),
        ("DELETE FROM events WHERE seq = 2", "record 2 is missing"),
        ("DROP TABLE events", "no such table: events"),
    ],
)
def test_a_damaged_log_gets_one_line_naming_the_file(tmp_path, damage, message):
    rung.run(
        lambda config: {"loss": config["x"]},
        {"x": rung.uniform(0, 1)},
        metric="loss",
        mode="min",
        num_trials=3,
        executor="inline",
        storage_path=tmp_path,
        name="exp",
        verbose=0,
    )
    connection = sqlite3.connect(tmp_path / "exp" / DB_NAME)
    connection.execute(damage)
    connection.commit()
    connection.close()
    for command in ("status", "show", "resume"):
        result = rung_command(command, tmp_path / "exp", cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        (line,) = result.stderr.splitlines()
        assert DB_NAME in line and message in line


def write(folder, name, text):
    (folder / name).write_text(textwrap.dedent(text))


MODEL = "def train(config):\n    return {'loss': config['x']}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "trainable: model:train\nspace:\n  x: unifrom(0, 1)\nmetric: loss\nmode: min\n",
            "exp.yaml: x: 'unifrom(0, 1)' names no domain (did you mean 'uniform'?)",
        ),
        (
            "trainable: model:train\nspace:\n  x: log_uniform(1e-3, 1)\nmetric: loss\nmode: min\n",
            "did you mean 'loguniform'?",
        ),
        ("trainable: model:train\nspace: [x\nmetric: loss\n", "exp.yaml:3: "),
        ("trainable: !!python/object/apply:os.system [ls]\n", "exp.yaml:1: "),
        ("- just\n- a list\n", "exp.yaml: an experiment file is a mapping"),
        (
            "trainable: model:train\nspace: {x: 'uniform(0, 1)'}\nmetric: loss\nmode: min\n"
            "num_samples: 3\n",
            "num_samples is not a setting (rung calls it num_trials)",
        ),
    ],
)
def test_mistakes_in_an_experiment_file_get_one_line_naming_file_and_line(tmp_path, text, message):
    write(tmp_path, "model.py", MODEL)
    write(tmp_path, "exp.yaml", text)
    ran = rung_command("run", "exp.yaml", cwd=tmp_path)
    assert ran.returncode == 2
    (line,) = ran.stderr.splitlines()
    assert message in line


def test_a_missing_file_gets_one_line(tmp_path):
    ran = rung_command("run", "nowhere.yaml", cwd=tmp_path)
    assert ran.returncode == 2
    assert ran.stderr.strip() == "rung run: nowhere.yaml: No such file or directory"


def test_help_shows_a_complete_example_file(tmp_path):
    shown = rung_command("run", "--help", cwd=tmp_path)
    assert "trainable: my_model:train" in shown.stdout
    assert "scheduler: {name: asha, max_t: 20, grace_period: 1}" in shown.stdout
    assert "``" not in shown.stdout


def test_rung_run_fails_when_every_trial_failed(tmp_path):
    write(tmp_path, "model.py", "def train(config):\n    raise ValueError('broken')\n")
    write(
        tmp_path,
        "exp.yaml",
        "trainable: model:train\nspace: {x: 'uniform(0, 1)'}\nmetric: loss\nmode: min\n"
        "num_trials: 2\nverbose: 0\nexecutor: inline\n",
    )
    ran = rung_command("run", "exp.yaml", cwd=tmp_path)
    assert ran.returncode == 1
    assert "every trial failed (2); trial 00000: ValueError: broken" in ran.stderr


def test_run_help_lists_every_key_an_experiment_file_takes(tmp_path):
    from rung.settings import Settings

    shown = rung_command("run", "--help", cwd=tmp_path).stdout
    keys = shown.split("every key:")[1]
    for key in ["trainable", "space", *Settings.knobs(in_file=True)]:
        assert f"\n  {key} " in keys, key

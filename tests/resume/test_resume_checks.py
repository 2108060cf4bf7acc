"""Resume checks what changed: another metric, mode, space, trainable or strategy is
refused with each difference listed; a new budget is taken and recorded."""

from __future__ import annotations

import subprocess
import sys

import pytest

import rung
from rung.store import open_readonly
from rung.store.sqlite import read_meta
from tests import trainables

X = {"x": rung.uniform(0, 1)}


def first(tune):
    return tune(trainables.quadratic, X, num_trials=3, name="exp", executor="inline")


@pytest.mark.parametrize(
    ("change", "differences"),
    [
        ({"metric": "accuracy"}, ["metric: the experiment has 'loss', this run 'accuracy'"]),
        ({"mode": "max"}, ["mode: the experiment has 'min', this run 'max'"]),
        ({"space": {"x": rung.uniform(0, 2)}}, ["space: the experiment has"]),
        ({"trainable": trainables.returns_dict}, ["trainable: the experiment has "]),
        ({"scheduler": "asha"}, ["scheduler: the experiment has {'name': 'fifo'}"]),
        (
            {"metric": "accuracy", "seed": 5},
            ["metric: the experiment", "seed: the experiment has 0, this run 5"],
        ),
    ],
)
def test_a_resume_with_other_settings_is_refused_with_each_difference(tune, change, differences):
    first(tune)
    trainable = change.pop("trainable", trainables.quadratic)
    space = change.pop("space", X)
    settings = {"num_trials": 3, "name": "exp", "executor": "inline", "resume": True, **change}
    with pytest.raises(rung.ConfigError, match="cannot resume") as refused:
        tune(trainable, space, **settings)
    listed = [line for line in str(refused.value).splitlines() if line.startswith("  - ")]
    assert len(listed) == len(differences)
    for line, expected in zip(listed, differences, strict=True):
        assert expected in line


def test_a_new_budget_is_taken_and_recorded(tune, tmp_path):
    first(tune)
    resumed = tune(
        trainables.quadratic, X, num_trials=5, name="exp", executor="inline", resume=True
    )
    assert len(resumed.trials) == 5
    with open_readonly(tmp_path / "exp") as connection:
        changes = read_meta(connection, "changes")
        settings = read_meta(connection, "settings")
    assert [c["num_trials"] for c in changes] == [[3, 5]]
    assert settings["num_trials"] == 5, "a later rung resume keeps the new budget"


def test_rung_resume_takes_a_new_budget_from_the_command_line(tmp_path):
    script = tmp_path / "exp.py"
    script.write_text(
        "import rung, sys\n"
        "def train(config):\n"
        "    return {'loss': config['x']}\n"
        "rung.run(train, {'x': rung.uniform(0, 1)}, metric='loss', mode='min', num_trials=2,\n"
        "         storage_path=sys.argv[1], name='exp', verbose=0)\n"
    )
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True, timeout=120)
    more = subprocess.run(
        [sys.executable, "-m", "rung.cli", "resume", str(tmp_path / "exp"), "--num-trials", "4"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path.parent,
    )
    assert more.returncode == 0, more.stderr
    assert len(rung.load(tmp_path / "exp").trials) == 4

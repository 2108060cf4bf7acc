"""``rung dashboard`` refuses what it cannot serve in one line, before it listens."""

import socket

import pytest

import rung
from rung.cli import main
from tests import trainables

pytest.importorskip("uvicorn", reason="the dashboard extra (uvicorn) is not installed")


def test_a_port_in_use_is_one_line(tune, tmp_path, capsys):
    tune(trainables.quadratic, {"x": rung.uniform(0, 1)}, num_trials=2, name="exp")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status = main(["dashboard", str(tmp_path / "exp"), "--port", str(port)])
    assert status == 2
    said = capsys.readouterr().err.strip()
    assert said == f"rung dashboard: port {port} on 127.0.0.1 is in use: pass --port N"


def test_a_folder_that_is_not_an_experiment_is_one_line(tmp_path, capsys):
    assert main(["dashboard", str(tmp_path)]) == 2
    said = capsys.readouterr().err.strip()
    assert said.startswith("rung dashboard: ") and "is not a rung experiment" in said
    assert "\n" not in said


def test_a_port_out_of_range_is_one_line(tune, tmp_path, capsys):
    tune(trainables.quadratic, {"x": rung.uniform(0, 1)}, num_trials=2, name="exp")
    assert main(["dashboard", str(tmp_path / "exp"), "--port", "99999"]) == 2
    said = capsys.readouterr().err.strip()
    assert (
        said == "rung dashboard: --port 99999: a port is a number from 0 to 65535 (0: any free one)"
    )

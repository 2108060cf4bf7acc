"""The comparison examples run as committed, on a few short trials (their full runs take
minutes and their outputs are committed beside them). The tests bound the runs by trials,
not wall time, so that a loaded machine makes them slower but never leaves a run empty."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "comparisons"

pytest.importorskip("mnist1d", reason="the examples' data set (pip install mnist1d) is missing")
pytest.importorskip("matplotlib", reason="the examples' plots need matplotlib")


# Bounded by the trials; the wall budget is only a backstop.
FEW_SHORT_TRIALS = ("--budget-s", "600", "--trials", "3", "--epochs", "3")


def run_example(name, tmp_path, *options, succeeds=True):
    ran = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--out", str(tmp_path / "out"), *options],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (ran.returncode == 0) == succeeds, ran.stdout[-3000:] + ran.stderr[-3000:]
    return ran.stdout + ran.stderr


@pytest.mark.parametrize(
    ("name", "rows"),
    [
        ("a_strategies.py", ["random", "tpe", "bohb (tpe + async hyperband)", "pbt"]),
        ("b_time_to_solution.py", ["random", "random + asha", "random + async hyperband"]),
    ],
)
def test_strategy_comparisons_write_a_table_and_a_time_to_solution_plot(name, rows, tmp_path):
    run_example(name, tmp_path, *FEW_SHORT_TRIALS, "--storage-path", str(tmp_path / "runs"))
    stem = tmp_path / "out" / name.replace(".py", "")
    table = stem.with_suffix(".txt").read_text().splitlines()
    assert [line[:32].strip() for line in table[1 : len(rows) + 1]] == rows
    assert "or 3 trials, whichever ended first, 3 epochs per trial" in table[-1]
    assert stem.with_suffix(".png").stat().st_size > 10_000


def test_pbt_schedule_is_exported_and_retrained(tmp_path):
    said = run_example(
        "c_pbt_schedule.py",
        tmp_path,
        "--population", "4", "--epochs", "6", "--storage-path", str(tmp_path / "runs"),
    )  # fmt: skip
    assert "as MultiStepLR: lr" in said and "fresh model with the MultiStepLR schedule" in said
    assert (tmp_path / "out" / "c_pbt_schedule.png").stat().st_size > 10_000


def test_explore_then_exploit_narrows_the_space_and_reruns_the_best(tmp_path):
    said = run_example(
        "d_explore_then_exploit.py",
        tmp_path,
        *FEW_SHORT_TRIALS, "--seeds", "2", "--storage-path", str(tmp_path / "runs"),
    )  # fmt: skip
    assert "narrowed space: lr=" in said
    assert "re-run with seeds 0-1" in said and "beyond the seed noise" in said


def test_explore_then_exploit_says_so_when_a_stage_had_no_time_for_a_trial(tmp_path):
    said = run_example(
        "d_explore_then_exploit.py",
        tmp_path,
        "--budget-s", "0.01", "--storage-path", str(tmp_path / "runs"),
        succeeds=False,
    )  # fmt: skip
    assert "no trial of stage 2 (TPE, narrowed space) reported within 0.01 s" in said
    assert "Traceback" not in said


def test_an_optuna_objective_and_its_port_run_side_by_side(tmp_path):
    pytest.importorskip("optuna", reason="the side-by-side example needs optuna")
    said = run_example("e_from_optuna.py", tmp_path, "--trials", "4")
    assert "optuna" in said and "rung" in said
    assert (tmp_path / "out" / "e_from_optuna.png").stat().st_size > 10_000

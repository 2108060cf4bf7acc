"""The scheduler benchmark's summary of saved sweeps, one file or a sweep saved in parts."""

import json

import pytest
from rich.console import Console

from benchmarks.schedulers import across_problems, main, merged_rows, summarize_saved


def row(problem: str, workers: int, scheduler: str, speedup: float, final: float) -> dict:
    return {
        "problem": problem,
        "workers": workers,
        "scheduler": scheduler,
        "speedup_vs_fifo": speedup,
        "final_median": final,
    }


def part(path, problem: str, speedup: float, final: float) -> None:
    rows = [row(problem, 32, "fifo", 1.0, 0.8), row(problem, 32, "asha", speedup, final)]
    path.write_text(json.dumps({"rows": rows}))


def rendered(table) -> str:
    console = Console(width=160, record=True)
    console.print(table)
    return console.export_text()


def test_parts_of_a_sweep_merge_into_one_table(tmp_path, capsys):
    part(tmp_path / "a.json", "lcbench-1", 8.0, 0.9)
    part(tmp_path / "b.json", "lcbench-2", 2.0, 0.7)  # below FIFO's final
    summarize_saved([tmp_path / "a.json", tmp_path / "b.json"], merge=True)
    asha = next(line for line in capsys.readouterr().out.splitlines() if "asha" in line)
    cells = [cell.strip() for cell in asha.split("│")[1:-1]]
    # workers, scheduler, median speedup, problems >= 5x, final >= FIFO's, problems
    assert cells == ["32", "asha", "5.0x", "1", "1", "2"]


def test_a_problem_in_two_parts_is_an_error():
    rows = [row("lcbench-1", 32, "fifo", 1.0, 0.8)]
    with pytest.raises(SystemExit, match="lcbench-1"):
        merged_rows([("a.json", rows), ("b.json", rows)])


def test_worker_counts_run_by_only_some_schedulers_are_left_out():
    rows = [row("p", 4, "fifo", 1.0, 0.8), row("p", 4, "asha", 3.0, 0.9)]
    rows += [row("p", 32, "fifo", 1.0, 0.8)]
    text = rendered(across_problems(rows))
    assert text.count("asha") == 1 and text.count("fifo") == 2


def test_merge_without_saved_files_is_refused_before_anything_runs(monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["schedulers.py", "--problems", "lcbench-126025", "--merge"])
    with pytest.raises(SystemExit):
        main()
    assert "--merge merges the saved files given to --summarize" in capsys.readouterr().err

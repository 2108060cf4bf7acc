"""The scheduler benchmark's summary of saved sweeps, one file or a sweep saved in parts."""

import argparse
import json

import pytest
from rich.console import Console

import rung
from benchmarks.problems.lcbench import DEFAULT_PATH, LCBench
from benchmarks.schedulers import (
    across_problems,
    main,
    merged_rows,
    one_run,
    scheduler_entry,
    searcher_spec,
    summarize_saved,
)
from rung.executors import SimulatedExecutor


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


def test_a_searcher_entry_takes_settings_that_differ_from_its_defaults():
    assert searcher_spec("bohb") == "bohb"
    spec = searcher_spec("bohb:random_fraction=0.33,top_fraction=0.2")
    assert spec == {"name": "bohb", "random_fraction": 0.33, "top_fraction": 0.2}
    assert scheduler_entry("asha@bohb:random_fraction=0.33") == "asha@bohb:random_fraction=0.33"
    for bad in ("asha@nope", "asha@bohb:random_fraction", "asha@bohb:random_fraction=x"):
        with pytest.raises(argparse.ArgumentTypeError):
            scheduler_entry(bad)


def test_a_runs_quality_is_what_best_trial_says_at_each_moment():
    """The sweep's curve ends at the value of the run's best trial (its latest report), not
    at the best report any trial ever made."""
    job = ("lcbench-7593", "asha@auto", 4, 0, 2_000.0, DEFAULT_PATH, 3, "random")
    run = one_run(job)
    problem = LCBench("7593")
    results = rung.run(
        problem,
        problem.space,
        metric=problem.metric,
        mode=problem.mode,
        scheduler={"name": "asha", "max_t": problem.max_t},
        searcher="auto",
        time_budget_s=2_000.0,
        executor=SimulatedExecutor(4),
        seed=0,
        verbose=0,
    )
    assert run["best"][-1] == results.best_result[problem.metric]
    assert run["best"][-1] < max(r[problem.metric] for t in results.trials for r in t.results)

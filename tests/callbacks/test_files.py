import csv
import json
import os

import pandas as pd

import rung
from tests import trainables


def test_every_result_is_in_its_trials_jsonl_and_csv(tune, tmp_path, executor):
    results = tune(
        trainables.quadratic, {"x": rung.uniform(0, 1)}, num_trials=3, name="exp", executor=executor
    )
    for trial in results.trials:
        folder = tmp_path / "exp" / "trials" / trial.trial_id
        with open(folder / "result.jsonl") as file:
            lines = [json.loads(line) for line in file]
        assert lines == trial.results
        with open(folder / "progress.csv") as file:
            rows = list(csv.DictReader(file))
        assert [float(r["loss"]) for r in rows] == [r["loss"] for r in trial.results]
    table = pd.read_csv(tmp_path / "exp" / "trials.csv", dtype={"trial_id": str})
    assert list(table["trial_id"]) == [t.trial_id for t in results.trials]


def test_no_files_without_a_storage_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    results = rung.run(
        trainables.returns_dict,
        {"x": rung.uniform(0, 1)},
        metric="loss",
        mode="min",
        num_trials=2,
        executor="inline",
        verbose=0,
    )
    assert os.listdir(tmp_path) == []
    assert not os.path.exists(results.path), "trial folders only when a trial asks for one"

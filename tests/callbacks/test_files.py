import json
import os

import pandas as pd

import rung
import rung.callbacks.files as files
from rung.callbacks.files import result_parts
from tests import trainables


def read_parts(folder):
    """Every row of an experiment's results parts, in order."""
    rows = []
    for part in result_parts(folder):
        with open(part) as file:
            rows += [json.loads(line) for line in file]
    return rows


def test_every_result_is_in_the_results_parts_once(tune, tmp_path, executor):
    results = tune(
        trainables.quadratic, {"x": rung.uniform(0, 1)}, num_trials=3, name="exp", executor=executor
    )
    rows = read_parts(tmp_path / "exp")
    assert len(rows) == sum(len(t.results) for t in results.trials)
    for trial in results.trials:
        mine = [r for r in rows if r["trial_id"] == trial.trial_id]
        assert mine == [{"trial_id": trial.trial_id, **r} for r in trial.results]
    left = list((tmp_path / "exp").glob("trials/*"))
    assert left == [], "no folder for trials that keep nothing in it"


def test_trials_csv_is_the_dataframe(tune, tmp_path):
    space = {"x": rung.uniform(0, 1), "opt": rung.choice(["a", "b"])}
    results = tune(trainables.quadratic, space, num_trials=4, name="exp", executor="inline")
    table = pd.read_csv(tmp_path / "exp" / "trials.csv", dtype={"trial_id": str})
    frame = results.dataframe()
    assert list(table.columns) == list(frame.columns)
    assert list(table["trial_id"]) == [t.trial_id for t in results.trials]
    assert table["best_loss"].tolist() == frame["best_loss"].tolist()
    assert table["config/opt"].tolist() == frame["config/opt"].tolist()


def test_a_full_part_is_followed_by_the_next(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "PART_BYTES", 100)
    parts = files._Parts(str(tmp_path / "results"))
    batches = [
        [files.result_line(f"{t:05d}", {"loss": 0.5, "i": i}) for i in range(3)] for t in range(4)
    ]
    for batch in batches:
        parts.write(batch)
    parts.close()
    written = result_parts(tmp_path)
    assert [p.name for p in written] == [f"part-{i:05d}.jsonl" for i in range(len(written))]
    assert len(written) >= 2, "a part over the limit is closed and the next one started"
    lines = [line for batch in batches for line in batch]
    assert "".join(p.read_text() for p in written) == "".join(lines)
    assert all(p.stat().st_size < 100 + len("".join(batches[0])) for p in written)


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


def test_result_files_off_writes_none(tune, tmp_path):
    tune(
        trainables.quadratic,
        {"x": rung.uniform(0, 1)},
        num_trials=2,
        name="exp",
        executor="inline",
        result_files=False,
    )
    assert result_parts(tmp_path / "exp") == []
    assert not (tmp_path / "exp" / "trials.csv").exists()

"""The dashboard's API over real experiment folders: what it answers, that it follows a log
as it grows, and that it changes nothing."""

import base64
import hashlib
import json
import pickle
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest

import rung
from rung.store.sqlite import ExperimentDirError
from tests import trainables
from tests.snapshots import drop_snapshot

pytest.importorskip("starlette", reason="the dashboard extra (starlette) is not installed")
pytest.importorskip("httpx", reason="Starlette's test client needs httpx")

from starlette.testclient import TestClient

from rung.dashboard import app
from rung.dashboard.app import create_app
from rung.dashboard.drawings import Drawing

X = {"x": rung.uniform(0, 1)}


def drawn(client, path):
    """The answer for a chart, asked again while the server says it is still drawing it
    (each ask waits a moment on the drawing itself)."""
    for _ in range(1000):
        answer = client.get(path)
        if answer.status_code != 202:
            return answer
    raise AssertionError(f"{path} was never drawn")


def folder_contents(folder):
    return {
        p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


def run_asha(tune, num_trials, resume=False):
    return tune(
        trainables.quadratic,
        X,
        num_trials=num_trials,
        name="asha",
        executor="inline",
        scheduler={"name": "asha", "max_t": 5},
        resume=resume,
    )


@pytest.fixture
def asha(tune, tmp_path):
    return run_asha(tune, 8), tmp_path / "asha"


def test_the_api_answers_from_the_log_and_writes_nothing(asha):
    results, folder = asha
    before = folder_contents(folder)
    with TestClient(create_app([folder])) as client:
        (said,) = client.get("/api/experiments").json()
        assert said["best"]["trial_id"] == results.best_trial.trial_id
        assert said["trials"] == 8

        page = client.get(
            "/api/experiments/0/trials", params={"sort": "value", "limit": 3, "state": "stopped"}
        ).json()
        stopped = [t for t in results.trials if t.status is rung.TrialStatus.STOPPED]
        assert page["total"] == len(stopped) and len(page["rows"]) == min(3, len(stopped))
        values = [r["value"] for r in page["rows"]]
        assert values == sorted(values)

        best = results.best_trial
        detail = client.get(f"/api/experiments/0/trials/{best.trial_id}").json()
        assert detail["results"] == best.results and detail["config"] == best.config

        chart = drawn(client, "/api/experiments/0/charts/best_so_far").json()
        assert chart["panels"][0]["traces"][-1]["y"][-1] == results.best_result["loss"]
    assert folder_contents(folder) == before  # no -wal, no -shm, no change


def test_the_api_follows_a_log_that_grows(asha, tune):
    _, folder = asha
    with TestClient(create_app([folder])) as client:
        first = client.get("/api/poll").json()["positions"][0]
        assert client.get("/api/poll").json()["positions"][0] == first  # nothing new
        more = run_asha(tune, 12, resume=True)
        assert client.get("/api/poll").json()["positions"][0] > first
        (said,) = client.get("/api/experiments").json()
        assert said["trials"] == 12 and said["best"]["trial_id"] == more.best_trial.trial_id


def test_a_large_log_is_served_while_it_is_read_a_part_at_a_time(asha, monkeypatch):
    results, folder = asha
    drop_snapshot(folder)  # as while it runs: the reader starts from the first record
    monkeypatch.setattr(app, "CHUNK", 7)
    served = app.create_app([folder])
    client = TestClient(served)  # not started: nothing reads beyond the first part yet
    (said,) = client.get("/api/experiments").json()
    length = said["reading"]["of"]
    assert said["reading"] == {"records": 7, "of": length} and length > 7
    assert said["position"] == 7 and said["trials"] < 8
    assert client.get("/api/poll").json()["positions"] == [7], "a poll waits for the reader"
    with TestClient(served) as started:  # its reader folds the rest between requests
        for _ in range(length):
            (said,) = started.get("/api/experiments").json()
            if said["reading"] is None:
                break
    assert said["position"] == length and said["trials"] == 8
    assert said["best"]["trial_id"] == results.best_trial.trial_id


def test_a_slow_chart_is_answered_at_once_and_drawn_meanwhile(asha, monkeypatch):
    _, folder = asha
    may_finish = threading.Event()

    def slow(results):
        may_finish.wait()
        return rung.plot.charts.best_so_far(results)

    monkeypatch.setitem(rung.plot.KINDS, "slow", slow)
    with TestClient(create_app([folder])) as client:
        answer = client.get("/api/experiments/0/figures/slow")
        assert answer.status_code == 202 and answer.json() == {"drawing": True}
        assert client.get("/api/poll").status_code == 200, "other requests go on meanwhile"
        may_finish.set()
        figure = drawn(client, "/api/experiments/0/figures/slow").json()
        assert [t["name"] for t in figure["data"]][-1] == "best trial so far"


def test_a_drawing_is_made_again_once_the_log_grew_and_ten_costs_passed():
    now = time.perf_counter()
    quick = Drawing(1, None, None, None, started=now - 100, cost_s=1.0)
    assert not quick.stale(1), "the log did not grow"
    assert quick.stale(2)
    costly = Drawing(1, None, None, None, started=now, cost_s=5.0)
    assert not costly.stale(2), "drawn again only after ten times its cost"


def test_bad_requests_are_named(asha):
    _, folder = asha
    with TestClient(create_app([folder])) as client:
        answer = client.get("/api/experiments/0/trials", params={"sort": "config/nope"})
        assert answer.status_code == 400 and "no column 'config/nope'" in answer.json()["error"]
        answer = client.get("/api/experiments/0/trials", params={"range": "value:a:b"})
        assert answer.status_code == 400 and "column:low:high" in answer.json()["error"]
        answer = client.get("/api/experiments/3/trials")
        assert answer.status_code == 404 and "no experiment 3" in answer.json()["error"]
        answer = client.get("/api/experiments/0/trials/99999")
        assert answer.status_code == 404 and "no trial 99999" in answer.json()["error"]
        answer = client.get("/api/experiments/0/charts/nope")
        assert answer.status_code == 404


def test_a_folder_that_is_not_an_experiment_is_named_before_serving(tmp_path):
    with pytest.raises(ExperimentDirError, match="is not a rung experiment"):
        create_app([tmp_path])


def test_several_experiments_are_compared_by_time_to_solution(asha, tune, tmp_path):
    _, folder = asha
    tune(trainables.quadratic, X, num_trials=4, name="fifo", executor="inline")
    with TestClient(create_app([folder, tmp_path / "fifo"])) as client:
        names = [e["name"] for e in client.get("/api/experiments").json()]
        assert names == ["asha", "fifo"]
        figure = drawn(client, "/api/comparison").json()
        assert {t["name"] for t in figure["data"]} == {"asha", "fifo"}
    with TestClient(create_app([folder])) as client:
        answer = client.get("/api/comparison")
        assert answer.status_code == 400 and "two experiments" in answer.json()["error"]
        answer = drawn(client, "/api/experiments/0/figures/pbt")
        assert answer.status_code == 400 and "not a PBT experiment" in answer.json()["error"]


class Trap:
    """Unpickling this writes a file: the dashboard must never do it."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (Path(self.path),))


def test_the_dashboard_never_unpickles_what_the_folder_keeps(asha, tmp_path):
    _, folder = asha
    sprung = tmp_path / "unpickled"
    payload = base64.b64encode(pickle.dumps(Trap(sprung))).decode()
    with closing(sqlite3.connect(folder / "experiment.db")) as db, db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'payload'", (json.dumps(payload),))
    with TestClient(create_app([folder])) as client:
        for path in (
            "/api/experiments",
            "/api/experiments/0/trials",
            "/api/poll",
            "/api/experiments/0/trials/00000",
            "/api/experiments/0/charts/importance",
        ):
            assert drawn(client, path).status_code == 200, path
    assert not sprung.exists()
    pickle.loads(base64.b64decode(payload))  # the trap is real: unpickling springs it
    assert sprung.exists()

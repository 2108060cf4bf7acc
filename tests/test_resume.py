"""An experiment directory survives the driver: load it while it runs, resume it after a kill."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

import rung
from rung.callbacks import Callback
from rung.checkpoint import load_checkpoint
from rung.trial import TrialStatus
from tests import trainables

X = {"x": rung.uniform(0, 1)}


def test_load_gives_the_same_results_as_run(tune, tmp_path):
    results = tune(trainables.quadratic, X, num_trials=5, name="exp", executor="inline")
    loaded = rung.load(tmp_path / "exp")
    assert [t.trial_id for t in loaded.trials] == [t.trial_id for t in results.trials]
    assert [t.results for t in loaded.trials] == [t.results for t in results.trials]
    assert loaded.best_config == results.best_config
    assert loaded.stop_reason == results.stop_reason
    assert loaded.dataframe().equals(results.dataframe())


class LoadsWhileRunning(Callback):
    def __init__(self, path):
        self.path = path
        self.seen = []

    def on_trial_end(self, trial):
        self.seen.append(len(rung.load(self.path).trials))


def test_load_works_while_the_experiment_runs(tune, tmp_path):
    watcher = LoadsWhileRunning(tmp_path / "exp")
    tune(
        trainables.quadratic,
        X,
        num_trials=4,
        name="exp",
        executor="inline",
        max_concurrent=1,
        callbacks=[watcher],
    )
    # Writes are batched (at most 50 ms apart): a reader sees a consistent, growing prefix.
    assert watcher.seen == sorted(watcher.seen) and watcher.seen[-1] <= 3
    assert len(rung.load(tmp_path / "exp").trials) == 4


def test_resume_of_a_finished_experiment_runs_nothing_more(tune, tmp_path):
    first = tune(trainables.quadratic, X, num_trials=4, name="exp", executor="inline")
    again = tune(trainables.quadratic, X, num_trials=4, name="exp", executor="inline", resume=True)
    assert [t.results for t in again.trials] == [t.results for t in first.trials]


def test_resume_needs_a_named_stored_experiment(tune, tmp_path):
    with pytest.raises(rung.ConfigError, match="resume=True needs the name"):
        tune(trainables.quadratic, X, num_trials=4, resume=True)
    with pytest.raises(rung.ConfigError, match="nothing to resume"):
        tune(trainables.quadratic, X, num_trials=4, name="missing", resume=True)


SCRIPT = textwrap.dedent(
    """
    import sys, time
    import rung
    from rung.schedulers import ASHAScheduler

    def train(config):
        print("STARTED", rung.get_trial_id(), flush=True)
        checkpoint = rung.get_checkpoint()
        start = checkpoint["epoch"] + 1 if checkpoint else 1
        for epoch in range(start, 5):
            time.sleep(0.01)
            print("REPORT", rung.get_trial_id(), epoch, flush=True)
            state = {"epoch": epoch, "blob": b"x" * 200_000}
            rung.report(epoch=epoch, loss=config["x"] / epoch, checkpoint=state)
        print("ENDED", rung.get_trial_id(), flush=True)

    if __name__ == "__main__":
        rung.run(
            train, {"x": rung.uniform(0, 1)}, metric="loss", mode="min", num_trials=40,
            scheduler=ASHAScheduler(time_attr="epoch", max_t=4, grace_period=1),
            max_concurrent=2, storage_path=sys.argv[1], name="exp", seed=0, verbose=0,
            resume=sys.argv[2] == "resume",
        )
        print("DONE", flush=True)
    """
)


def run_script(script, storage, mode, kill_after=None):
    """Run the experiment; with ``kill_after(line)``, SIGKILL driver and workers together
    as soon as a line of output satisfies it (a machine dying, not a polite stop)."""
    process = subprocess.Popen(
        [sys.executable, str(script), str(storage), mode],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
        cwd=os.getcwd(),
    )
    lines = []
    for line in process.stdout:
        lines.append(line)
        if kill_after and kill_after(line, lines):
            os.killpg(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=120)
    process.stdout.close()
    return lines


MOMENTS = {
    "during a report": lambda line, lines: line.startswith("REPORT") and len(lines) > 30,
    "between trials": lambda line, lines: (
        line.startswith("STARTED") and sum(x.startswith("STARTED") for x in lines) == 12
    ),
    "during a checkpoint write": lambda line, lines: line.startswith("REPORT") and len(lines) > 60,
}


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_a_killed_experiment_resumes_without_losing_or_repeating_anything(tmp_path, moment):
    script = tmp_path / "experiment.py"
    script.write_text(SCRIPT)
    run_script(script, tmp_path, "new", kill_after=MOMENTS[moment])
    before = rung.load(tmp_path / "exp")
    assert 0 < len(before.trials) < 40
    finished_before = {t.trial_id: t.results for t in before.trials if t.status.is_finished}

    lines = run_script(script, tmp_path, "resume")
    assert lines[-1] == "DONE\n"
    after = rung.load(tmp_path / "exp")
    ids = [t.trial_id for t in after.trials]
    assert len(ids) == 40 == len(set(ids)), "the totals asked for, ids unique"
    assert all(t.status.is_finished for t in after.trials)
    by_id = {t.trial_id: t for t in after.trials}
    for trial_id, results in finished_before.items():
        assert by_id[trial_id].results == results, "a finished trial is not run again"
    for trial in before.trials:
        resumed = by_id[trial.trial_id].results
        for result in trial.results:
            assert resumed.count(result) == 1, "every result from before the kill, once"
    restarted = [t for t in before.trials if t.status is TrialStatus.RUNNING]
    for trial in restarted:
        epochs = [r["epoch"] for r in by_id[trial.trial_id].results]
        assert epochs == sorted(epochs), "restarted from its checkpoint, not from scratch"
    for trial in after.trials:
        if trial.checkpoint:
            assert "epoch" in load_checkpoint(trial.checkpoint), "no half-written checkpoint"


def test_a_resumed_run_proposes_what_an_uninterrupted_one_would(tune, tmp_path):
    for searcher in ("random", "quasirandom"):
        whole = tune(
            trainables.returns_dict,
            X,
            num_trials=6,
            executor="inline",
            searcher=searcher,
            name=f"whole-{searcher}",
        )
        tune(
            trainables.returns_dict,
            X,
            num_trials=3,
            executor="inline",
            searcher=searcher,
            name=f"parts-{searcher}",
        )
        resumed = tune(
            trainables.returns_dict,
            X,
            num_trials=6,
            executor="inline",
            searcher=searcher,
            name=f"parts-{searcher}",
            resume=True,
        )
        assert [t.config for t in resumed.trials] == [t.config for t in whole.trials]


def test_a_resumed_model_based_search_keeps_its_start_and_its_observations(tune, tmp_path):
    whole = tune(
        trainables.returns_dict, X, num_trials=10, executor="inline", searcher="tpe", name="whole"
    )
    tune(trainables.returns_dict, X, num_trials=4, executor="inline", searcher="tpe", name="part")
    searcher = rung.searchers.TPESearch()
    resumed = tune(
        trainables.returns_dict,
        X,
        num_trials=16,
        executor="inline",
        searcher=searcher,
        name="part",
        resume=True,
    )
    # The quasi-random start continues where it stopped, and the model saw every trial.
    configs = [t.config for t in resumed.trials]
    assert configs[:10] == [t.config for t in whole.trials]
    assert len(searcher.observed) == 16 and len(set(map(str, configs))) == 16

"""rung.Tuner, ask and tell: the same engine as rung.run driven from the user's loop, from
several threads, through failures, population-based training and a resume."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from collections import Counter

import pytest

import rung
from rung.cli import main as cli_main
from rung.schedulers import ASHAScheduler, PopulationBasedTraining

SPACE = {"x": rung.uniform(0, 1), "width": rung.choice([8, 16, 32])}
ASHA = {"name": "asha", "max_t": 9}


def loss_at(config, epoch):
    return (config["x"] - 0.3) ** 2 + 1.0 / epoch + config["width"] / 1000


def curve(config):
    """The trainable rung.run runs: what the loops below do by hand."""
    for epoch in range(1, 10):
        rung.report(epoch=epoch, loss=loss_at(config, epoch))


def drive(tuner, stop_after=None, checkpoints=False):
    """The plain loop of the Tuner's docstring; returns how many reports were answered."""
    answered = 0
    while (trial := tuner.ask()) is not None:
        for epoch in range(trial.iteration + 1, 10):
            if stop_after is not None and answered == stop_after:
                return answered
            state = {"epoch": epoch} if checkpoints else None
            go_on = tuner.report(
                trial, epoch=epoch, loss=loss_at(trial.config, epoch), checkpoint=state
            )
            answered += 1
            if not go_on:
                break
        tuner.tell(trial)
    return answered


def outline(results):
    return [
        (t.trial_id, t.config, t.status, [r["loss"] for r in t.results]) for t in results.trials
    ]


def test_a_plain_loop_makes_the_same_decisions_as_rung_run(tmp_path):
    settings = {"metric": "loss", "mode": "min", "searcher": "tpe", "scheduler": ASHA}
    settings |= {"num_trials": 20, "seed": 4}
    ran = rung.run(curve, SPACE, executor="inline", verbose=0, **settings)
    with rung.Tuner(SPACE, storage_path=tmp_path, name="t", **settings) as tuner:
        drive(tuner)
    assert outline(tuner.results()) == outline(ran)
    statuses = Counter(t.status for t in ran.trials)
    assert statuses[rung.TrialStatus.STOPPED] > 0 and statuses[rung.TrialStatus.TERMINATED] > 0
    assert tuner.results().stop_reason == "num_trials=20 trials were run"
    assert outline(rung.load(tmp_path / "t")) == outline(ran), "the log says the same"


@pytest.mark.parametrize("scheduler", [ASHA, {"name": "hyperband", "max_t": 9}])
def test_several_threads_share_one_tuner_and_every_answered_report_is_recorded_once(
    tmp_path, scheduler
):
    """Hyperband pauses trials until their bracket's rung is full: a thread asking then
    waits for the others' reports, and paused trials come back from their checkpoints."""
    tuner = rung.Tuner(
        SPACE,
        metric="loss",
        mode="min",
        scheduler=scheduler,
        num_trials=40,
        seed=1,
        storage_path=tmp_path,
        name="threads",
    )
    answered = []
    held = Counter()
    lock = threading.Lock()

    def worker():
        while (trial := tuner.ask(timeout=60)) is not None:
            with lock:
                held[trial.trial_id] += 1
                assert held[trial.trial_id] == 1, "a trial is handed to one thread at a time"
            for epoch in range(trial.iteration + 1, 10):
                loss = loss_at(trial.config, epoch)
                go_on = tuner.report(trial, epoch=epoch, loss=loss, checkpoint={"e": epoch})
                with lock:
                    answered.append((trial.trial_id, epoch))
                if not go_on:
                    break
            with lock:
                held[trial.trial_id] -= 1
            tuner.tell(trial)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    results = tuner.close()
    assert len(results.trials) == 40
    recorded = [
        (t.trial_id, r["epoch"]) for t in rung.load(tmp_path / "threads").trials for r in t.results
    ]
    assert sorted(recorded) == sorted(answered)
    assert any(t.status is rung.TrialStatus.STOPPED for t in results.trials)


def test_closing_with_trials_asked_keeps_them_and_a_resume_asks_them_again(tmp_path):
    settings = {"metric": "loss", "mode": "min", "scheduler": "fifo", "num_trials": 4}
    settings |= {"seed": 2, "storage_path": tmp_path, "name": "r"}
    tuner = rung.Tuner(SPACE, **settings)
    done = tuner.ask()
    for epoch in range(1, 10):
        tuner.report(done, epoch=epoch, loss=loss_at(done.config, epoch))
    tuner.tell(done)
    cut = tuner.ask()
    for epoch in range(1, 4):
        tuner.report(cut, epoch=epoch, loss=loss_at(cut.config, epoch), checkpoint={"epoch": epoch})
    tuner.close()
    with pytest.raises(rung.RungError, match="closed"):
        tuner.ask()

    resumed = rung.Tuner(SPACE, resume=True, **settings)
    again = resumed.ask()
    assert (again.trial_id, again.config, again.iteration) == (cut.trial_id, cut.config, 3)
    assert again.load_checkpoint() == {"epoch": 3}
    for epoch in range(4, 10):
        resumed.report(again, epoch=epoch, loss=loss_at(again.config, epoch))
    resumed.tell(again)
    drive(resumed)
    results = resumed.close()
    assert len(results.trials) == 4
    assert all(t.status is rung.TrialStatus.TERMINATED for t in results.trials)
    epochs = [r["epoch"] for r in results.trials[1].results]
    assert epochs == list(range(1, 10)), "no iteration lost or repeated"


def test_a_process_killed_mid_trial_loses_no_answered_report(tmp_path):
    script = tmp_path / "loop.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import os, sys
            sys.path.insert(0, {os.getcwd()!r})
            import rung
            from tests.test_tuner import SPACE, drive
            tuner = rung.Tuner(SPACE, metric="loss", mode="min", num_trials=5, seed=0,
                               storage_path={str(tmp_path)!r}, name="k")
            print(drive(tuner, stop_after=int(sys.argv[1]), checkpoints=True), flush=True)
            os._exit(9)  # as a kill -9: nothing closed, nothing flushed
            """
        )
    )
    ran = subprocess.run(
        [sys.executable, script, "13"], capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 9, ran.stderr
    assert int(ran.stdout) == 13
    loaded = rung.load(tmp_path / "k")
    assert sum(len(t.results) for t in loaded.trials) == 13
    with rung.Tuner(
        SPACE,
        metric="loss",
        mode="min",
        num_trials=5,
        seed=0,
        storage_path=tmp_path,
        name="k",
        resume=True,
    ) as tuner:
        drive(tuner)
    final = tuner.results()
    assert [len(t.results) for t in final.trials] == [9] * 5


def test_failed_trials_are_retried_then_recorded_as_errors():
    tuner = rung.Tuner(SPACE, metric="loss", mode="min", num_trials=1, max_failures=1, seed=0)
    first = tuner.ask()
    tuner.report(first, epoch=1, loss=1.0)
    tuner.tell(first, error=ValueError("diverged"))
    retry = tuner.ask()
    assert retry.trial_id == first.trial_id
    tuner.tell(retry, error="out of memory")
    assert tuner.ask() is None
    (trial,) = tuner.close().trials
    assert trial.status is rung.TrialStatus.ERROR and trial.error == "out of memory"


def test_a_final_result_can_be_told_instead_of_reported():
    tuner = rung.Tuner(SPACE, metric="loss", mode="max", num_trials=3, seed=0)
    while (trial := tuner.ask()) is not None:
        tuner.tell(trial, {"loss": trial.config["x"]})
    results = tuner.close()
    assert results.best_result["loss"] == max(t.config["x"] for t in results.trials)


def test_population_based_training_hands_out_a_copy_with_the_donors_checkpoint():
    pbt = PopulationBasedTraining(
        perturbation_interval=2, hyperparam_mutations={"x": rung.uniform(0, 1)}
    )
    tuner = rung.Tuner(SPACE, metric="loss", mode="min", scheduler=pbt, num_trials=4, seed=3)
    # A population trained together, one epoch per member in turn, in one thread.
    active = [tuner.ask(timeout=0) for _ in range(4)]
    epoch_of = {id(trial): trial.iteration for trial in active}
    copies = []
    while active:
        for trial in list(active):
            epoch_of[id(trial)] += 1
            epoch = epoch_of[id(trial)]
            state = {"epoch": epoch, "x": trial.config["x"]}
            go_on = tuner.report(trial, loss=abs(trial.config["x"] - 0.3), checkpoint=state)
            if go_on and epoch < 8:
                continue
            if go_on:
                tuner.tell(trial)
            active.remove(trial)
            if (again := tuner.ask(timeout=0)) is not None:
                copies.append((again.iteration, again.load_checkpoint(), again.config))
                epoch_of[id(again)] = again.iteration
                active.append(again)
    results = tuner.close()
    assert copies, "an exploited trial came back to the loop with a checkpoint to start from"
    for iteration, state, config in copies:
        assert state["epoch"] == iteration > 0
        assert config["x"] != state["x"], "with the donor's state and a mutated config"
    assert all(t.status is rung.TrialStatus.TERMINATED for t in results.trials)
    assert all(t.iteration == 8 for t in results.trials)


def test_misuse_gets_a_clear_message(tmp_path, capsys):
    tuner = rung.Tuner(SPACE, metric="loss", mode="min", storage_path=tmp_path, name="m", seed=0)
    other = rung.Tuner(SPACE, metric="loss", mode="min", seed=0)
    stranger = other.ask()
    with pytest.raises(rung.ConfigError, match="not handed out by this tuner"):
        tuner.report(stranger, loss=1.0)
    trial = tuner.ask()
    with pytest.raises(rung.ConfigError, match="without the metric 'loss'"):
        tuner.report(trial, los=1.0)
    tuner.close()
    other.close()
    assert cli_main(["resume", str(tmp_path / "m")]) == 2
    assert "driven by rung.Tuner" in capsys.readouterr().err


def test_asha_instance_is_the_one_the_tuner_uses():
    scheduler = ASHAScheduler(max_t=9)
    with rung.Tuner(
        SPACE, metric="loss", mode="min", scheduler=scheduler, num_trials=6, seed=0
    ) as tuner:
        drive(tuner)
    assert scheduler._bracket_of, "the scheduler given was set up and used"


def test_given_points_are_asked_first():
    points = [{"x": 0.3, "width": 8}, {"x": 0.9}]
    tuner = rung.Tuner(
        SPACE, metric="loss", mode="min", points_to_evaluate=points, num_trials=3, seed=0
    )
    first, second = tuner.ask(), tuner.ask()
    assert first.config == {"x": 0.3, "width": 8}
    assert second.config["x"] == 0.9 and second.config["width"] in (8, 16, 32)
    tuner.close()

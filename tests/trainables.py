"""Trainables the engine tests run; module-level so worker processes import them by name."""

from __future__ import annotations

import ctypes
import math
import os
import signal
import threading

import numpy as np

import rung


def quadratic(config):
    """Five epochs converging to (x - 0.3)^2."""
    for epoch in range(5):
        rung.report(epoch=epoch, loss=(config["x"] - 0.3) ** 2 + 1.0 / (epoch + 1))


def returns_dict(config):
    return {"loss": config["x"] ** 2}


def forever(config):
    epoch = 0
    while True:
        epoch += 1
        rung.report(loss=1.0 / epoch)


def swallows_exceptions(config):
    """User code that catches too much must still not swallow a stop."""
    for epoch in range(100):
        try:  # noqa: SIM105
            rung.report(loss=float(epoch))
        except Exception:
            pass


def fails_when(config):
    """Misbehaves in the way config["fail"] says, on the second epoch."""
    for epoch in range(3):
        if epoch == 1:
            how = config["fail"]
            if how == "raise":
                raise ValueError(f"bad value {config['x']}")
            if how == "exit":
                os._exit(3)
            if how == "segfault":
                ctypes.string_at(0)
            if how == "sigkill":
                os.kill(os.getpid(), signal.SIGKILL)
            if how == "hang":
                threading.Event().wait()
            if how == "nan":
                rung.report(loss=math.nan)
                return
            if how == "string":
                rung.report(loss="low")
            if how == "missing":
                rung.report(accuracy=0.5)
            if how == "huge":
                rung.report(loss=10**400)
        rung.report(loss=config["x"] + epoch)


def budget_goes_bad(config):
    """Three epochs; the second reports its epoch as config["bad"] says."""
    bad = {"missing": None, "string": "two", "huge": 10**400, "nan": math.nan, "inf": math.inf}
    for epoch in range(1, 4):
        if epoch == 2 and config["bad"] != "no":
            value = bad[config["bad"]]
            metrics = {} if value is None else {"epoch": value}
            rung.report(loss=config["x"], **metrics)
        rung.report(epoch=epoch, loss=config["x"] / epoch)


# Set when the trial after one that leaves a reporting thread begins, and when that thread
# has made its reports.
next_trial_began = threading.Event()
late_reports_made = threading.Event()
# What a late thread was told when it asked for its trial's folder.
late_answers: list[str] = []


def leaves_a_reporting_thread(config):
    """The first trial returns, leaving a thread that, once the next trial runs, reports
    three times (config["late"] == "report") or asks for its trial's folder ("folder"); the
    next waits for it, then reports, with what the thread was told."""
    if config["role"] == "first":

        def late():
            next_trial_began.wait(60)
            try:
                if config.get("late", "report") == "report":
                    for _ in range(3):
                        rung.report(loss=99.0)
                else:
                    late_answers.append(str(rung.get_trial_dir()))
            except rung.RungError as error:
                late_answers.append(str(error))
            finally:
                late_reports_made.set()

        threading.Thread(target=late, daemon=True).start()
        rung.report(loss=1.0)
        return
    next_trial_began.set()
    late_reports_made.wait(60)
    rung.report(loss=2.0, answer=late_answers[-1] if late_answers else "")


def resumes_from_checkpoint(config):
    """Checkpoints every epoch; its first run fails after epoch 2."""
    checkpoint = rung.get_checkpoint()
    start = checkpoint["epoch"] + 1 if checkpoint else 0
    for epoch in range(start, 6):
        rung.report(epoch=epoch, loss=1.0 / (epoch + 1), checkpoint={"epoch": epoch})
        if epoch == 2 and checkpoint is None:
            raise RuntimeError("transient failure")


def writes_directory_checkpoint(config):
    state = rung.get_trial_dir() / "state"
    state.mkdir()
    (state / "weights.txt").write_text(str(config["x"]))
    rung.report(loss=config["x"], checkpoint=state)


def writes_to_current_directory(config):
    with open("here.txt", "w") as file:
        file.write(rung.get_trial_id())
    rung.report(loss=config["x"])


def reports_environment(config):
    rung.report(
        loss=config["x"],
        gpus=os.environ.get("CUDA_VISIBLE_DEVICES"),
        threads=os.environ.get("OMP_NUM_THREADS"),
        pid=os.getpid(),
    )


class Counter(rung.Trainable):
    """A class trainable that counts how often it was built, to show reuse by reset()."""

    built = 0

    def setup(self, config):
        Counter.built += 1
        self.x = config["x"]
        self.steps = 0

    def step(self):
        self.steps += 1
        return {"loss": self.x / self.steps, "built": Counter.built}

    def reset(self, config):
        self.x = config["x"]
        self.steps = 0
        return True


class FailsOnceAtStepThree(rung.Trainable):
    """Saves and loads its step count; its first run (not resumed) fails at step 3."""

    def setup(self, config):
        self.step_count = 0
        self.resumed = False

    def step(self):
        self.step_count += 1
        if self.step_count == 3 and not self.resumed:
            raise RuntimeError("transient failure")
        return {"loss": 1.0 / self.step_count, "step": self.step_count}

    def save(self, checkpoint_dir):
        with open(os.path.join(checkpoint_dir, "step.txt"), "w") as file:
            file.write(str(self.step_count))

    def load(self, checkpoint_dir):
        with open(os.path.join(checkpoint_dir, "step.txt")) as file:
            self.step_count = int(file.read())
        self.resumed = True


def lazy_checkpoints(config):
    """Twenty epochs; offers a checkpoint each epoch but builds it only when rung asks."""
    checkpoint = rung.get_checkpoint()
    start = checkpoint["epoch"] + 1 if checkpoint else 1
    origin = checkpoint["origin"] if checkpoint else rung.get_trial_id()
    for epoch in range(start, 21):
        loss = config["x"] / epoch
        rung.report(
            epoch=epoch,
            loss=loss,
            origin=origin,
            trial=rung.get_trial_id(),
            checkpoint=lambda epoch=epoch: {"epoch": epoch, "origin": origin},
        )


def peaks_early(config):
    """Six epochs, a checkpoint each; the loss is lowest at epoch 2."""
    for epoch in range(1, 7):
        rung.report(epoch=epoch, loss=abs(epoch - 2) + config["x"], checkpoint={"epoch": epoch})


def reports_from_threads(config):
    """Four threads report 25 results each, at once."""

    def report_many(thread):
        for step in range(25):
            rung.report(loss=config["x"] + step, thread=thread)

    threads = [threading.Thread(target=report_many, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def forks_then_dies(config):
    """Forks a child that holds the worker's pipe open and waits forever, then dies."""
    rung.report(loss=config["x"])
    if config["fork"]:
        child = os.fork()
        if child == 0:
            signal.pause()
            os._exit(0)
        with open(rung.get_trial_dir() / "child.pid", "w") as file:
            file.write(str(child))
        os._exit(3)
    rung.report(loss=config["x"] / 2)


def raises_keyboard_interrupt(config):
    rung.report(loss=config["x"])
    if config["x"] > 0.5:
        raise KeyboardInterrupt("raised by the trainable itself")
    rung.report(loss=config["x"] / 2)


def runs_an_experiment(config):
    """A trainable that tunes something of its own, then reports the best it found."""
    inner = rung.run(
        returns_dict,
        {"x": rung.uniform(0, 1)},
        metric="loss",
        mode="min",
        num_trials=3,
        executor=config["inner"],
        verbose=0,
        seed=1,
    )
    rung.report(loss=inner.best_result["loss"], inner_trials=len(inner.trials))


def resumable(config):
    """Six epochs from its checkpoint (or from the start), a checkpoint each."""
    checkpoint = rung.get_checkpoint()
    start = checkpoint["epoch"] + 1 if checkpoint else 1
    for epoch in range(start, 7):
        rung.report(epoch=epoch, loss=config["x"] / epoch, checkpoint={"epoch": epoch})


def trains_with_history(config):
    """Its state is the list of learning rates it was trained with, one per iteration:
    the truth that population-based training's lineage must reproduce."""
    checkpoint = rung.get_checkpoint()
    history = list(checkpoint["history"]) if checkpoint else []
    while True:
        history.append(config["lr"])
        loss = sum((lr - 0.05) ** 2 for lr in history) / len(history)
        state = {"history": list(history)}
        rung.report(loss=loss, age=len(history), history=list(history), checkpoint=state)


class DoneAtFive(rung.Trainable):
    """Says it is done at its fifth step; remembers the configs it was given."""

    def setup(self, config):
        self.steps = 0
        self.seen = [self.config["x"]]

    def reset(self, config):
        self.steps = 0
        self.seen.append(self.config["x"])
        return True

    def step(self):
        self.steps += 1
        return {"loss": self.config["x"], "seen": list(self.seen), "done": self.steps == 5}


class NeverEnds(rung.Trainable):
    def step(self):
        return {"loss": 1.0}


def reports_done(config):
    for epoch in range(1, 100):
        rung.report(loss=config["x"], epoch=epoch, done=epoch == 3)


def prints(config):
    """Writes to standard output and error, from Python and below it."""
    print("hello from", rung.get_trial_id(), flush=True)
    os.write(2, f"low-level error line {rung.get_trial_id()}\n".encode())
    if config["x"] > 0.5:
        raise RuntimeError("it broke")
    rung.report(loss=config["x"])


def prints_each_epoch(config):
    """Prints a line before each report, and last words after the last; may then crash."""
    for epoch in range(3):
        print(f"epoch {epoch}", flush=True)
        rung.report(loss=float(epoch))
    print("last words", flush=True)
    if config["crash"]:
        ctypes.string_at(0)


def noisy(config):
    """Loss x plus Gaussian noise of standard deviation 0.1 drawn from the config's seed."""
    noise = np.random.default_rng(config["seed"]).normal(0.0, 0.1)
    rung.report(loss=config["x"] + noise)


class RayStyle(rung.Trainable):
    """A class as written for Ray Tune: save_checkpoint returns a dict, load_checkpoint
    takes it back, reset_config reconfigures in place."""

    def setup(self, config):
        self.x = config["x"]
        self.steps = 0

    def step(self):
        self.steps += 1
        return {"loss": self.x / self.steps, "steps": self.steps}

    def save_checkpoint(self, checkpoint_dir):
        return {"steps": self.steps}

    def load_checkpoint(self, checkpoint):
        self.steps = checkpoint["steps"]

    def reset_config(self, new_config):
        self.setup(new_config)
        return True


def peaks_or_steady(config):
    """ "peaks": the best report of all at its first epoch, then the worst; "steady": the
    same middling loss throughout."""
    losses = [0.1, 5.0] if config["shape"] == "peaks" else [1.0, 1.0]
    for epoch, loss in enumerate(losses, start=1):
        rung.report(epoch=epoch, loss=loss)


def says_where_it_runs(config):
    """Whether the trial runs in a Ray worker."""
    import ray

    return {"loss": config["x"], "in_ray": ray.is_initialized()}

"""Define-by-run: an Optuna objective runs unchanged, asking the driver for each parameter;
each trial's space is what it asked for, recorded in the log, and replayed by a resume."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rung
import rung.objective
from rung.errors import ConfigError
from rung.events import TrialStatus
from tests.resume.crash import run_until_crash


def conditional(trial):
    """An architecture whose layer count decides the widths it asks for."""
    layers = trial.suggest_int("layers", 1, 3)
    widths = [trial.suggest_int(f"width_{i}", 16, 256, log=True) for i in range(layers)]
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    act = trial.suggest_categorical("act", ["relu", "tanh"])
    penalty = sum((math.log2(w) - 6) ** 2 for w in widths) / layers
    return (math.log10(lr) + 3) ** 2 + penalty + (act == "tanh") + 0.1 * layers


@pytest.mark.parametrize("executor", ["inline", "process"])
def test_an_objective_asks_for_its_parameters_and_each_trial_records_its_space(executor, tmp_path):
    results = rung.run(
        conditional,
        metric="value",
        mode="min",
        num_trials=12,
        executor=executor,
        storage_path=tmp_path,
        name="exp",
        seed=0,
        verbose=0,
    )
    assert len(results.trials) == 12
    for trial in results.trials:
        layers = trial.config["layers"]
        expected = {"layers", "lr", "act", *(f"width_{i}" for i in range(layers))}
        assert set(trial.config) == expected
        assert list(trial.asked) == ["layers", *(f"width_{i}" for i in range(layers)), "lr", "act"]
        assert trial.asked["lr"] == "loguniform(1e-05, 0.1)"
        assert trial.last_result["value"] == pytest.approx(conditional(Replay(trial.config)))
    loaded = rung.load(tmp_path / "exp")
    assert [t.config for t in loaded.trials] == [t.config for t in results.trials]
    assert [t.asked for t in loaded.trials] == [t.asked for t in results.trials]


class Replay:
    """A trial whose answers are a recorded configuration."""

    def __init__(self, config):
        self.config = config

    def suggest_int(self, name, low, high, log=False):
        return self.config[name]

    suggest_float = suggest_int

    def suggest_categorical(self, name, choices):
        return self.config[name]


def test_an_optuna_objective_with_pruning_runs_unchanged():
    optuna = pytest.importorskip("optuna", reason="this test runs an Optuna objective as it is")

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", -5, 5)
        for step in range(9):
            value = (x - 1) ** 2 + 1 / (step + 1)
            trial.report(value, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return (x - 1) ** 2

    results = rung.run(
        objective,
        metric="value",
        mode="min",
        scheduler={"name": "asha", "max_t": 10, "grace_period": 1},
        num_trials=20,
        executor="inline",
        seed=0,
        verbose=0,
    )
    statuses = [t.status for t in results.trials]
    assert statuses.count(TrialStatus.STOPPED) >= 5, "ASHA pruned through should_prune"
    assert all(t.status is not TrialStatus.ERROR for t in results.trials)
    finished = [t for t in results.trials if t.status is TrialStatus.TERMINATED]
    best = min(finished, key=lambda t: (t.config["x"] - 1) ** 2)
    assert best.last_result["value"] == pytest.approx((best.config["x"] - 1) ** 2)


def test_a_parameter_asked_again_gets_its_answer_and_from_another_domain_fails_the_trial():
    def objective(trial):
        first = trial.suggest_float("x", 0, 1)
        assert trial.suggest_float("x", 0, 1) == first
        if trial.number == 1:
            trial.suggest_float("x", 0, 2)
        return first

    results = rung.run(
        objective, metric="value", mode="min", num_trials=3, executor="inline", verbose=0
    )
    failed = [t for t in results.trials if t.status is TrialStatus.ERROR]
    assert [t.trial_id for t in failed] == ["00001"]
    assert "asked for 'x' from uniform(0, 2) after asking for it from uniform(0, 1)" in (
        failed[0].error
    )
    assert sum(t.status is TrialStatus.TERMINATED for t in results.trials) == 2


def test_several_objectives_are_returned_as_a_tuple():
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        return x, (1 - x) ** 2

    results = rung.run(
        objective,
        metric=["a", "b"],
        mode=["min", "min"],
        num_trials=10,
        executor="inline",
        verbose=0,
        seed=0,
    )
    assert len(results.front()) >= 3


def test_per_parameter_tpe_beats_random_search_on_a_bowl():
    def bowl(trial):
        return sum((trial.suggest_float(f"x{i}", -1, 1) - 0.3) ** 2 for i in range(4))

    bests = {}
    for searcher in ("tpe", "random"):
        bests[searcher] = np.median(
            [
                rung.run(
                    bowl,
                    metric="value",
                    mode="min",
                    searcher=searcher,
                    num_trials=80,
                    executor="inline",
                    seed=seed,
                    verbose=0,
                ).best_result["value"]
                for seed in range(3)
            ]
        )
    assert bests["tpe"] < 0.5 * bests["random"]


def run_conditional(tmp_path, name, resume=False):
    return rung.run(
        conditional,
        metric="value",
        mode="min",
        num_trials=8,
        executor="inline",
        storage_path=tmp_path,
        name=name,
        seed=1,
        verbose=0,
        resume=resume,
    )


def test_a_run_killed_after_any_commit_resumes_with_every_answer_kept(tmp_path, monkeypatch):
    crashed, commits = run_until_crash(
        monkeypatch, None, lambda: run_conditional(tmp_path, "whole")
    )
    assert not crashed and commits > 8
    for crash_at in range(1, commits + 1, 3):
        name = f"killed-{crash_at}"
        crashed, _ = run_until_crash(
            monkeypatch, crash_at, lambda name=name: run_conditional(tmp_path, name)
        )
        assert crashed
        before = {t.trial_id: dict(t.config) for t in rung.load(tmp_path / name).trials}
        resumed = run_conditional(tmp_path, name, resume=True)
        assert len(resumed.trials) == 8
        for trial in resumed.trials:
            assert before.get(trial.trial_id, {}).items() <= trial.config.items(), crash_at
            assert trial.status is TrialStatus.TERMINATED


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"executor": "simulated"}, "cannot answer: use executor='process' or 'inline'"),
        ({"warm_start": [({"x": 1}, {"value": 1})]}, "warm_start needs a space"),
        ({"searcher": rung.searchers.TPESearch()}, "takes a searcher by name"),
    ],
)
def test_what_define_by_run_cannot_do_is_refused_by_name(kwargs, message, tmp_path):
    kwargs.setdefault("executor", "inline")
    with pytest.raises(ConfigError, match=message):
        rung.run(conditional, metric="value", mode="min", num_trials=2, verbose=0, **kwargs)


def test_a_tuner_needs_a_space():
    with pytest.raises(ConfigError, match=r"rung\.Tuner needs a space"):
        rung.Tuner(None, metric="value", mode="min", num_trials=2)


@given(
    st.lists(
        st.frozensets(st.sampled_from([("a", "d"), ("b", "d"), ("c", "d"), ("e", "d")])),
        max_size=8,
    )
)
def test_groups_partition_the_parameters_and_no_trial_cuts_across_one(asked_sets):
    from rung.searchers.define_by_run import groups_of

    groups = groups_of(asked_sets)
    seen = frozenset().union(*asked_sets) if asked_sets else frozenset()
    assert sorted(k for g in groups for k in g) == sorted(seen), "a partition of what was asked"
    for group in groups:
        assert all(group <= s or not group & s for s in asked_sets), "whole or not at all"
    for i, one in enumerate(groups):  # the finest: two groups always asked apart somewhere
        for other in groups[i + 1 :]:
            assert any(bool(one & s) != bool(other & s) for s in asked_sets)


def test_parameters_always_asked_together_are_searched_jointly():
    from rung.searchers.define_by_run import DefineByRunSearch

    searcher = DefineByRunSearch().setup(
        rung.Space({}), rung.objective.Objective("value"), np.random.default_rng(0)
    )
    for i in range(4):
        trial_id = f"{i:05d}"
        searcher.suggest(trial_id)
        optimizer = searcher.suggest_parameter(trial_id, "opt", rung.choice(["sgd", "adam"]))
        searcher.suggest_parameter(trial_id, "lr", rung.loguniform(1e-4, 1e-1))
        if optimizer == "sgd":
            searcher.suggest_parameter(trial_id, "momentum", rung.uniform(0, 1))
        searcher.on_trial_complete(trial_id, {"value": float(i)})
    names = {frozenset(name for name, _ in group) for group in searcher._groups}
    assert frozenset({"opt", "lr"}) in names


def test_given_points_answer_the_first_trials_as_enqueue_trial_does(tmp_path):
    points = [{"layers": 2, "width_0": 64, "width_1": 64, "lr": 1e-3, "act": "relu"}, {"layers": 1}]

    def run(num_trials, resume=False):
        return rung.run(
            conditional,
            metric="value",
            mode="min",
            num_trials=num_trials,
            points_to_evaluate=points,
            executor="inline",
            storage_path=tmp_path,
            name="given",
            seed=0,
            verbose=0,
            resume=resume,
        )

    run(1)
    results = run(4, resume=True)  # the second point is the next trial's, after a resume
    first, second = results.trials[0], results.trials[1]
    assert first.config == points[0]
    assert second.config["layers"] == 1 and set(second.config) == {"layers", "width_0", "lr", "act"}
    assert len({t.config["lr"] for t in results.trials}) == 4, "the rest are the searcher's"


def test_a_given_value_outside_what_the_objective_asks_fails_its_trial_by_name():
    results = rung.run(
        conditional,
        metric="value",
        mode="min",
        num_trials=2,
        points_to_evaluate=[{"layers": 9}],
        executor="inline",
        verbose=0,
    )
    failed = results.trials[0]
    assert failed.status is TrialStatus.ERROR
    assert "gives layers=9 to trial 00000" in failed.error and "randint(1, 3)" in failed.error
    assert results.trials[1].status is TrialStatus.TERMINATED


def test_a_numpy_value_is_recorded_and_a_string_fails_the_trial_by_name():
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        trial.set_user_attr("size", np.int64(7))
        return np.float32(x) if trial.number == 0 else "bad"

    results = rung.run(
        objective, metric="value", mode="min", num_trials=2, executor="inline", verbose=0
    )
    good, bad = results.trials
    assert good.last_result["value"] == pytest.approx(good.config["x"], rel=1e-6)
    assert good.last_result["size"] == 7
    assert bad.status is TrialStatus.ERROR and "returned 'bad', not a number" in bad.error


def test_a_trainable_written_for_a_configuration_without_a_space_is_told_why():
    def train(config):
        return {"value": config["x"] ** 2}

    results = rung.run(
        train, metric="value", mode="min", num_trials=1, executor="inline", verbose=0
    )
    error = results.trials[0].error
    assert "read 'x' of what it was handed, and this run has no space" in error
    assert "give rung.run a space" in error

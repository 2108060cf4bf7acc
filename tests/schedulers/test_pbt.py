import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rung
from rung.pbt_schedule import fit_step_schedule, parameter_schedule
from rung.schedulers import PopulationBasedTraining
from rung.trial import Action, TrialStatus
from tests import trainables
from tests.schedulers.helpers import Feeder

MUTATIONS = {"lr": rung.loguniform(1e-4, 1e-1), "batch": [16, 32, 64, 128]}


def make_pbt(**kwargs):
    kwargs.setdefault("perturbation_interval", 2)
    kwargs.setdefault("hyperparam_mutations", MUTATIONS)
    return PopulationBasedTraining(**kwargs)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(-50, 50, allow_nan=False), min_size=2, max_size=30),
    st.sampled_from(["min", "max"]),
    st.sampled_from([0.1, 0.25, 0.5]),
)
def test_the_bottom_quantile_exploits_the_top_and_never_itself(scores, mode, fraction):
    feeder = Feeder(make_pbt(quantile_fraction=fraction), mode, num_trials=len(scores))
    for i, score in enumerate(scores):
        feeder.add(f"t{i}", {"lr": 0.01, "batch": 32})
        feeder.report(f"t{i}", 1, score)
    lower, upper = feeder.scheduler.quantiles()
    assert not set(lower) & set(upper)
    assert 1 <= len(lower) == len(upper) <= len(scores) // 2
    ranked = sorted(range(len(scores)), key=lambda i: scores[i], reverse=mode == "max")
    worst = {f"t{i}" for i in ranked[len(ranked) - len(lower) :]}
    best = {f"t{i}" for i in ranked[: len(upper)]}
    # Ties may order differently; the scores on each side must agree.
    assert sorted(scores[int(t[1:])] for t in lower) == sorted(scores[int(t[1:])] for t in worst)
    assert sorted(scores[int(t[1:])] for t in upper) == sorted(scores[int(t[1:])] for t in best)
    for trial_id in lower:
        decision = feeder.scheduler.on_trial_result(
            feeder.trials[trial_id], {"loss": scores[int(trial_id[1:])], "training_iteration": 2}
        )
        assert decision.action is Action.EXPLOIT
        assert decision.donor in upper and decision.donor != trial_id


def test_explore_perturbs_within_bounds_and_moves_along_lists():
    feeder = Feeder(make_pbt(resample_probability=0.0), num_trials=4)
    pbt = feeder.scheduler
    for _ in range(50):
        new = pbt.explore({"lr": 0.1, "batch": 128})
        assert new["lr"] in (0.1, pytest.approx(0.08)), "x1.2 clipped to the upper bound, or x0.8"
        assert new["batch"] in (64, 128)
        low = pbt.explore({"lr": 1e-4, "batch": 16})
        assert low["lr"] == pytest.approx(1.2e-4) or low["lr"] == 1e-4
        assert low["batch"] in (16, 32)


def test_explore_resamples_from_the_domain():
    pbt = Feeder(make_pbt(resample_probability=1.0), num_trials=4).scheduler
    values = {pbt.explore({"lr": 0.01, "batch": 16})["lr"] for _ in range(20)}
    assert len(values) == 20 and all(1e-4 <= v <= 1e-1 for v in values)


def test_nested_keys_and_missing_keys():
    pbt = Feeder(make_pbt(hyperparam_mutations={"opt/lr": [0.1, 0.2]}), num_trials=2).scheduler
    assert pbt.explore({"opt": {"lr": 0.1}})["opt"]["lr"] in (0.1, 0.2)
    with pytest.raises(rung.ConfigError, match="'opt/lr' is not in the config"):
        pbt.explore({"opt": {}})


def test_settings_are_checked():
    with pytest.raises(rung.ConfigError, match="needs hyperparam_mutations"):
        PopulationBasedTraining()
    with pytest.raises(rung.ConfigError, match=r"quantile_fraction=0\.7"):
        make_pbt(quantile_fraction=0.7)
    with pytest.raises(rung.ConfigError, match="needs num_trials"):
        Feeder(make_pbt())


def quadratic_lr(config, iteration):
    """Simulated training where a large lr helps early and a small one late."""
    if iteration > 24:
        return None
    target = 0.1 if iteration <= 8 else 0.01
    loss = abs(np.log10(config["lr"]) - np.log10(target)) + 1.0 / iteration
    return {"loss": loss, "epoch": iteration}, 1.0


@pytest.mark.parametrize("workers", [8, 3])
def test_pbt_on_the_simulated_executor_exploits_and_time_shares(tmp_path, workers):
    pbt = PopulationBasedTraining(
        perturbation_interval=4,
        hyperparam_mutations={"lr": rung.loguniform(1e-3, 1.0)},
        resample_probability=0.2,
    )
    results = rung.run(
        quadratic_lr,
        {"lr": rung.loguniform(1e-3, 1.0)},
        metric="loss",
        mode="min",
        scheduler=pbt,
        num_trials=8,
        executor=rung.executors.SimulatedExecutor(workers),
        seed=1,
        verbose=0,
        storage_path=tmp_path,
    )
    assert all(t.status is TrialStatus.TERMINATED for t in results.trials)
    assert all(t.last_result["epoch"] == 24 for t in results.trials)
    exploited = [t for t in results.trials if t.lineage]
    assert exploited, "some trial copied a better one"
    for trial in exploited:
        for step in trial.lineage:
            assert step["donor"] != trial.trial_id
    schedule = parameter_schedule(results, "lr")
    assert schedule[0][0] == 0 and len(schedule) >= 2
    fitted = fit_step_schedule(schedule)
    assert fitted.milestones == tuple(i for i, _ in schedule[1:])
    for iteration, value in schedule:
        assert fitted.value_at(iteration) == pytest.approx(value)
    assert fitted.lr_lambda(0) == 1.0
    if workers < 8:
        # Time sharing: no trial ran far ahead of the population before others started.
        first_results = sorted(t.results[0]["experiment_time_s"] for t in results.trials)
        assert first_results[-1] < 24


def test_fit_step_schedule_gives_milestones_and_factors():
    fitted = fit_step_schedule([(0, 0.1), (10, 0.05), (20, 0.005)])
    assert fitted.initial == 0.1
    assert fitted.milestones == (10, 20)
    assert fitted.factors == pytest.approx((0.5, 0.1))
    assert fitted.gamma == pytest.approx((0.5 * 0.1) ** 0.5)
    assert fitted.value_at(15) == pytest.approx(0.05)


def test_lineage_follows_the_copied_states_as_they_really_were_trained(tmp_path):
    """Each trial's state records the learning rate of every iteration it was trained
    for; the best trial's ``pbt_schedule`` must give back exactly that history, iteration
    counts must be the state's age after every exploit, and max_iterations must hold."""
    pbt = PopulationBasedTraining(
        perturbation_interval=3,
        hyperparam_mutations={"lr": rung.loguniform(1e-3, 1.0)},
        resample_probability=0.5,
    )
    results = rung.run(
        trainables.trains_with_history,
        {"lr": rung.loguniform(1e-3, 1.0)},
        metric="loss",
        mode="min",
        scheduler=pbt,
        num_trials=6,
        max_iterations=15,
        executor="inline",
        seed=4,
        verbose=0,
        storage_path=tmp_path,
        name="pbt",
    )
    assert sum(len(t.lineage) for t in results.trials) >= 3, "states were copied"
    for trial in results.trials:
        assert all(r["training_iteration"] == r["age"] for r in trial.results)
        assert max(r["age"] for r in trial.results) <= 15, "max_iterations holds"
        assert trial.iterations == trial.last_result["age"]
    finished = [t for t in results.trials if t.status is TrialStatus.TERMINATED]
    assert finished and all(t.iterations == 15 for t in finished)
    for trial in results.trials:
        history = trial.last_result["history"]
        schedule = parameter_schedule(results, "lr", trial)
        trained = [
            next(value for start, value in reversed(schedule) if start < iteration)
            for iteration in range(1, len(history) + 1)
        ]
        assert trained == history, f"trial {trial.trial_id}'s lineage"
    best = results.best_trial
    history = best.last_result["history"]
    changes = [i for i in range(1, len(history)) if history[i] != history[i - 1]]
    assert fit_step_schedule(parameter_schedule(results, "lr")).milestones == tuple(changes)
    assert parameter_schedule(rung.load(tmp_path / "pbt"), "lr") == parameter_schedule(
        results, "lr"
    )

"""The benchmark problems load their data and behave as simulated trainables."""

import numpy as np
import pytest

import rung
from benchmarks.problems.digits_table import TABLE, DigitsTable
from benchmarks.problems.lcbench import DEFAULT_PATH, EPOCHS, LCBench

needs_lcbench = pytest.mark.skipif(
    not (DEFAULT_PATH / "lcbench" / "model.onnx").is_file(),
    reason="the LCBench surrogate is missing from benchmarks/data/yahpo",
)


@needs_lcbench
def test_lcbench_gives_52_epochs_with_positive_costs():
    problem = LCBench("7593")
    config = rung.Space(problem.space).sample(np.random.default_rng(0))
    steps = [problem(config, i) for i in range(1, EPOCHS + 2)]
    assert steps[-1] is None
    accuracies = [metrics["val_accuracy"] for metrics, _ in steps[:-1]]
    costs = [cost for _, cost in steps[:-1]]
    assert all(0 <= a <= 100 for a in accuracies)
    assert all(c >= 0 for c in costs) and sum(costs) > 0
    assert problem.final(config) == accuracies[-1]


@needs_lcbench
def test_lcbench_refuses_unknown_tasks_and_paths(tmp_path):
    with pytest.raises(ValueError, match="unknown LCBench task"):
        LCBench("1")
    with pytest.raises(FileNotFoundError):
        LCBench("7593", tmp_path)


def test_the_recorded_digits_table_replays_real_curves():
    problem = DigitsTable(TABLE)
    assert len(problem.val_acc) >= 100 and problem.max_t >= 20
    assert np.all((problem.val_acc >= 0) & (problem.val_acc <= 1))
    assert np.all(problem.epoch_seconds > 0)
    metrics, cost = problem({"row": 3}, 2)
    assert metrics["val_acc"] == problem.val_acc[3, 1] and cost == problem.epoch_seconds[3, 1]
    assert problem({"row": 3}, problem.max_t + 1) is None


def test_the_scikit_learn_problems_give_continuous_losses():
    from benchmarks.problems.sklearn_cv import PROBLEMS

    rng = np.random.default_rng(0)
    for problem in PROBLEMS.values():
        space = rung.Space(problem.space)
        losses = {problem.loss(space.sample(rng)) for _ in range(3)}
        assert all(np.isfinite(loss) and loss > 0 for loss in losses), problem.name
        assert len(losses) == 3, problem.name  # distinct configurations, distinct losses


MINIMIZERS = {
    "levy6": [1.0] * 6,
    "rastrigin4": [0.0] * 4,
    "schwefel3": [420.968746] * 3,
    "styblinski_tang5": [-2.903534] * 5,
    "michalewicz5": [2.202906, 1.570796, 1.284992, 1.923058, 1.720470],
    "ellipsoid8": [1.0] * 8,
    "rosenbrock5": [1.0] * 5,
    "ackley10": [0.0] * 10,
}


@pytest.mark.parametrize("name", list(MINIMIZERS))
def test_each_test_function_reaches_its_stated_optimum_and_no_draw_beats_it(name):
    from benchmarks.problems.synthetic import PROBLEMS

    problem = PROBLEMS[name]
    at_minimum = problem.loss({f"x{i}": v for i, v in enumerate(MINIMIZERS[name])})
    assert at_minimum == pytest.approx(problem.optimum, abs=1e-6)
    space = rung.Space(problem.space)
    rng = np.random.default_rng(0)
    assert min(problem.loss(space.sample(rng)) for _ in range(2000)) > problem.optimum

"""RungSearchCV against scikit-learn's RandomizedSearchCV and Optuna's OptunaSearchCV.

Two data sets that ship with scikit-learn: digits (an RBF SVM, accuracy) and diabetes (an
RBF SVR, negative mean squared error). Each search gets the same budget (``--trials``
configurations, 5-fold cross-validation, one job) on 75% of the data; reported: the best
cross-validated score, the refitted best model's score on the held-out 25%, and the wall
time of ``fit``, as medians over seeds. RungSearchCV with ASHA stops poor configurations
after their first folds, so it spends fewer fits on the same number of configurations.

    python benchmarks/search_cv.py --out benchmarks/results
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sklearn.datasets import load_diabetes, load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC, SVR  # noqa: E402

import rung  # noqa: E402
from benchmarks.parallel import run_jobs  # noqa: E402

# name: (loader, estimator, scoring, {param: (low, high)}), every parameter log-uniform.
TASKS = {
    "digits_svc": (
        load_digits,
        lambda: SVC(),
        "accuracy",
        {"C": (1e-2, 1e3), "gamma": (1e-5, 1e-1)},
    ),
    "diabetes_svr": (
        load_diabetes,
        lambda: make_pipeline(StandardScaler(), SVR()),
        "neg_mean_squared_error",
        {"svr__C": (1e-1, 1e4), "svr__gamma": (1e-4, 1.0), "svr__epsilon": (1e-2, 1e2)},
    ),
}
SEARCHES = ["sklearn-random", "optuna-tpe", "rung-random", "rung-tpe", "rung-gp", "rung-tpe-asha"]


def make_search(name: str, task: str, trials: int, seed: int):
    _, estimator, scoring, params = TASKS[task]
    common = {"cv": 5, "scoring": scoring}
    if name == "sklearn-random":
        from scipy.stats import loguniform
        from sklearn.model_selection import RandomizedSearchCV

        space = {k: loguniform(low, high) for k, (low, high) in params.items()}
        return RandomizedSearchCV(estimator(), space, n_iter=trials, random_state=seed, **common)
    if name == "optuna-tpe":
        import optuna
        from optuna_integration import OptunaSearchCV

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        space = {
            k: optuna.distributions.FloatDistribution(low, high, log=True)
            for k, (low, high) in params.items()
        }
        return OptunaSearchCV(
            estimator(), space, n_trials=trials, random_state=seed, verbose=0, **common
        )
    from rung.sklearn import RungSearchCV

    space = {k: rung.loguniform(low, high) for k, (low, high) in params.items()}
    searcher, _, scheduler = name.removeprefix("rung-").partition("-")
    return RungSearchCV(
        estimator(),
        space,
        num_trials=trials,
        searcher=searcher,
        scheduler=scheduler or None,
        random_state=seed,
        **common,
    )


def one_run(job: tuple) -> dict:
    task, name, trials, seed = job
    loader = TASKS[task][0]
    X, y = loader(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    search = make_search(name, task, trials, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna's experimental-feature warning, say
        start = time.perf_counter()
        search.fit(X_train, y_train)
        wall = time.perf_counter() - start
    fits = trials * 5
    if name.startswith("rung"):
        fits = int(np.sum(search.cv_results_["n_resources"]))
    return {
        "task": task,
        "search": name,
        "seed": seed,
        "cv_score": float(search.best_score_),
        "test_score": float(search.score(X_test, y_test)),
        "wall_s": wall,
        "fits": fits,
    }


def summarize(runs: list[dict]) -> list[dict]:
    rows = []
    for task in TASKS:
        for name in SEARCHES:
            mine = [r for r in runs if r["task"] == task and r["search"] == name]
            if not mine:
                continue
            rows.append(
                {
                    "task": task,
                    "search": name,
                    "cv_score": statistics.median(r["cv_score"] for r in mine),
                    "test_score": statistics.median(r["test_score"] for r in mine),
                    "wall_s": statistics.median(r["wall_s"] for r in mine),
                    "fits": statistics.median(r["fits"] for r in mine),
                    "seeds": len(mine),
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    jobs = [
        (task, name, args.trials, seed)
        for seed in range(args.seeds)
        for task in TASKS
        for name in SEARCHES
    ]
    runs = run_jobs(one_run, jobs, args.processes, every=10)
    rows = summarize(runs)
    print(f"{'task':14} {'search':15} {'cv score':>10} {'test score':>11} {'fit s':>7} {'fits':>6}")
    for row in rows:
        print(
            f"{row['task']:14} {row['search']:15} {row['cv_score']:10.4f} "
            f"{row['test_score']:11.4f} {row['wall_s']:7.1f} {row['fits']:6.0f}"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "search_cv.json"
    out.write_text(json.dumps({"trials": args.trials, "rows": rows, "runs": runs}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

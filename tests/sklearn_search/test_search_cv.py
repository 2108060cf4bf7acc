"""RungSearchCV: scikit-learn's search API over a rung space; its estimator checks, its
cv_results_, early stopping across folds and across a resource, refit and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

import rung
from rung.schedulers import SCHEDULERS
from rung.sklearn import RungSearchCV

EXPECTED_FAILURES = {
    "check_dtype_object": "the fit errors of every configuration are raised together, as one "
    "ValueError that names them (as GridSearchCV's 'All the fits failed' does), not as the "
    "estimator's own TypeError",
}


@pytest.mark.parametrize(
    "search",
    [
        RungSearchCV(LogisticRegression(), {"C": rung.loguniform(0.1, 10)}, num_trials=2, cv=2),
        RungSearchCV(Ridge(), {"alpha": rung.loguniform(0.1, 10)}, num_trials=2, cv=2),
    ],
    ids=["classifier", "regressor"],
)
def test_scikit_learns_estimator_checks_pass(search):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rung.RungWarning)  # checks that feed bad data
        results = check_estimator(
            search.set_params(random_state=0),
            expected_failed_checks=EXPECTED_FAILURES,
            on_fail=None,
            on_skip=None,
        )
    failed = [
        (r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"
    ]
    assert not failed
    assert len(results) > 40


def cancer():
    return load_breast_cancer(return_X_y=True)


def test_fit_finds_refits_and_reports_in_scikit_learns_format():
    X, y = cancer()
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    search = RungSearchCV(
        pipeline,
        {"logisticregression__C": rung.loguniform(1e-4, 1e2)},
        num_trials=8,
        cv=3,
        searcher="tpe",
        random_state=0,
    ).fit(X, y)
    results = search.cv_results_
    assert len(results["params"]) == 8 and search.n_splits_ == 3
    for key in ["mean_test_score", "std_test_score", "rank_test_score", "split2_test_score",
                "mean_fit_time", "param_logisticregression__C"]:  # fmt: skip
        assert len(results[key]) == 8, key
    best = search.best_index_
    assert results["rank_test_score"][best] == 1
    assert search.best_params_ == results["params"][best]
    assert search.best_score_ == pytest.approx(
        np.mean([results[f"split{k}_test_score"][best] for k in range(3)])
    )
    manual = cross_val_score(clone(pipeline).set_params(**search.best_params_), X, y, cv=3)
    assert search.best_score_ == pytest.approx(manual.mean())
    assert (
        search.best_estimator_.get_params()["logisticregression__C"]
        == search.best_params_["logisticregression__C"]
    )
    assert search.predict(X).shape == y.shape and search.predict_proba(X).shape == (len(y), 2)
    assert search.score(X, y) > 0.95
    assert list(search.classes_) == [0, 1]


def test_asha_stops_poor_configurations_after_their_first_folds():
    X, y = cancer()
    search = RungSearchCV(
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        {"logisticregression__C": rung.loguniform(1e-5, 1e2)},
        num_trials=12,
        cv=5,
        scheduler="asha",
        random_state=1,
    ).fit(X, y)
    resources = search.cv_results_["n_resources"]
    assert set(resources) >= {1, 5} and (resources < 5).sum() >= 6, "most stopped early"
    stopped = resources < 5
    assert np.isnan(search.cv_results_["split4_test_score"][stopped]).all()
    ranks = search.cv_results_["rank_test_score"]
    assert ranks[~stopped].max() < ranks[stopped].min(), "fully evaluated ones rank first"
    assert search.cv_results_["n_resources"][search.best_index_] == 5


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_every_budgeted_scheduler_gets_the_folds_as_its_budget(name):
    budgeted = SCHEDULERS[name].takes_max_t()
    assert budgeted == (name not in ("fifo", "median", "pbt")), "the scheduler says it"
    search = RungSearchCV(LogisticRegression(), {"C": rung.loguniform(1e-3, 1e2)}, scheduler=name)
    assert search._scheduler(5) == ({"name": name, "max_t": 5} if budgeted else name)
    given = RungSearchCV(LogisticRegression(), {}, scheduler={"name": name, "max_t": 3})
    assert given._scheduler(5)["max_t"] == 3, "a max_t the user gave is kept"


def test_a_resource_such_as_boosting_rounds_grows_across_levels():
    X, y = cancer()
    search = RungSearchCV(
        GradientBoostingClassifier(random_state=0),
        {"learning_rate": rung.loguniform(1e-3, 1.0), "max_depth": rung.randint(1, 4)},
        resource="n_estimators",
        min_resource=3,
        max_resource=27,
        num_trials=9,
        cv=3,
        scheduler="asha",
        random_state=0,
    ).fit(X, y)
    assert set(search.cv_results_["n_resources"]) <= {3, 9, 27}
    assert 3 in set(search.cv_results_["n_resources"]), "some stopped at the first level"
    assert search.best_estimator_.n_estimators == 27
    assert "n_estimators" not in search.best_params_


def test_bad_settings_and_failing_fits_say_what_and_where():
    X, y = cancer()
    with pytest.raises(rung.ConfigError, match="needs max_resource"):
        RungSearchCV(
            GradientBoostingClassifier(), {"max_depth": rung.randint(1, 3)}, resource="n_estimators"
        ).fit(X, y)
    with pytest.raises(rung.ConfigError, match="leave it out of param_space"):
        RungSearchCV(
            GradientBoostingClassifier(),
            {"n_estimators": rung.randint(1, 3)},
            resource="n_estimators",
            max_resource=9,
        ).fit(X, y)
    bad = RungSearchCV(LogisticRegression(), {"C": rung.uniform(-2, -1)}, num_trials=2, cv=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rung.RungWarning)
        with pytest.raises(ValueError, match=r"The fits failed with:\n.*C"):
            bad.fit(X, y)
    with pytest.raises(rung.TrialError, match="C"):
        bad.set_params(error_score="raise").fit(X, y)


def test_regression_with_a_scorer_and_parallel_workers():
    X, y = load_diabetes(return_X_y=True)
    search = RungSearchCV(
        Ridge(), {"alpha": rung.loguniform(1e-4, 1e2)}, scoring="neg_mean_squared_error",
        num_trials=6, cv=3, n_jobs=2, random_state=0,
    ).fit(X, y)  # fmt: skip
    assert search.best_score_ < 0 and len(search.cv_results_["params"]) == 6
    assert search.score(X, y) == pytest.approx(-np.mean((search.predict(X) - y) ** 2))


def test_several_scorers_are_reported_and_refit_names_the_one_optimized():
    X, y = cancer()
    search = RungSearchCV(
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        {"logisticregression__C": rung.loguniform(1e-4, 1e2)},
        scoring={"acc": "accuracy", "auc": "roc_auc"},
        refit="auc",
        num_trials=6,
        cv=3,
        scheduler="asha",
        random_state=0,
    ).fit(X, y)
    results = search.cv_results_
    for name in ("acc", "auc"):
        for key in (
            f"mean_test_{name}",
            f"std_test_{name}",
            f"rank_test_{name}",
            f"split2_test_{name}",
        ):
            assert len(results[key]) == 6, key
    assert "mean_test_score" not in results
    assert search.best_index_ == int(np.argmin(results["rank_test_auc"]))
    assert search.best_score_ == results["mean_test_auc"][search.best_index_]
    assert search.multimetric_ and 0.9 < search.score(X, y) <= 1.0
    with pytest.raises(rung.ConfigError, match="refit must name the one to optimize"):
        RungSearchCV(
            LogisticRegression(), {"C": rung.loguniform(0.1, 10)}, scoring=["accuracy", "f1"]
        ).fit(X, y)


def test_randomized_search_cvs_arguments_and_distributions_work_as_there():
    from scipy import stats

    X, y = cancer()
    search = RungSearchCV(
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        param_distributions={
            "logisticregression__C": stats.loguniform(1e-2, 1e2),
            "logisticregression__tol": stats.uniform(1e-4, 1e-3),
            "logisticregression__max_iter": stats.randint(200, 400),
            "logisticregression__fit_intercept": [True, False],
        },
        n_iter=6,
        cv=2,
        random_state=0,
    ).fit(X, y)
    assert len(search.results_.trials) == 6
    params = [t.config for t in search.results_.trials]
    assert all(0.01 <= p["logisticregression__C"] <= 100 for p in params)
    assert all(1e-4 <= p["logisticregression__tol"] <= 1.1e-3 for p in params)
    assert all(200 <= p["logisticregression__max_iter"] <= 399 for p in params)
    assert {p["logisticregression__fit_intercept"] for p in params} <= {True, False}
    assert not np.isnan(search.best_score_)
    with pytest.raises(rung.ConfigError, match=r"scipy.stats.norm\(...\) is not a distribution"):
        RungSearchCV(LogisticRegression(), {"C": stats.norm(1, 0.1)}, n_iter=2, cv=2).fit(X, y)
    with pytest.raises(rung.ConfigError, match="give num_trials or n_iter"):
        RungSearchCV(LogisticRegression(), {"C": [1.0]}, n_iter=2, num_trials=2).fit(X, y)

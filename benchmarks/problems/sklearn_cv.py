"""Real tuning problems: scikit-learn models on its bundled data sets, 3-fold cross-validated.

Each loss is continuous in the model's predictions, so that searchers can be told apart: one
minus the cross-validated R^2 for the regressions (diabetes: kernel ridge, SVR, a decision
tree, a random forest), the cross-validated log-loss for the classifiers (breast cancer: SGD
with an elastic net; wine: logistic regression on polynomial features). Classification error
on data sets this small moves in steps of 1/569 or 1/1797, and every searcher, random search
included, ends on the same few steps.
The optimum is unknown, so the quality benchmark reports the loss itself rather than a regret.
"""

from __future__ import annotations

import warnings
from functools import cache
from typing import Any

import numpy as np

import rung
from benchmarks.problems.synthetic import Problem


@cache
def _data(name: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets
    from sklearn.preprocessing import StandardScaler

    loader = {
        "breast_cancer": datasets.load_breast_cancer,
        "diabetes": datasets.load_diabetes,
        "wine": datasets.load_wine,
    }
    x, y = loader[name](return_X_y=True)
    return StandardScaler().fit_transform(x), y


def _cv_loss(model, data: str, scoring: str) -> float:
    """Minus the mean 3-fold score, plus one for R^2 (so 0 is a perfect model)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import KFold, cross_val_score

    x, y = _data(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(
            model, x, y, cv=KFold(3, shuffle=True, random_state=0), scoring=scoring
        )
    return float((1.0 if scoring == "r2" else 0.0) - scores.mean())


def _kernel_ridge(c: dict[str, Any]) -> float:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.kernel_ridge import KernelRidge
    from sklearn.preprocessing import StandardScaler

    model = TransformedTargetRegressor(
        KernelRidge(alpha=c["alpha"], kernel=c["kernel"], gamma=c["gamma"]),
        transformer=StandardScaler(),
    )
    return _cv_loss(model, "diabetes", "r2")


def _tree(c: dict[str, Any]) -> float:
    from sklearn.tree import DecisionTreeRegressor

    model = DecisionTreeRegressor(
        max_depth=c["max_depth"],
        min_samples_split=c["min_samples_split"],
        min_samples_leaf=c["min_samples_leaf"],
        max_features=c["max_features"],
        criterion=c["criterion"],
        random_state=0,
    )
    return _cv_loss(model, "diabetes", "r2")


def _sgd(c: dict[str, Any]) -> float:
    from sklearn.linear_model import SGDClassifier

    model = SGDClassifier(
        loss="log_loss",
        penalty="elasticnet",
        alpha=c["alpha"],
        l1_ratio=c["l1_ratio"],
        learning_rate=c["learning_rate"],
        eta0=c["eta0"],
        average=c["average"],
        max_iter=50,
        tol=None,
        random_state=0,
    )
    return _cv_loss(model, "breast_cancer", "neg_log_loss")


def _svr(c: dict[str, Any]) -> float:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVR

    model = TransformedTargetRegressor(
        SVR(C=c["C"], epsilon=c["epsilon"], gamma=c["gamma"]), transformer=StandardScaler()
    )
    return _cv_loss(model, "diabetes", "r2")


def _forest(c: dict[str, Any]) -> float:
    from sklearn.ensemble import RandomForestRegressor

    model = RandomForestRegressor(
        n_estimators=c["n_estimators"],
        max_depth=c["max_depth"],
        min_samples_leaf=c["min_samples_leaf"],
        max_features=c["max_features"],
        bootstrap=c["bootstrap"],
        random_state=0,
        n_jobs=1,
    )
    return _cv_loss(model, "diabetes", "r2")


def _logistic(c: dict[str, Any]) -> float:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures

    model = make_pipeline(
        PolynomialFeatures(c["degree"], include_bias=False),
        LogisticRegression(C=c["C"], max_iter=c["max_iter"], tol=c["tol"]),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _cv_loss(model, "wine", "neg_log_loss")


PROBLEMS = {
    "ridge_diabetes": Problem(
        "ridge_diabetes",
        {
            "alpha": rung.loguniform(1e-4, 1e1),
            "gamma": rung.loguniform(1e-4, 1e1),
            "kernel": rung.choice(["rbf", "laplacian"]),
        },
        _kernel_ridge,
        0.0,
    ),
    "tree_diabetes": Problem(
        "tree_diabetes",
        {
            "max_depth": rung.randint(1, 30),
            "min_samples_split": rung.randint(2, 40),
            "min_samples_leaf": rung.lograndint(1, 32),
            "max_features": rung.uniform(0.05, 1.0),
            "criterion": rung.choice(["squared_error", "absolute_error"]),
        },
        _tree,
        0.0,
    ),
    "sgd_cancer_logloss": Problem(
        "sgd_cancer_logloss",
        {
            "alpha": rung.loguniform(1e-7, 1.0),
            "l1_ratio": rung.uniform(0.0, 1.0),
            "learning_rate": rung.choice(["constant", "optimal", "invscaling", "adaptive"]),
            "eta0": rung.loguniform(1e-5, 1.0),
            "average": rung.choice([False, True]),
        },
        _sgd,
        0.0,
    ),
    "svr_diabetes": Problem(
        "svr_diabetes",
        {
            "C": rung.loguniform(1e-2, 1e2),
            "epsilon": rung.loguniform(1e-3, 1.0),
            "gamma": rung.loguniform(1e-4, 1.0),
        },
        _svr,
        0.0,
    ),
    "forest_diabetes": Problem(
        "forest_diabetes",
        {
            "n_estimators": rung.randint(4, 16),
            "max_depth": rung.randint(2, 16),
            "min_samples_leaf": rung.lograndint(1, 64),
            "max_features": rung.uniform(0.1, 1.0),
            "bootstrap": rung.choice([True, False]),
        },
        _forest,
        0.0,
    ),
    "logistic_wine_logloss": Problem(
        "logistic_wine_logloss",
        {
            "C": rung.loguniform(1e-4, 1e2),
            "degree": rung.randint(1, 2),
            "max_iter": rung.lograndint(5, 100),
            "tol": rung.loguniform(1e-6, 1e-1),
        },
        _logistic,
        0.0,
    ),
}

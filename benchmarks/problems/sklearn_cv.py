"""Real tuning problems: scikit-learn models on its bundled data sets, 3-fold cross-validated.

The loss is the cross-validated error (1 - accuracy), minimized. The optimum is unknown, so
the quality benchmark reports the error itself rather than a regret.
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

    loader = {"breast_cancer": datasets.load_breast_cancer, "digits": datasets.load_digits}
    x, y = loader[name](return_X_y=True)
    return StandardScaler().fit_transform(x), y


def _cv_error(model, data: str) -> float:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import KFold, cross_val_score

    x, y = _data(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(model, x, y, cv=KFold(3, shuffle=True, random_state=0))
    return float(1.0 - scores.mean())


def _svc(c: dict[str, Any]) -> float:
    from sklearn.svm import SVC

    return _cv_error(SVC(C=c["C"], gamma=c["gamma"]), "breast_cancer")


def _tree(c: dict[str, Any]) -> float:
    from sklearn.tree import DecisionTreeClassifier

    model = DecisionTreeClassifier(
        max_depth=c["max_depth"],
        min_samples_split=c["min_samples_split"],
        min_samples_leaf=c["min_samples_leaf"],
        max_features=c["max_features"],
        criterion=c["criterion"],
        random_state=0,
    )
    return _cv_error(model, "digits")


def _sgd(c: dict[str, Any]) -> float:
    from sklearn.linear_model import SGDClassifier

    model = SGDClassifier(
        loss=c["loss"],
        penalty="elasticnet",
        alpha=c["alpha"],
        l1_ratio=c["l1_ratio"],
        learning_rate=c["learning_rate"],
        eta0=c["eta0"],
        max_iter=50,
        tol=None,
        random_state=0,
    )
    return _cv_error(model, "breast_cancer")


PROBLEMS = {
    "svc_cancer": Problem(
        "svc_cancer",
        {"C": rung.loguniform(1e-3, 1e3), "gamma": rung.loguniform(1e-5, 1e1)},
        _svc,
        0.0,
    ),
    "tree_digits": Problem(
        "tree_digits",
        {
            "max_depth": rung.randint(1, 30),
            "min_samples_split": rung.randint(2, 40),
            "min_samples_leaf": rung.lograndint(1, 32),
            "max_features": rung.uniform(0.05, 1.0),
            "criterion": rung.choice(["gini", "entropy", "log_loss"]),
        },
        _tree,
        0.0,
    ),
    "sgd_cancer": Problem(
        "sgd_cancer",
        {
            "loss": rung.choice(["hinge", "log_loss", "modified_huber"]),
            "alpha": rung.loguniform(1e-7, 1.0),
            "l1_ratio": rung.uniform(0.0, 1.0),
            "learning_rate": rung.choice(["constant", "optimal", "invscaling", "adaptive"]),
            "eta0": rung.loguniform(1e-5, 1.0),
        },
        _sgd,
        0.0,
    ),
}

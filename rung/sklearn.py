"""``RungSearchCV``: scikit-learn's hyperparameter search API over a rung space, with any
searcher and, optionally, early stopping across folds or a resource such as boosting rounds.

It is a scikit-learn meta-estimator (``fit`` / ``predict`` / ``score``, ``best_params_``,
``best_estimator_``, ``cv_results_`` in scikit-learn's format, ``refit``), so it goes where
``GridSearchCV`` or ``RandomizedSearchCV`` go: pipelines, ``cross_val_score``, ``clone``.
Each configuration is one rung trial; ``fit`` is one ``rung.run``.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

try:
    from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
    from sklearn.metrics import check_scoring
    from sklearn.model_selection import check_cv
    from sklearn.utils import _safe_indexing
    from sklearn.utils.metaestimators import available_if
    from sklearn.utils.validation import check_is_fitted, indexable
except ImportError as error:  # pragma: no cover - scikit-learn is the point of this module
    raise ImportError("rung.sklearn needs scikit-learn: pip install 'rung[sklearn]'") from error

import rung
from rung.errors import ConfigError, RungWarning
from rung.schedulers import SCHEDULERS
from rung.space import Space
from rung.trial import TrialStatus


def _domain(key: str, value: Any) -> Any:
    """A ``RandomizedSearchCV`` parameter as rung's domain: a list is a choice among its
    values; a scipy.stats uniform, loguniform or randint, the same rung domain."""
    if isinstance(value, list):
        return rung.choice(value)
    distribution = getattr(value, "dist", None)
    if distribution is None or not hasattr(value, "support"):
        return value
    low, high = (float(end) for end in value.support())
    name = getattr(distribution, "name", type(distribution).__name__)
    if name == "uniform":
        return rung.uniform(low, high)
    if name in ("loguniform", "reciprocal"):
        return rung.loguniform(low, high)
    if name == "randint":
        return rung.randint(int(low), int(high))
    raise ConfigError(
        f"RungSearchCV: {key}=scipy.stats.{name}(...) is not a distribution rung searches "
        "over; give a rung domain (rung.uniform, loguniform, randint, choice, ...) or a "
        "scipy.stats uniform, loguniform or randint"
    )


def _estimator_has(attribute: str) -> Any:
    """For ``available_if``: the fitted best estimator, or else the template, has it."""

    def check(search: RungSearchCV) -> bool:
        estimator = getattr(search, "best_estimator_", search.estimator)
        getattr(estimator, attribute)
        return True

    return check


class RungSearchCV(MetaEstimatorMixin, BaseEstimator):
    """Cross-validated search over a rung space.

    Args:
        estimator: the scikit-learn estimator (or pipeline) to tune.
        param_space: a rung space of its parameters, e.g. ``{"C": rung.loguniform(1e-3,
            1e3)}`` (``"step__param"`` keys reach into a pipeline). As in
            ``RandomizedSearchCV``, a list is a choice among its values, and a
            ``scipy.stats`` uniform, loguniform or randint is the same rung domain.
        param_distributions: ``RandomizedSearchCV``'s name for ``param_space``.
        scoring: a scorer name or callable (None: the estimator's ``score``), or several as
            a list or dict (then ``refit`` names the one to optimize, and ``cv_results_``
            has ``mean_test_<name>`` for each); greater is better, as in scikit-learn.
        cv: folds, or a splitter, as scikit-learn's ``cv``.
        num_trials: configurations to try (``n_iter``, scikit-learn's name, also works);
            20 when neither is given.
        searcher: any rung searcher (None: random search; ``"tpe"``, ``"gp"``, ...).
        scheduler: how long each configuration is evaluated. None or ``"fifo"``: every
            fold (and the whole resource). ``"asha"``, ``"hyperband"``, ...: a trial reports
            after each fold (or each resource level) and poor ones are stopped early;
            ``max_t`` is set to the number of those steps.
        resource: None to stop early across folds; or the name of an estimator parameter
            (``"n_estimators"``, ``"max_iter"``) that sets the training budget: each trial
            is cross-validated at growing values of it (``min_resource`` times
            ``reduction_factor`` to the k, up to ``max_resource``).
        min_resource, max_resource, reduction_factor: the resource levels.
        refit: refit the best configuration on the whole data (``best_estimator_``); with
            several scorers, the name of the one the search optimizes.
        n_jobs: trials at once, in worker processes (None or 1: one at a time, here).
        random_state: seeds the searcher and scheduler.
        error_score: the score of a fold whose fit raises (``"raise"`` to raise).
        return_train_score: also score each fold's training part.
        time_budget_s: end the search after this many seconds.
        points_to_evaluate: configurations to try first (the estimator's defaults, say).
        verbose: rung's progress output (0: none).
    """

    def __init__(
        self,
        estimator: Any,
        param_space: Mapping[str, Any] | None = None,
        *,
        param_distributions: Mapping[str, Any] | None = None,
        n_iter: int | None = None,
        scoring: Any = None,
        cv: Any = 5,
        num_trials: int | None = None,
        searcher: Any = None,
        scheduler: Any = None,
        resource: str | None = None,
        min_resource: int = 1,
        max_resource: int | None = None,
        reduction_factor: int = 3,
        refit: bool | str = True,
        n_jobs: int | None = None,
        random_state: int | None = None,
        error_score: Any = np.nan,
        return_train_score: bool = False,
        time_budget_s: float | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        verbose: int = 0,
    ) -> None:
        self.estimator = estimator
        self.param_space = param_space
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self.scoring = scoring
        self.cv = cv
        self.num_trials = num_trials
        self.searcher = searcher
        self.scheduler = scheduler
        self.resource = resource
        self.min_resource = min_resource
        self.max_resource = max_resource
        self.reduction_factor = reduction_factor
        self.refit = refit
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.time_budget_s = time_budget_s
        self.points_to_evaluate = points_to_evaluate
        self.verbose = verbose

    # fitting -------------------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None, groups: Any = None, **fit_params: Any) -> RungSearchCV:
        """Search, then refit the best configuration on all of ``X``, ``y``."""
        X, y, groups = indexable(X, y, groups)
        self.scorer_ = check_scoring(self.estimator, scoring=self.scoring)
        self.multimetric_ = isinstance(self.scoring, list | tuple | set | dict)
        names = _scorer_names(self.scoring) if self.multimetric_ else ["score"]
        if self.multimetric_ and self.refit not in names:
            raise ConfigError(
                f"RungSearchCV(scoring={self.scoring!r}) has several scorers; refit must name "
                f"the one to optimize (one of {names}), e.g. refit={names[0]!r}"
            )
        chosen = str(self.refit) if self.multimetric_ else "score"
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        splits = list(cv.split(X, y, groups))
        self.n_splits_ = len(splits)
        levels = self._resource_levels()
        evaluate = _Evaluation(
            self.estimator, X, y, splits, self.scorer_, names, chosen, fit_params,
            self.resource, levels, self.error_score, self.return_train_score,
        )  # fmt: skip
        steps = len(levels) if levels else self.n_splits_
        results = rung.run(
            evaluate,
            self._space(),
            metric="score",
            mode="max",
            searcher=self.searcher,
            scheduler=self._scheduler(steps),
            points_to_evaluate=self.points_to_evaluate,
            num_trials=self._num_trials(),
            max_concurrent=self.n_jobs if self.n_jobs and self.n_jobs > 1 else None,
            executor="process" if self.n_jobs and self.n_jobs > 1 else "inline",
            time_budget_s=self.time_budget_s,
            fail_fast=isinstance(self.error_score, str) and self.error_score == "raise",
            seed=self.random_state,
            verbose=self.verbose,
        )
        self.results_ = results
        self.cv_results_ = _cv_results(results, self.n_splits_, names, self.return_train_score)
        complete = [i for i, t in enumerate(results.trials) if t.status is TrialStatus.TERMINATED]
        if not complete or all(np.isnan(self.cv_results_[f"mean_test_{chosen}"][complete])):
            errors = sorted(
                {r["fit_error"] for t in results.trials for r in t.results if "fit_error" in r}
            )
            errors += sorted({t.error for t in results.trials if t.error})
            raise ValueError(
                f"RungSearchCV: none of the {len(results.trials)} configurations got a score on "
                "every fold. The fits failed with:\n" + "\n".join(errors or ["(no error)"])
            )
        self.best_index_ = int(np.argmin(self.cv_results_[f"rank_test_{chosen}"]))
        self.best_params_ = results.trials[self.best_index_].config
        self.best_score_ = float(self.cv_results_[f"mean_test_{chosen}"][self.best_index_])
        if self.refit:
            best = clone(self.estimator).set_params(**self._full_budget(self.best_params_))
            start = time.perf_counter()
            best.fit(X, y, **fit_params)
            self.refit_time_ = time.perf_counter() - start
            self.best_estimator_ = best
            if hasattr(best, "feature_names_in_"):
                self.feature_names_in_ = best.feature_names_in_
        return self

    def _num_trials(self) -> int:
        if self.n_iter is not None and self.num_trials is not None:
            raise ConfigError("RungSearchCV: give num_trials or n_iter (its name in sklearn)")
        given = self.n_iter if self.n_iter is not None else self.num_trials
        return 20 if given is None else given

    def _space(self) -> Space:
        given = [d for d in (self.param_space, self.param_distributions) if d is not None]
        if len(given) != 1:
            raise ConfigError(
                "RungSearchCV: give the parameters to search once, as param_space (or "
                "param_distributions, scikit-learn's name)"
            )
        space = Space.of({key: _domain(key, value) for key, value in given[0].items()})
        if self.resource is not None and self.resource in space.names:
            raise ConfigError(
                f"RungSearchCV: {self.resource!r} is the resource (set by the search at each "
                "level); leave it out of param_space"
            )
        return space

    def _resource_levels(self) -> list[int]:
        """The resource's values, smallest first (empty when folds are the steps)."""
        if self.resource is None:
            return []
        if self.max_resource is None:
            raise ConfigError(
                f"RungSearchCV(resource={self.resource!r}) needs max_resource (the full budget)"
            )
        if not (1 <= self.min_resource <= self.max_resource) or self.reduction_factor < 2:
            raise ConfigError(
                "RungSearchCV: need 1 <= min_resource <= max_resource and reduction_factor >= 2"
            )
        levels, level = [], float(self.min_resource)
        while level < self.max_resource:
            levels.append(round(level))
            level *= self.reduction_factor
        return sorted({*levels, int(self.max_resource)})

    def _scheduler(self, steps: int) -> Any:
        spec = self.scheduler
        name = spec.get("name") if isinstance(spec, Mapping) else spec
        budgeted = isinstance(name, str) and name in SCHEDULERS and SCHEDULERS[name].takes_max_t()
        if budgeted and isinstance(spec, str):
            return {"name": spec, "max_t": steps}
        if budgeted and isinstance(spec, Mapping):  # max_t set to the steps unless given
            return {"max_t": steps, **spec}
        return spec if spec is not None else "fifo"

    def _full_budget(self, params: Mapping[str, Any]) -> dict[str, Any]:
        if self.resource is None:
            return dict(params)
        return {**params, self.resource: self._resource_levels()[-1]}

    # the fitted search, as an estimator ---------------------------------------------------

    def score(self, X: Any, y: Any = None) -> float:
        """The scorer's score of the refitted best estimator on ``X``, ``y``."""
        check_is_fitted(self, "best_estimator_")
        score = self.scorer_(self.best_estimator_, X, y)
        return float(score[self.refit] if self.multimetric_ else score)

    @available_if(_estimator_has("predict"))
    def predict(self, X: Any) -> Any:
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X: Any) -> Any:
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X: Any) -> Any:
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X: Any) -> Any:
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.decision_function(X)

    @available_if(_estimator_has("transform"))
    def transform(self, X: Any) -> Any:
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.transform(X)

    @available_if(_estimator_has("inverse_transform"))
    def inverse_transform(self, X: Any) -> Any:
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.inverse_transform(X)

    @property
    def classes_(self) -> Any:
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.classes_

    @property
    def n_features_in_(self) -> int:
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.n_features_in_

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        inner = clone(self.estimator).__sklearn_tags__()
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.input_tags.pairwise = inner.input_tags.pairwise
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        tags.target_tags.required = inner.target_tags.required
        tags.target_tags.multi_output = inner.target_tags.multi_output
        return tags


class _Evaluation:
    """The trainable: one configuration cross-validated fold by fold (reporting the mean so
    far after each), or at each resource level (reporting that level's mean)."""

    def __init__(
        self,
        estimator: Any,
        X: Any,
        y: Any,
        splits: list[tuple[np.ndarray, np.ndarray]],
        scorer: Any,
        names: list[str],
        chosen: str,
        fit_params: dict[str, Any],
        resource: str | None,
        levels: list[int],
        error_score: Any,
        return_train_score: bool,
    ) -> None:
        self.estimator = estimator
        self.X, self.y = X, y
        self.splits = splits
        self.scorer = scorer
        self.names = names
        self.chosen = chosen
        self.fit_params = fit_params
        self.resource = resource
        self.levels = levels
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.__name__ = f"cv_{type(estimator).__name__}"

    def __call__(self, config: dict[str, Any]) -> None:
        if not self.levels:
            scores: list[float] = []
            for fold, split in enumerate(self.splits):
                fold_result = self._fold(config, split)
                scores.append(fold_result["test"][self.chosen])
                rung.report(
                    score=float(np.mean(scores)), n_resources=fold + 1, **_named(fold, fold_result)
                )
            return
        resource = str(self.resource)
        for level in self.levels:
            folds = [self._fold({**config, resource: level}, s) for s in self.splits]
            named = {k: v for i, r in enumerate(folds) for k, v in _named(i, r).items()}
            level_score = float(np.mean([r["test"][self.chosen] for r in folds]))
            rung.report(score=level_score, n_resources=level, **named)

    def _fold(self, config: dict[str, Any], split: tuple[np.ndarray, np.ndarray]) -> dict:
        train, test = split
        x_train, x_test = _safe_indexing(self.X, train), _safe_indexing(self.X, test)
        y_train = None if self.y is None else _safe_indexing(self.y, train)
        y_test = None if self.y is None else _safe_indexing(self.y, test)
        estimator = clone(self.estimator).set_params(**config)
        start = time.perf_counter()
        try:
            estimator.fit(x_train, y_train, **self.fit_params)
        except Exception as error:
            if self.error_score == "raise":
                raise
            warnings.warn(
                f"fit failed with {config}: {type(error).__name__}: {error}; its score is "
                f"error_score={self.error_score}",
                RungWarning,
                stacklevel=2,
            )
            failed = dict.fromkeys(self.names, float(self.error_score))
            return {
                "test": failed,
                "train": failed,
                "fit_time": 0.0,
                "score_time": 0.0,
                "fit_error": f"{type(error).__name__}: {error}",
            }
        fit_time = time.perf_counter() - start
        start = time.perf_counter()
        test_score = self._scores(estimator, x_test, y_test)
        score_time = time.perf_counter() - start
        result = {"test": test_score, "fit_time": fit_time, "score_time": score_time}
        if self.return_train_score:
            result["train"] = self._scores(estimator, x_train, y_train)
        return result

    def _scores(self, estimator: Any, X: Any, y: Any) -> dict[str, float]:
        """Each scorer's score, by name ("score" for a single one)."""
        scored = self.scorer(estimator, X, y)
        if isinstance(scored, Mapping):
            return {name: float(scored[name]) for name in self.names}
        return {"score": float(scored)}


def _scorer_names(scoring: Any) -> list[str]:
    """The names of several scorers given as a list or a dict, as scikit-learn names them."""
    return [str(name) for name in scoring]


def _named(fold: int, result: dict[str, Any]) -> dict[str, Any]:
    """A fold's numbers under the names ``cv_results_`` gives them."""
    named: dict[str, Any] = {
        f"split{fold}_fit_time": result["fit_time"],
        f"split{fold}_score_time": result["score_time"],
    }
    for kind in ("test", "train"):
        for name, value in result.get(kind, {}).items():
            named[f"split{fold}_{kind}_{name}"] = value
    if "fit_error" in result:
        named["fit_error"] = result["fit_error"]
    return named


def _cv_results(
    results: rung.Results, n_splits: int, names: list[str], train: bool
) -> dict[str, Any]:
    """scikit-learn's ``cv_results_``: one entry per trial. A trial stopped early has the
    folds it reached (NaN for the others) and its ``n_resources``; ranks put trials that were
    evaluated in full first, by mean test score."""
    trials = results.trials
    n = len(trials)
    # A trial reports each fold as it goes: its latest value of each key is its record.
    latest = [{k: v for r in t.results for k, v in r.items()} for t in trials]
    out: dict[str, Any] = {}
    params = sorted({key for t in trials for key in t.config})
    for param in params:
        column = np.ma.MaskedArray(np.empty(n, dtype=object), mask=True)
        for i, trial in enumerate(trials):
            if param in trial.config:
                column[i] = trial.config[param]
        out[f"param_{param}"] = column
    out["params"] = [dict(t.config) for t in trials]
    kinds = ["test", *(["train"] if train else [])]
    for kind in kinds:
        for name in names:
            splits = np.full((n, n_splits), np.nan)
            for i, last in enumerate(latest):
                for fold in range(n_splits):
                    value = last.get(f"split{fold}_{kind}_{name}")
                    if value is not None:
                        splits[i, fold] = value
            for fold in range(n_splits):
                out[f"split{fold}_{kind}_{name}"] = splits[:, fold]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # trials with no fold at all
                out[f"mean_{kind}_{name}"] = np.nanmean(splits, axis=1)
                out[f"std_{kind}_{name}"] = np.nanstd(splits, axis=1)
    for timing in ("fit_time", "score_time"):
        values = np.full((n, n_splits), np.nan)
        for i, last in enumerate(latest):
            for fold in range(n_splits):
                values[i, fold] = last.get(f"split{fold}_{timing}", np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out[f"mean_{timing}"] = np.nanmean(values, axis=1)
            out[f"std_{timing}"] = np.nanstd(values, axis=1)
    out["n_resources"] = np.array([(t.last_result or {}).get("n_resources", 0) for t in trials])
    out["status"] = np.array([t.status.value for t in trials])
    complete = np.array([t.status is TrialStatus.TERMINATED for t in trials])
    for name in names:
        mean = out[f"mean_test_{name}"]
        key = np.where(np.isnan(mean), -math.inf, mean)
        order = np.lexsort((-key, ~complete))
        ranks = np.empty(n, dtype=np.int32)
        ranks[order] = np.arange(1, n + 1)
        out[f"rank_test_{name}"] = ranks
    return out

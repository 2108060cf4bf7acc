import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import check_grad

import rung
from rung.searchers import GPSearch, RandomSearch, _gp
from rung.searchers.gp import robust_standardize
from tests.searchers.loop import MIXED_CONDITIONAL, SPHERE_SPACE, minimize, sphere


def test_gp_finds_a_bowl_minimum_far_better_than_random_search():
    gp = [min(minimize(GPSearch(), SPHERE_SPACE, sphere, 25, seed)[1]) for seed in range(2)]
    rand = [min(minimize(RandomSearch(), SPHERE_SPACE, sphere, 25, seed)[1]) for seed in range(2)]
    assert max(gp) < 1e-3 < min(rand) / 2


@given(st.floats(-40, 8))
@settings(max_examples=60, deadline=None)
def test_log_h_matches_its_definition_and_stays_finite_far_below(z):
    value = float(_gp.log_h(np.array([z]))[0])
    assert math.isfinite(value)
    if z > -25:
        from scipy.stats import norm

        exact = math.log(norm.pdf(z) + z * norm.cdf(z))
        assert value == pytest.approx(exact, rel=1e-6, abs=1e-9)


def test_marginal_likelihood_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    x = rng.random((15, 3))
    y = np.sin(6 * x[:, 0]) + x[:, 1] ** 2
    y = (y - y.mean()) / y.std()
    theta = np.array([-0.5, 0.2, 1.0, 0.1, math.log(1e-2)])
    error = check_grad(
        lambda t: _gp.neg_log_posterior(t, x, y)[0],
        lambda t: _gp.neg_log_posterior(t, x, y)[1],
        theta,
    )
    assert error < 1e-4 * np.linalg.norm(_gp.neg_log_posterior(theta, x, y)[1])


def test_posterior_gradients_match_finite_differences():
    rng = np.random.default_rng(1)
    x = rng.random((12, 2))
    y = np.cos(4 * x[:, 0]) * x[:, 1]
    model = _gp.Posterior(x, (y - y.mean()) / y.std(), _gp.Hyper(np.log([0.3, 0.5]), 0.0, -6.0))
    point, step = np.array([0.4, 0.6]), 1e-6
    mean, sd, d_mean, d_sd = model.predict_with_gradient(point)
    for i in range(2):
        moved = point.copy()
        moved[i] += step
        mean2, sd2, _, _ = model.predict_with_gradient(moved)
        assert (mean2 - mean) / step == pytest.approx(d_mean[i], rel=1e-3, abs=1e-5)
        assert (sd2 - sd) / step == pytest.approx(d_sd[i], rel=1e-3, abs=1e-5)


def test_outputs_are_robust_to_a_diverged_trial_and_failures_are_worst():
    loss = np.array([1.0, 2.0, 3.0, 4.0, 1e12, math.inf])
    z, best = robust_standardize(loss)
    assert np.isfinite(z).all() and best == z[0]
    # The diverged trial is the worst, but does not squeeze the others together (plain
    # standardization would leave them 1e-12 apart).
    assert z[4] == z[5] == z.max()
    assert z[3] - z[0] > 0.02 * (z[4] - z[0])


def test_gp_handles_integers_and_categoricals_as_values():
    space = rung.Space(MIXED_CONDITIONAL)

    def loss(c):
        bonus = 0.0 if c["optimizer"]["name"] == "adam" else 1.0
        return abs(math.log10(c["lr"]) + 3) + abs(c["layers"] - 3) / 4 + bonus

    configs, losses = minimize(GPSearch(n_candidates=256), space, loss, 30, seed=0)
    for config in configs:
        assert space.contains(config)
    assert min(losses[10:]) < min(losses[:10])
    assert [c["optimizer"]["name"] for c in configs[15:]].count("adam") >= 10


def closest_pair(keep_pending):
    searcher = GPSearch(n_candidates=256)
    minimize(searcher, SPHERE_SPACE, sphere, 15, seed=0)
    batch = []
    for i in range(4):
        batch.append(list(searcher.suggest(f"p{i}").values()))
        if not keep_pending:
            searcher.pending.clear()
    batch = np.array(batch)
    return np.linalg.norm(batch[:, None] - batch[None], axis=2)[np.triu_indices(4, 1)].min()


def test_kriging_believer_spreads_parallel_proposals():
    assert closest_pair(keep_pending=True) > 10 * closest_pair(keep_pending=False)


def test_past_max_data_the_model_sees_the_best_half_and_the_most_recent_half():
    from rung.objective import Objective

    searcher = GPSearch(max_data=40).setup(
        SPHERE_SPACE, Objective("loss"), np.random.default_rng(0)
    )
    rng = np.random.default_rng(1)
    losses = rng.random(100)
    for i, loss in enumerate(losses):
        searcher.pending[str(i)] = {"x": float(rng.random()), "y": float(rng.random())}
        searcher.on_trial_complete(str(i), {"loss": float(loss), "training_iteration": 1})
    kept = searcher.observed.loss[searcher._training_rows()]
    assert len(kept) == 40
    best = np.sort(losses)[:20]
    assert set(best) <= set(kept), "the 20 best are all in"
    others = [loss for loss in losses if loss not in set(best)]
    assert set(others[-20:]) <= set(kept), "and the 20 most recent of the others"
    assert len(GPSearch(max_data=None).setup(SPHERE_SPACE, Objective("loss")).observed) == 0
    with pytest.raises(rung.ConfigError, match="max_data"):
        GPSearch(max_data=5)


def test_a_bounded_gp_still_optimizes_past_its_data_limit():
    _, losses = minimize(GPSearch(max_data=30), SPHERE_SPACE, sphere, 60)
    assert min(losses[30:]) < 1e-3

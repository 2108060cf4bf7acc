"""The Pareto order: fronts of non-dominated sorting and crowding, what multi-objective TPE
splits by."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from rung.pareto import crowding, fronts, non_dominated, pareto_ranks

points_strategy = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=25
)


def dominates(a, b):
    pairs = list(zip(a, b, strict=True))
    return all(x <= y for x, y in pairs) and any(x < y for x, y in pairs)


@given(points_strategy)
def test_each_front_is_what_nothing_outside_the_fronts_before_it_dominates(points):
    front = fronts(np.array(points, dtype=float))
    assert list(front == 0) == list(non_dominated(np.array(points, dtype=float)))
    for i, point in enumerate(points):
        later = [p for j, p in enumerate(points) if front[j] >= front[i]]
        assert not any(dominates(p, point) for p in later)
        if front[i] > 0:
            assert any(
                dominates(p, point) for j, p in enumerate(points) if front[j] == front[i] - 1
            )


@given(points_strategy)
def test_the_pareto_order_is_a_total_order_that_puts_fronts_first(points):
    array = np.array(points, dtype=float)
    ranks = pareto_ranks(array)
    assert sorted(ranks) == list(range(len(points)))
    front = fronts(array)
    for i in range(len(points)):
        for j in range(len(points)):
            if front[i] < front[j]:
                assert ranks[i] < ranks[j]


def test_the_ends_of_a_front_are_least_crowded():
    line = np.array([[0.0, 4.0], [1.0, 3.0], [1.5, 2.5], [4.0, 0.0]])
    distance = crowding(line)
    assert np.isinf(distance[[0, 3]]).all()
    assert distance[1] < distance[2], "the point with the wider gap around it is less crowded"

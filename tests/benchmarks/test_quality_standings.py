"""The quality benchmark's standings: mean rank and "best or within the noise of the best"."""

import numpy as np

from benchmarks.quality import standings


def runs_for(problem: str, finals: dict[str, list[float]]) -> list[dict]:
    return [
        {"problem": problem, "searcher": name, "best": [10.0, value]}
        for name, values in finals.items()
        for value in values
    ]


def test_a_clear_winner_stands_alone_and_seed_noise_is_shared():
    rng = np.random.default_rng(0)
    noise = lambda centre: list(centre + rng.normal(0, 1.0, 10))  # noqa: E731
    runs = runs_for("clear", {"a": noise(0.0), "b": noise(20.0), "c": noise(40.0)})
    shared = np.asarray(noise(0.0))  # a is b shifted by a third of the seed noise
    runs += runs_for("noisy", {"a": list(shared + 0.3), "b": list(shared), "c": noise(30.0)})
    runs += runs_for("partial", {"a": noise(5.0)})  # not every searcher ran it: left out

    table = standings(runs, ["a", "b", "c"])

    assert table["a"]["near_best_on"] == ["clear", "noisy"]
    assert table["b"]["near_best_on"] == ["noisy"]
    assert table["c"]["near_best_on"] == []
    assert table["a"]["mean_rank"] == 1.5 and table["b"]["mean_rank"] == 1.5
    assert table["c"]["mean_rank"] == 3.0 and table["c"]["problems"] == 2

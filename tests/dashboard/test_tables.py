"""The dashboard's trials table: filtered, sorted and paged on the server."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rung.dashboard.tables import STATES, TableQuery, TrialRows, row, trials_page
from rung.errors import ConfigError
from rung.objective import Objective
from rung.trial import Trial, TrialStatus
from rung.view import open_view
from tests.snapshots import drop_snapshot

LOSS = Objective("loss", "min")


def make_trial(index: int, status: TrialStatus, lr: float, losses: list[float]) -> Trial:
    trial = Trial(f"{index:05d}", {"lr": lr, "net": {"width": 32 * (index % 3 + 1)}})
    trial.status = status
    trial.iteration = len(losses)
    trial.results = [{"loss": v, "training_iteration": i + 1} for i, v in enumerate(losses)]
    return trial


trials_strategy = st.lists(
    st.tuples(
        st.sampled_from(list(TrialStatus)),
        st.floats(1e-4, 1.0),
        st.lists(st.one_of(st.floats(0, 10), st.just(math.nan)), max_size=4),
    ),
    max_size=30,
).map(lambda specs: [make_trial(i, *spec) for i, spec in enumerate(specs)])


@given(
    trials=trials_strategy,
    sort=st.sampled_from(["trial_id", "value", "best", "iterations", "config/lr"]),
    descending=st.booleans(),
    states=st.frozensets(st.sampled_from(sorted(STATES.values()))),
    low=st.one_of(st.none(), st.floats(0, 10)),
    limit=st.integers(1, 7),
)
def test_pages_put_together_are_the_filtered_trials_in_order(
    trials, sort, descending, states, low, limit
):
    ranges = {} if low is None else {"value": (low, None)}
    query = TableQuery(states=states, ranges=ranges, sort=sort, descending=descending)
    whole = trials_page(trials, LOSS, TableQuery(**{**query.__dict__, "limit": 10_000}))
    expected = [
        t.trial_id
        for t in trials
        if (not states or STATES[t.status] in states)
        and (low is None or (t.value(LOSS) is not None and t.value(LOSS) >= low))
    ]
    assert whole["total"] == len(expected)
    assert sorted(r["trial_id"] for r in whole["rows"]) == sorted(expected)
    keys = [r[sort] for r in whole["rows"]]
    numbers = [k for k in keys if k is not None and not (isinstance(k, float) and math.isnan(k))]
    assert numbers == sorted(numbers, reverse=descending)
    assert keys[len(numbers) :] == [k for k in keys if k not in numbers]  # missing ones last
    pages = []
    for offset in range(0, whole["total"], limit):
        page = trials_page(
            trials, LOSS, TableQuery(**{**query.__dict__, "offset": offset, "limit": limit})
        )
        assert page["total"] == whole["total"] and len(page["rows"]) <= limit
        pages += page["rows"]
    assert pages == whole["rows"]


def test_a_row_holds_what_best_trial_ranks_by_and_the_flattened_config():
    trial = make_trial(4, TrialStatus.STOPPED, 0.01, [3.0, 1.0, 2.0])
    page = trials_page([trial], LOSS, TableQuery())
    (row,) = page["rows"]
    assert row["state"] == "stopped" and row["iterations"] == 3
    assert row["value"] == 2.0 and row["best"] == 1.0  # latest report, and the best one
    assert row["config/lr"] == 0.01 and row["config/net/width"] == 64
    assert page["columns"][:5] == ["trial_id", "state", "iterations", "value", "best"]


def test_an_unknown_column_or_state_is_named():
    trials = [make_trial(0, TrialStatus.TERMINATED, 0.1, [1.0])]
    with pytest.raises(ConfigError, match="no column 'config/momentum'"):
        trials_page(trials, LOSS, TableQuery(sort="config/momentum"))
    with pytest.raises(ConfigError, match=r"no state \['finished'\]"):
        trials_page(trials, LOSS, TableQuery(states=frozenset({"finished"})))


def test_rows_kept_up_with_a_growing_log_are_the_rows_made_afresh(six_asha_trials, tmp_path):
    drop_snapshot(tmp_path / "exp")  # as while it runs: the view folds the log as it grows
    view = open_view(tmp_path / "exp", limit=1)
    rows = TrialRows()
    made = []
    while True:
        rows.catch_up(view, LOSS)
        assert rows.rows == {i: row(t, LOSS) for i, t in view.trials.items()}
        made.append(view.position)
        if not view.refresh(limit=5):
            break
    assert len(made) > 3, "caught up at several points of the log"
    view.close()

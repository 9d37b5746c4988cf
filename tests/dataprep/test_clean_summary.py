import datetime as dt

import pandas as pd
import pytest

from hhforecast.dataprep import clean_summary

REJECTS = pd.DataFrame(
    {
        "table": ["utilization", "events", "events", "events"],
        "reason": ["superseded", "unknown_source", "duplicate", "duplicate"],
    }
)
WEEKS = (dt.date(2020, 1, 6), dt.date(2020, 3, 30))


@pytest.mark.parametrize(
    ("rejects", "expected"),
    [
        (REJECTS, {"events": {"duplicate": 2, "unknown_source": 1}, "utilization": {"superseded": 1}}),
        (REJECTS.iloc[:0], {}),
    ],
)
def test_rejected_rows_are_counted_per_table_and_reason_in_sorted_order(rejects, expected):
    counted = clean_summary.rejected_by_reason(rejects)
    assert counted == expected
    assert [list(reasons) for reasons in counted.values()] == [sorted(reasons) for reasons in expected.values()]


@pytest.mark.parametrize(("fleets", "recorded"), [(None, "all"), (["A320"], ["A320"])])
def test_the_summary_records_kept_rejected_weeks_coverage_and_fleets(fleets, recorded):
    events = pd.DataFrame({"hh": [1.0, 2.0, 3.0]})
    utilization = pd.DataFrame({"date": pd.to_datetime(["2020-01-06", "2020-04-05"])})
    event_days = (pd.Timestamp("2020-01-07"), pd.Timestamp("2020-04-01"))
    summary = clean_summary.summary(events, utilization, REJECTS, WEEKS, event_days, fleets)
    assert summary == {
        "events_kept": 3,
        "utilization_kept": 2,
        "rejected": 4,
        "rejected_by_reason": {"events": {"duplicate": 2, "unknown_source": 1}, "utilization": {"superseded": 1}},
        "dataset_weeks": ["2020-01-06", "2020-03-30"],
        "coverage": {
            "events": {"first": "2020-01-07", "last": "2020-04-01"},
            "utilization": {"first": "2020-01-06", "last": "2020-04-05"},
        },
        "fleets": recorded,
    }
    assert clean_summary.dataset_weeks(summary) == WEEKS  # what aggregate and join read back

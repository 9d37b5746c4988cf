import datetime as dt

import pandas as pd
import pytest

from hhforecast.core.errors import DataQualityError
from hhforecast.dataprep import quality
from tests.helpers import tiny_weekly_dataset

WEEKS = (dt.date(2020, 1, 6), dt.date(2020, 2, 3))
CLEANED = {
    "events_kept": 90,
    "rejected": 10,
    "rejected_by_reason": {"events": {"duplicate": 10}},
    "utilization_kept": 35,
    "coverage": {"events": {"first": "2020-01-06", "last": "2020-02-09"}},
}
INGESTED = {"events_read": 100, "utilization_read": 35, "total_rows_skipped": 2, "blank_rows_skipped": 1}


def daily(n: int = 10) -> pd.DataFrame:
    return tiny_weekly_dataset(n).assign(date=pd.date_range("2020-01-06", periods=n, freq="D").astype("datetime64[us]"))


def test_a_clean_dataset_passes_with_an_empty_failure_table():
    checked = quality.assess(tiny_weekly_dataset(), daily(), WEEKS, [], CLEANED, INGESTED)
    assert checked.failures.empty and checked.zero_hh == [] and checked.missing == []
    quality.require_passed(checked, "metrics/data_quality_failures.csv")  # raises nothing


@pytest.mark.parametrize(
    ("cells", "row"),
    [
        (
            {"sum_daily_hours": {1: 400.0}},
            {
                "schema_context": "bounds",
                "column": "sum_daily_hours",
                "check": "<= 336 (at most 168 flight hours per aircraft per week; acft = 2)",
                "failure_case": "400.0",
                "index": "2020-01-13",
                "dataset": "weekly",
            },
        ),
        (
            {"HH": {2: 0.0}},
            {
                "schema_context": "DataFrameSchema",
                "column": "HH",
                "check": "hh_positive_when_flying",
                "failure_case": "0.0",
                "index": "2020-01-20",
                "dataset": "weekly",
            },
        ),
        (
            {"acft": {3: 1.5}},
            {"schema_context": "Column", "column": "acft", "check": "whole aircraft", "dataset": "weekly"},
        ),
    ],
)
def test_each_kind_of_failure_is_one_row_naming_its_week_column_and_check(cells, row):
    checked = quality.assess(tiny_weekly_dataset(**cells), daily(), WEEKS, [], CLEANED, INGESTED)
    assert len(checked.failures) == 1, checked.failures
    found = checked.failures.iloc[0]
    assert {key: found[key] for key in row} == row
    assert checked.summary["schema_failures"] == 1


def test_schema_failures_come_first_then_bounds_then_zero_hh_weeks():
    weekly = tiny_weekly_dataset(**{"acft": {3: 1.5}, "sum_daily_hours": {1: 400.0}, "HH": {2: 0.0}})
    failed = quality.failures(weekly, daily(), ["2020-01-20"])
    assert failed["schema_context"].tolist() == ["Column", "bounds", "DataFrameSchema"]
    assert list(failed.columns) == [
        "schema_context",
        "column",
        "check",
        "check_number",
        "failure_case",
        "index",
        "dataset",
    ]


def test_an_allowed_zero_hh_week_is_no_failure():
    checked = quality.assess(
        tiny_weekly_dataset(HH={2: 0.0}), daily(), WEEKS, [dt.date(2020, 1, 20)], CLEANED, INGESTED
    )
    assert checked.zero_hh == [] and checked.failures.empty


def test_the_summary_carries_ingest_and_clean_counts_and_the_weeks():
    summary = quality.assess(tiny_weekly_dataset(HH={0: 10.0}), daily(), WEEKS, [], CLEANED, INGESTED).summary
    assert summary == {
        "rows": {
            "events_read": 100,
            "events_kept": 90,
            "rejected": 10,
            "rejected_by_reason": {"events": {"duplicate": 10}},
            "utilization_read": 35,
            "utilization_kept": 35,
            "total_rows_skipped": 2,
            "blank_rows_skipped": 1,
        },
        "weeks": 5,
        "missing_weeks": 0,
        "first_week": "2020-01-06",
        "last_week": "2020-02-03",
        "coverage": CLEANED["coverage"],
        "zero_hh_weeks": [],
        "hh_total": 60.0,
        "schema_failures": 0,
    }


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (
            {"HH": {1: 0.0, 3: 0.0}},
            "2 week(s) where the fleet flew but kept HH is 0: 2020-01-13, 2020-01-27 (a missing events export?); "
            "if genuine, list them in quality.allow_zero_hh_weeks in params.yaml (details in metrics/failures.csv)",
        ),
        (
            {"HH": {i: 0.0 for i in range(12)}},
            "12 week(s) where the fleet flew but kept HH is 0: 2020-01-06, 2020-01-13, 2020-01-20, 2020-01-27, "
            "2020-02-03, 2020-02-10, 2020-02-17, 2020-02-24, 2020-03-02, 2020-03-09... (a missing events export?)",
        ),
        (
            {"sum_daily_hours": {1: 400.0}},
            "1 schema failure(s), missing weeks []:\ndataset  column           check",
        ),
        (
            {"acft": {i: 0.0 for i in range(7)}, "sum_daily_hours": {i: 0.0 for i in range(7)}},
            "schema failure(s), missing weeks ['2020-01-06', '2020-01-13', '2020-01-20', '2020-01-27', "
            "'2020-02-03']...:\n",
        ),
    ],
)
def test_the_error_names_the_weeks_and_the_failed_checks_and_points_at_the_file(cells, message):
    checked = quality.assess(tiny_weekly_dataset(12, **cells), daily(), WEEKS, [], CLEANED, INGESTED)
    with pytest.raises(DataQualityError) as raised:
        quality.require_passed(checked, "metrics/failures.csv")
    assert message in str(raised.value)
    assert raised.value.file == "metrics/failures.csv" and str(raised.value).endswith(
        "(details in metrics/failures.csv)"
    )


def test_a_schema_failure_error_counts_failures_by_dataset_column_and_check():
    checked = quality.assess(tiny_weekly_dataset(**{"acft": {3: 1.5}}), daily(), WEEKS, [], CLEANED, INGESTED)
    with pytest.raises(DataQualityError, match=r"(?s)1 schema failure\(s\).*weekly\s+acft\s+whole aircraft\s+1"):
        quality.require_passed(checked, "metrics/failures.csv")

import datetime as dt

import pandas as pd
import pytest

from hhforecast.core.errors import ConfigError
from hhforecast.dataprep import weekly_dataset
from tests.helpers import small_weekly_dataset, tiny_weekly_dataset


def test_a_valid_dataset_has_no_failures():
    assert weekly_dataset.validate(tiny_weekly_dataset(4), weekly_dataset.WEEKLY_SCHEMA).empty


@pytest.mark.parametrize(
    "damage, column, check",
    [
        (lambda f: f.drop(index=2).reset_index(drop=True), "date", "contiguous"),
        (lambda f: f.assign(date=f["date"] + pd.Timedelta(days=1)), "date", "Monday"),
        (lambda f: f.assign(HH=-1.0), "HH", "greater_than_or_equal_to"),
        (lambda f: f.assign(acft=1.5), "acft", "whole aircraft"),
        (lambda f: f.assign(sum_uti_mensal=10.0), None, "sum_uti_mensal must cover"),
        (lambda f: f[["date", "HH"]], None, "column_in_dataframe"),
    ],
)
def test_each_schema_rule_reports_its_failure(damage, column, check):
    failures = weekly_dataset.validate(damage(tiny_weekly_dataset(4)), weekly_dataset.WEEKLY_SCHEMA)
    assert not failures.empty
    hits = failures[failures["check"].str.contains(check, regex=False)]
    assert not hits.empty, failures
    if column is not None:
        assert set(hits["column"]) == {column}


def test_weeks_without_utilization_are_reported_missing():
    util = (
        tiny_weekly_dataset(4)
        .drop(columns=["date", "HH"])
        .set_index(tiny_weekly_dataset(4)["date"])
        .drop(index=pd.Timestamp("2020-01-13"))
    )
    hh = pd.Series([1.0], index=[pd.Timestamp("2020-01-20")])
    joined = weekly_dataset.join(util, hh, pd.date_range("2020-01-06", periods=4, freq="7D"))
    assert weekly_dataset.missing_dates(joined) == ["2020-01-13"]
    assert joined["HH"].tolist() == [0.0, 0.0, 1.0, 0.0]
    assert list(joined.columns) == weekly_dataset.DATASET_COLUMNS


def test_csv_representation_is_fixed():
    text = weekly_dataset.to_csv_frame(tiny_weekly_dataset(1)).to_csv(
        index=False, float_format=weekly_dataset.FLOAT_FORMAT
    )
    assert text.splitlines() == [
        "date,acft,sum_daily_hours,age_fleet,Cycles,sum_uti_mensal,HH",
        "2020-01-06,2,140.000000,8.000000,98,560.000000,12.500000",
    ]


@pytest.mark.parametrize(
    "allowed, expected",
    [
        ([], ["2020-01-13"]),
        ([dt.date(2020, 1, 13)], []),
    ],
)
def test_a_flying_week_with_zero_hh_is_named_unless_allowed(allowed, expected):
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2020-01-06", periods=3, freq="7D"),
            "sum_daily_hours": [100.0, 90.0, 0.0],
            "HH": [5.0, 0.0, 0.0],
        }
    )
    assert weekly_dataset.zero_hh_weeks(frame, allowed) == expected


@pytest.mark.slow
def test_join_fails_on_a_silent_zero_week_unless_params_allow_it(tmp_path):
    import json

    from tests.helpers import event_rows, project_copy, run_stage, utilization_lines, write_raw

    rows = event_rows(1)
    rows.append(["D9", 1, "PR-AXA", "MECH", dt.datetime(2020, 2, 12, 9, 0), 2.0])  # not a kept source
    raw = write_raw(tmp_path / "raw", events=rows, utilization=utilization_lines(42))
    work = project_copy(tmp_path, raw)
    for stage in ("ingest", "clean", "aggregate"):
        assert run_stage(work, stage).returncode == 0
    result = run_stage(work, "join")
    assert result.returncode == 1
    assert (
        "join: error: 1 week(s) where the fleet flew but kept HH is 0: 2020-02-10 (a missing events export?); "
        "if genuine, list them in quality.allow_zero_hh_weeks in params.yaml"
    ) in result.stderr
    quality = json.loads((work / "metrics/data_quality.json").read_text())
    assert quality["zero_hh_weeks"] == ["2020-02-10"]
    assert quality["coverage"] == {
        "events": {"first": "2020-02-03", "last": "2020-02-12"},
        "utilization": {"first": "2020-01-06", "last": "2020-02-16"},
    }
    allowed = project_copy(tmp_path, raw, quality={"allow_zero_hh_weeks": ["2020-02-10"]})
    assert run_stage(allowed, "join").returncode == 0


@pytest.mark.parametrize(
    ("train_end", "resolved"),
    [
        (dt.date(2019, 12, 30), dt.date(2019, 12, 30)),  # a fixed Monday, as the thesis's frozen results use
        ("2019-12-30", dt.date(2019, 12, 30)),
        ("latest", dt.date(2023, 9, 25)),  # the dataset's last week: 300 weeks from 2018-01-01
    ],
)
def test_train_end_resolves_to_a_fixed_monday_or_the_datasets_last_week(train_end, resolved):
    assert weekly_dataset.resolve_train_end(small_weekly_dataset(300), train_end) == resolved


def test_latest_moves_every_window_to_the_end_of_the_data():
    frame = small_weekly_dataset(300)
    for n_weeks in (280, 300):  # a newer export adds weeks: the windows follow them
        data = frame.iloc[:n_weeks]
        split = weekly_dataset.temporal_split(data, "latest", val_weeks=52, test_weeks=52)
        assert split["test"]["date"].iloc[-1] == data["date"].iloc[-1]
        assert [len(split[k]) for k in ("train", "val", "test", "production")] == [n_weeks - 104, 52, 52, 0]
        assert weekly_dataset.production_weeks(data, "latest").empty


def test_latest_on_an_empty_dataset_is_refused_by_name():
    with pytest.raises(ConfigError, match="split.train_end=latest: the weekly dataset has no weeks"):
        weekly_dataset.resolve_train_end(small_weekly_dataset(3).iloc[:0], "latest")

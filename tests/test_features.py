import pandas as pd
import pytest

from hhforecast import features


def weekly(n: int = 4) -> pd.DataFrame:
    dates = pd.date_range("2020-01-06", periods=n, freq="7D").astype("datetime64[us]")
    return pd.DataFrame({"date": dates, "acft": 2.0, "sum_daily_hours": 140.0, "age_fleet": 8.0,
                         "Cycles": 98.0, "sum_uti_mensal": 560.0, "HH": 12.5})


def test_a_valid_dataset_has_no_failures():
    assert features.validate(weekly(), features.WEEKLY_SCHEMA).empty


@pytest.mark.parametrize("damage, column, check", [
    (lambda f: f.drop(index=2).reset_index(drop=True), "date", "contiguous"),
    (lambda f: f.assign(date=f["date"] + pd.Timedelta(days=1)), "date", "Monday"),
    (lambda f: f.assign(HH=-1.0), "HH", "greater_than_or_equal_to"),
    (lambda f: f.assign(acft=1.5), "acft", "whole aircraft"),
    (lambda f: f.assign(sum_uti_mensal=10.0), None, "sum_uti_mensal must cover"),
    (lambda f: f[["date", "HH"]], None, "column_in_dataframe"),
])
def test_each_schema_rule_reports_its_failure(damage, column, check):
    failures = features.validate(damage(weekly()), features.WEEKLY_SCHEMA)
    assert not failures.empty
    hits = failures[failures["check"].str.contains(check, regex=False)]
    assert not hits.empty, failures
    if column is not None:
        assert set(hits["column"]) == {column}


def test_weeks_without_utilization_are_reported_missing():
    util = weekly().drop(columns=["date", "HH"]).set_index(weekly()["date"]).drop(index=pd.Timestamp("2020-01-13"))
    hh = pd.Series([1.0], index=[pd.Timestamp("2020-01-20")])
    joined = features.join(util, hh, pd.date_range("2020-01-06", periods=4, freq="7D"))
    assert features.missing_dates(joined) == ["2020-01-13"]
    assert joined["HH"].tolist() == [0.0, 0.0, 1.0, 0.0]
    assert list(joined.columns) == features.DATASET_COLUMNS


def test_csv_representation_is_fixed():
    text = features.to_csv_frame(weekly(1)).to_csv(index=False, float_format=features.FLOAT_FORMAT)
    assert text.splitlines() == ["date,acft,sum_daily_hours,age_fleet,Cycles,sum_uti_mensal,HH",
                                 "2020-01-06,2,140.000000,8.000000,98,560.000000,12.500000"]

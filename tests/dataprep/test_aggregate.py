import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hhforecast.dataprep import aggregate, isoweeks


def utilization(days: int, start: str = "2020-01-01", aircraft: tuple[str, ...] = ("PRAXA",)) -> pd.DataFrame:
    dates = pd.date_range(start, periods=days, freq="D")
    return pd.DataFrame(
        [
            {
                "date": d,
                "registration": reg,
                "flight_hours": 10.0,
                "cycles": 7,
                "manufacture_date": pd.Timestamp("2010-01-04"),
                "aircraft_type": "E190",
            }
            for d in dates
            for reg in aircraft
        ]
    )


def test_daily_table_starts_at_the_first_day_with_a_full_window():
    util = utilization(42, "2020-01-06")
    dataset_weeks = isoweeks.dataset_week_range(util, 28)
    assert dataset_weeks[0] == dt.date(2020, 1, 27)  # the window ending Sunday 2020-02-02 is all inside
    daily = aggregate.daily_utilization(util, dataset_weeks, 28)
    assert daily.index[0] == pd.Timestamp("2020-02-02")  # 28 days from 2020-01-06: no partial sums
    assert daily["sum_uti_mensal"].notna().all()


def test_weekly_features_follow_the_dataset_definition():
    util = utilization(35, "2020-01-06", aircraft=("PRAXA", "PRAXB"))
    util.loc[(util["registration"] == "PRAXB") & (util["date"] >= "2020-02-03"), "flight_hours"] = 0.0
    weekly = aggregate.weekly_utilization(util, isoweeks.dataset_week_range(util, 28), 28)
    feb = weekly.loc[pd.Timestamp("2020-02-03")]
    assert feb["acft"] == 1  # PRAXB did not fly that week
    assert feb["sum_daily_hours"] == pytest.approx(70.0)
    assert feb["Cycles"] == 2 * 7 * 7  # cycles count for every row
    assert feb["age_fleet"] == pytest.approx((pd.Timestamp("2020-02-03") - pd.Timestamp("2010-01-04")).days / 365.25)
    assert feb["sum_uti_mensal"] == pytest.approx(70.0 + 3 * 140.0)  # 28 days ending on Sunday 2020-02-09


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(1, 20)), min_size=1, max_size=40), st.randoms())
def test_weekly_hh_conserves_total_hours_and_ignores_row_order(rows, rng):
    stamps = [pd.Timestamp("2020-01-06") + pd.Timedelta(days=d, hours=h % 24) for d, h in rows]
    events = pd.DataFrame({"raised_at": stamps, "hh": [h * 0.25 for _, h in rows]})
    events["day"] = events["raised_at"].dt.normalize()
    events["week"] = isoweeks.monday_of(events["day"])
    shuffled = events.sample(frac=1, random_state=rng.randint(0, 2**31))
    weekly = aggregate.hh_by(events, "week")
    assert weekly.sum() == pytest.approx(events["hh"].sum())
    assert all(d.day_of_week == 0 for d in weekly.index)
    pd.testing.assert_series_equal(aggregate.hh_by(shuffled, "week"), weekly)
    assert aggregate.hh_by(events, "day").sum() == pytest.approx(events["hh"].sum())

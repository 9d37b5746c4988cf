import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hhforecast import aggregate, clean
from hhforecast.errors import ContractError


def utilization(days: int, start: str = "2020-01-01", aircraft: tuple[str, ...] = ("PRAXA",)) -> pd.DataFrame:
    dates = pd.date_range(start, periods=days, freq="D")
    return pd.DataFrame(
        [
            {"date": d, "registration": reg, "flight_hours": 10.0, "cycles": 7,
             "manufacture_date": pd.Timestamp("2010-01-04"), "aircraft_type": "E190"}
            for d in dates for reg in aircraft
        ]
    )


@pytest.mark.parametrize("start, days, first, last", [
    ("2020-01-06", 42, "2020-02-03", "2020-02-10"),   # Monday start: the 5th week is the first whose days all have a full window
    ("2020-01-01", 41, "2020-02-03", "2020-02-03"),   # Wednesday start, Monday end: the last full week ends the Sunday before
    ("2020-01-06", 35, "2020-02-03", "2020-02-03"),
])
def test_dataset_weeks_are_complete_with_a_full_window(start, days, first, last):
    weeks = aggregate.dataset_week_range(utilization(days, start), window_days=28)
    assert weeks == (dt.date.fromisoformat(first), dt.date.fromisoformat(last))


def test_too_short_utilization_is_an_error():
    with pytest.raises(ContractError, match="fewer days than one complete week plus the 28-day window"):
        aggregate.dataset_week_range(utilization(30, "2020-01-06"), window_days=28)


def test_weekly_features_follow_the_dataset_definition():
    util = utilization(35, "2020-01-06", aircraft=("PRAXA", "PRAXB"))
    util.loc[(util["registration"] == "PRAXB") & (util["date"] >= "2020-02-03"), "flight_hours"] = 0.0
    weeks = aggregate.dataset_week_range(util, 28)
    weekly = aggregate.weekly_utilization(util, weeks, 28)
    feb = weekly.loc[pd.Timestamp("2020-02-03")]
    assert feb["acft"] == 1                             # PRAXB did not fly that week
    assert feb["sum_daily_hours"] == pytest.approx(70.0)
    assert feb["Cycles"] == 2 * 7 * 7                   # cycles count for every row
    assert feb["age_fleet"] == pytest.approx((pd.Timestamp("2020-02-03") - pd.Timestamp("2010-01-04")).days / 365.25)
    assert feb["sum_uti_mensal"] == pytest.approx(70.0 + 3 * 140.0)  # 28 days ending on Sunday 2020-02-09


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(1, 20)), min_size=1, max_size=40), st.randoms())
def test_weekly_hh_conserves_total_hours_and_ignores_row_order(rows, rng):
    stamps = [pd.Timestamp("2020-01-06") + pd.Timedelta(days=d, hours=h % 24) for d, h in rows]
    events = pd.DataFrame({"raised_at": stamps, "hh": [h * 0.25 for _, h in rows]})
    events["day"] = events["raised_at"].dt.normalize()
    events["week"] = clean.monday_of(events["day"])
    shuffled = events.sample(frac=1, random_state=rng.randint(0, 2**31))
    weekly = aggregate.hh_by(events, "week")
    assert weekly.sum() == pytest.approx(events["hh"].sum())
    assert all(d.day_of_week == 0 for d in weekly.index)
    pd.testing.assert_series_equal(aggregate.hh_by(shuffled, "week"), weekly)
    assert aggregate.hh_by(events, "day").sum() == pytest.approx(events["hh"].sum())

"""Daily and weekly tables of HH and fleet utilization.

A week is the ISO week, labelled by its Monday; which weeks a dataset holds is
`isoweeks.dataset_week_range`. The daily table starts at the first day whose
`window_days` window lies inside the utilization data, so `sum_uti_mensal` is
never a partial sum in the weekly dataset nor in the daily one.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from hhforecast.dataprep import isoweeks

DAYS_PER_YEAR = 365.25


def daily_fleet(utilization: pd.DataFrame) -> pd.DataFrame:
    """Per calendar day: active aircraft, flight hours, cycles and mean age of the active aircraft."""
    flown = utilization.loc[utilization["flight_hours"] > 0]
    age = (flown["date"] - flown["manufacture_date"]).dt.days / DAYS_PER_YEAR
    daily = (
        flown.assign(age=age)
        .groupby("date")
        .agg(
            acft=("registration", "nunique"),
            sum_daily_hours=("flight_hours", "sum"),
            age_fleet=("age", "mean"),
            Cycles=("cycles", "sum"),
        )
    )
    cycles_all = utilization.groupby("date")["cycles"].sum()
    daily["Cycles"] = cycles_all.reindex(daily.index)
    return daily


def rolling_hours(utilization: pd.DataFrame, window_days: int) -> pd.Series:
    """Fleet flight hours in the `window_days` days ending on each day (missing days fly 0)."""
    hours = utilization.groupby("date")["flight_hours"].sum()
    days = pd.date_range(hours.index.min(), hours.index.max(), freq="D")
    return hours.reindex(days, fill_value=0.0).rolling(window_days, min_periods=window_days).sum()


def weekly_utilization(
    utilization: pd.DataFrame, week_range: tuple[dt.date, dt.date], window_days: int
) -> pd.DataFrame:
    """Weekly fleet features, indexed by Monday, over `week_range` (its first and last Monday); weeks without
    any utilization are absent (join flags them)."""
    first, last = (pd.Timestamp(d) for d in week_range)
    frame = utilization.assign(week=isoweeks.monday_of(utilization["date"]))
    frame = frame.loc[(frame["week"] >= first) & (frame["week"] <= last)]
    flown = frame.loc[frame["flight_hours"] > 0]
    per_aircraft = flown.groupby(["week", "registration"])["manufacture_date"].min().reset_index()
    per_aircraft["age"] = (per_aircraft["week"] - per_aircraft["manufacture_date"]).dt.days / DAYS_PER_YEAR
    weekly = pd.DataFrame(
        {
            "acft": per_aircraft.groupby("week")["registration"].nunique(),
            "sum_daily_hours": frame.groupby("week")["flight_hours"].sum(),
            "age_fleet": per_aircraft.groupby("week")["age"].mean(),
            "Cycles": frame.groupby("week")["cycles"].sum(),
        }
    )
    sundays = pd.DatetimeIndex(weekly.index) + pd.Timedelta(days=6)
    weekly["sum_uti_mensal"] = rolling_hours(utilization, window_days).reindex(sundays).to_numpy()
    weekly.index.name = "date"
    return weekly


def daily_utilization(utilization: pd.DataFrame, week_range: tuple[dt.date, dt.date], window_days: int) -> pd.DataFrame:
    """Per-day features over the weeks of `week_range` (its first and last Monday); `sum_uti_mensal` is the
    window ending that day."""
    first = max(pd.Timestamp(week_range[0]), isoweeks.first_full_window_day(utilization, window_days))
    last = pd.Timestamp(week_range[1]) + pd.Timedelta(days=6)
    daily = daily_fleet(utilization)
    days = pd.date_range(first, last, freq="D")
    daily = daily.reindex(days)
    daily[["acft", "sum_daily_hours", "Cycles"]] = daily[["acft", "sum_daily_hours", "Cycles"]].fillna(0)
    daily["sum_uti_mensal"] = rolling_hours(utilization, window_days).reindex(days).to_numpy()
    daily.index.name = "date"
    return daily


def hh_by(events: pd.DataFrame, period: str) -> pd.Series:
    """Sum of HH per `week` (Monday) or per `day`."""
    key = events["week"] if period == "week" else events["day"]
    return events.groupby(key.rename("date"))["hh"].sum().rename("HH")

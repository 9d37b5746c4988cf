"""Daily and weekly tables of HH and fleet utilization.

A week is the ISO week, labelled by its Monday. Only complete weeks inside the
utilization range count, and only those whose every day has its whole
`window_days` window inside it, so `sum_uti_mensal` is never a partial sum in
the weekly dataset nor in the daily one.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from hhforecast.errors import ContractError

DAYS_PER_YEAR = 365.25


def dataset_week_range(utilization: pd.DataFrame, window_days: int) -> tuple[dt.date, dt.date]:
    """First and last Monday of the weeks a dataset can hold."""
    if utilization.empty:
        raise ContractError("no utilization rows: cannot define the dataset's weeks")
    first_day = utilization["date"].min()
    last_day = utilization["date"].max()
    earliest_monday = first_day + pd.Timedelta(days=window_days - 1)
    first = earliest_monday + pd.Timedelta(days=(7 - earliest_monday.weekday()) % 7)
    last_sunday = last_day - pd.Timedelta(days=(last_day.weekday() + 1) % 7)
    last = last_sunday - pd.Timedelta(days=6)
    if first > last:
        raise ContractError(
            f"utilization covers {first_day:%Y-%m-%d} to {last_day:%Y-%m-%d}: fewer days than one complete "
            f"week plus the {window_days}-day window (aggregate.window_days)"
        )
    return first.date(), last.date()


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


def weekly_utilization(utilization: pd.DataFrame, weeks: tuple[dt.date, dt.date], window_days: int) -> pd.DataFrame:
    """Weekly fleet features, indexed by Monday; weeks without any utilization are absent (join flags them)."""
    first, last = (pd.Timestamp(d) for d in weeks)
    frame = utilization.assign(week=utilization["date"] - pd.to_timedelta(utilization["date"].dt.day_of_week, unit="D"))
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
    sundays = weekly.index + pd.Timedelta(days=6)
    weekly["sum_uti_mensal"] = rolling_hours(utilization, window_days).reindex(sundays).to_numpy()
    weekly.index.name = "date"
    return weekly


def daily_utilization(utilization: pd.DataFrame, weeks: tuple[dt.date, dt.date], window_days: int) -> pd.DataFrame:
    """Per-day features over the dataset's weeks; `sum_uti_mensal` is the window ending that day."""
    first, last = pd.Timestamp(weeks[0]), pd.Timestamp(weeks[1]) + pd.Timedelta(days=6)
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

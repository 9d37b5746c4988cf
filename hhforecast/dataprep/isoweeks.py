"""ISO weeks: the Monday helpers (the one place a week's Monday is computed) and the one definition of
the dataset's week range.

A week is the ISO week, labelled by its Monday. A week belongs to the dataset
when the `window_days` window ending on its Sunday lies inside the utilization
data (so `sum_uti_mensal` is never a partial sum) and its seven days lie inside
the events' date range (a week before the first export or after the last is
unknown, not "HH = 0").
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

import pandas as pd

from hhforecast.core.errors import ContractError

DAYS_PER_WEEK = 7
Day = TypeVar("Day", bound=dt.date)


def monday(day: Day) -> Day:
    """The Monday that starts `day`'s ISO week: a date for a date, a timestamp for a timestamp."""
    return day - dt.timedelta(days=day.weekday())


def monday_of(stamps: pd.Series) -> pd.Series:
    """Monday that starts each timestamp's ISO week, as a date-only timestamp."""
    days = stamps.dt.normalize()
    return days - pd.to_timedelta(days.dt.day_of_week, unit="D")


def next_monday(day: pd.Timestamp) -> pd.Timestamp:
    """`day` itself when it is a Monday, else the Monday after it."""
    day = pd.Timestamp(day).normalize()
    return day + pd.Timedelta(days=(7 - day.weekday()) % 7)


def last_complete_monday(day: pd.Timestamp) -> pd.Timestamp:
    """Monday of the last week whose Sunday is on or before `day`."""
    day = pd.Timestamp(day).normalize()
    sunday = day - pd.Timedelta(days=(day.weekday() + 1) % 7)
    return sunday - pd.Timedelta(days=6)


def dataset_week_range(
    utilization: pd.DataFrame,
    window_days: int,
    event_days: tuple[pd.Timestamp, pd.Timestamp] | None = None,
) -> tuple[dt.date, dt.date]:
    """First and last Monday of the weeks a dataset can hold.

    `event_days` is the events' first and last day; without it only the
    utilization rule applies (planned weeks have no events).
    """
    if utilization.empty:
        raise ContractError("no utilization rows: cannot define the dataset's weeks")
    first_day, last_day = utilization["date"].min().normalize(), utilization["date"].max().normalize()
    # The window ending on Sunday M + 6 starts on M + 7 - window_days; it must not start before first_day.
    first = next_monday(first_day + pd.Timedelta(days=window_days - DAYS_PER_WEEK))
    last = last_complete_monday(last_day)
    if first > last:
        raise ContractError(
            f"utilization covers {first_day:%Y-%m-%d} to {last_day:%Y-%m-%d}: fewer days than one complete "
            f"week plus the {window_days}-day window (aggregate.window_days)"
        )
    if event_days is not None:
        events_first, events_last = (pd.Timestamp(d).normalize() for d in event_days)
        first = max(first, monday(events_first))
        last = min(last, monday(events_last))
        if first > last:
            raise ContractError(
                f"utilization ({first_day:%Y-%m-%d} to {last_day:%Y-%m-%d}) and events ({events_first:%Y-%m-%d} "
                f"to {events_last:%Y-%m-%d}) share no complete week with a full {window_days}-day window"
            )
    return first.date(), last.date()


def first_full_window_day(utilization: pd.DataFrame, window_days: int) -> pd.Timestamp:
    """The first day whose `window_days` window lies inside the utilization data (the daily dataset starts here)."""
    return utilization["date"].min().normalize() + pd.Timedelta(days=window_days - 1)


def week_index(week_range: tuple[dt.date, dt.date]) -> pd.DatetimeIndex:
    """Every Monday from the first week's to the last's (`week_range` as `dataset_week_range` gives it)."""
    first, last = week_range
    return pd.date_range(pd.Timestamp(first), pd.Timestamp(last), freq="7D")


def day_index(week_range: tuple[dt.date, dt.date]) -> pd.DatetimeIndex:
    """Every day of the weeks, Monday of the first to Sunday of the last."""
    first, last = week_range
    return pd.date_range(pd.Timestamp(first), pd.Timestamp(last) + pd.Timedelta(days=6), freq="D")


def coverage(days: pd.Series) -> dict[str, str]:
    """A source's first and last day, for check-raw and the data-quality metrics."""
    valid = pd.to_datetime(days).dropna()
    if valid.empty:
        return {}
    return {"first": valid.min().strftime("%Y-%m-%d"), "last": valid.max().strftime("%Y-%m-%d")}

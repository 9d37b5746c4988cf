import datetime as dt
import re

import pandas as pd
import pytest

from hhforecast.core.errors import ContractError
from hhforecast.dataprep import isoweeks
from tests.helpers import REPO


def utilization(first: str, last: str) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.date_range(first, last, freq="D")})


def days(first: str, last: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp(first), pd.Timestamp(last)


@pytest.mark.parametrize(
    "first, last, events, first_week, last_week",
    [
        # Utilization from Monday 2020-01-06: the window ending Sunday 2020-02-02 is 2020-01-06..02-02, inside.
        ("2020-01-06", "2020-02-09", None, "2020-01-27", "2020-02-03"),
        # One day later and that window starts a day too early: the first week moves on.
        ("2020-01-07", "2020-02-09", None, "2020-02-03", "2020-02-03"),
        # Last end: a week is in only when its Sunday is covered.
        ("2020-01-06", "2020-02-08", None, "2020-01-27", "2020-01-27"),
        # Wednesday start: the first Sunday whose window fits is 2020-02-02 (window from 2020-01-06).
        ("2020-01-01", "2020-02-16", None, "2020-01-27", "2020-02-10"),
        # Events from Tuesday 2020-02-04 to Wednesday 2020-02-19: the weeks holding the first and the last event.
        ("2020-01-06", "2020-03-01", ("2020-02-04", "2020-02-19"), "2020-02-03", "2020-02-17"),
        # Events starting before the utilization window fits: utilization decides the first week.
        ("2020-01-06", "2020-03-01", ("2019-12-01", "2020-02-02"), "2020-01-27", "2020-01-27"),
    ],
)
def test_the_week_rule_pins_both_ends(first, last, events, first_week, last_week):
    event_days = days(*events) if events else None
    assert isoweeks.dataset_week_range(utilization(first, last), 28, event_days) == (
        dt.date.fromisoformat(first_week),
        dt.date.fromisoformat(last_week),
    )


@pytest.mark.parametrize(
    "frame, events, message",
    [
        (utilization("2020-01-06", "2020-01-31"), None, "fewer days than one complete week plus the 28-day window"),
        (pd.DataFrame({"date": pd.to_datetime([])}), None, "no utilization rows"),
        (
            utilization("2020-01-06", "2020-03-01"),
            days("2019-01-01", "2019-12-31"),
            r"utilization \(2020-01-06 to 2020-03-01\) and events \(2019-01-01 to 2019-12-31\) share no complete week",
        ),
    ],
)
def test_no_possible_week_is_an_error_naming_the_ranges(frame, events, message):
    with pytest.raises(ContractError, match=message):
        isoweeks.dataset_week_range(frame, 28, events)


def test_monday_helpers():
    stamps = pd.Series(pd.to_datetime(["2020-01-05 23:00", "2020-01-06 08:00", "2020-01-12 00:00"]))
    assert isoweeks.monday_of(stamps).dt.strftime("%Y-%m-%d").tolist() == ["2019-12-30", "2020-01-06", "2020-01-06"]
    assert isoweeks.next_monday(pd.Timestamp("2020-01-06")) == pd.Timestamp("2020-01-06")
    assert isoweeks.next_monday(pd.Timestamp("2020-01-07")) == pd.Timestamp("2020-01-13")
    assert isoweeks.last_complete_monday(pd.Timestamp("2020-01-12")) == pd.Timestamp("2020-01-06")
    assert isoweeks.last_complete_monday(pd.Timestamp("2020-01-11")) == pd.Timestamp("2019-12-30")
    assert len(isoweeks.day_index((dt.date(2020, 1, 6), dt.date(2020, 1, 13)))) == 14
    assert isoweeks.coverage(pd.Series(pd.to_datetime(["2020-01-07", None, "2020-01-03"]))) == {
        "first": "2020-01-03",
        "last": "2020-01-07",
    }


@pytest.mark.parametrize(
    "day, monday",
    [
        (dt.date(2020, 1, 6), dt.date(2020, 1, 6)),  # a Monday is its own week's
        (dt.date(2020, 1, 12), dt.date(2020, 1, 6)),  # a Sunday ends the week
        (dt.date(2020, 1, 1), dt.date(2019, 12, 30)),  # ISO week 1 of 2020 starts in 2019
        (pd.Timestamp("2020-01-08"), pd.Timestamp("2020-01-06")),  # a timestamp stays a timestamp
    ],
)
def test_monday_of_one_day(day, monday):
    got = isoweeks.monday(day)
    assert got == monday and type(got) is type(monday)


# A weekday turned into days to step back by: how a Monday is reached, whatever the spelling.
STEP_TO_MONDAY = re.compile(r"(weekday\(\)|day_of_week).*[Tt]imedelta|[Tt]imedelta.*(weekday\(\)|day_of_week)")


def test_a_weeks_monday_is_computed_here_and_nowhere_else_in_the_library():
    computing = sorted(
        path.relative_to(REPO).as_posix()
        for path in (REPO / "hhforecast").rglob("*.py")
        if STEP_TO_MONDAY.search(path.read_text(encoding="utf-8"))
    )
    assert computing == ["hhforecast/dataprep/isoweeks.py"]


@pytest.mark.parametrize(
    "line, found",
    [
        ("    return value - dt.timedelta(days=value.weekday())", True),
        ('    week = stamps - pd.to_timedelta(stamps.dt.day_of_week, unit="D")', True),
        ("    if value.weekday() != 0:", False),  # checking for a Monday is not computing one
    ],
)
def test_the_monday_pattern_tells_computing_from_checking(line, found):
    assert bool(STEP_TO_MONDAY.search(line)) == found

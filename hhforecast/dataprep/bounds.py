"""Physical bounds on a week's features: one definition for `hh predict`, the API and the pipeline's checks.

A week cannot hold more than 168 flight hours per aircraft, nor a 28-day window
more than 672; numbers beyond these are typing errors or overflow, and a model
fed them answers nonsense (or nothing). Every refusal names the field and the bound.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

HOURS_PER_DAY = 24.0
MAX_HOURS_PER_AIRCRAFT_WEEK = 7 * HOURS_PER_DAY  # 168
WINDOW_DAYS = 28  # sum_uti_mensal's window (aggregate.window_days)
MAX_HOURS_PER_AIRCRAFT_WINDOW = WINDOW_DAYS * HOURS_PER_DAY  # 672
MAX_CYCLES_PER_FLIGHT_HOUR = 6.0  # a 10-minute sector; airline flying is about 1
MAX_AGE_YEARS = 60.0
MAX_AIRCRAFT = 2_000  # above the largest airline fleet

# Each feature alone: [low, high]; the API's OpenAPI schema states the same numbers.
FIELD_RANGES: dict[str, tuple[float, float]] = {
    "acft": (0.0, float(MAX_AIRCRAFT)),
    "sum_daily_hours": (0.0, MAX_AIRCRAFT * MAX_HOURS_PER_AIRCRAFT_WEEK),
    "age_fleet": (0.0, MAX_AGE_YEARS),
    "Cycles": (0.0, MAX_AIRCRAFT * MAX_HOURS_PER_AIRCRAFT_WEEK * MAX_CYCLES_PER_FLIGHT_HOUR),
    "sum_uti_mensal": (0.0, MAX_AIRCRAFT * MAX_HOURS_PER_AIRCRAFT_WINDOW),
}

# Between features: (field, the field it is bounded by, factor, how the bound reads).
RELATIONS: list[tuple[str, str, float, str]] = [
    (
        "sum_daily_hours",
        "acft",
        MAX_HOURS_PER_AIRCRAFT_WEEK,
        f"at most {MAX_HOURS_PER_AIRCRAFT_WEEK:g} flight hours per aircraft per week",
    ),
    (
        "sum_uti_mensal",
        "acft",
        MAX_HOURS_PER_AIRCRAFT_WINDOW,
        f"at most {MAX_HOURS_PER_AIRCRAFT_WINDOW:g} flight hours per aircraft in {WINDOW_DAYS} days",
    ),
    (
        "Cycles",
        "sum_daily_hours",
        MAX_CYCLES_PER_FLIGHT_HOUR,
        f"at most {MAX_CYCLES_PER_FLIGHT_HOUR:g} cycles per flight hour",
    ),
]


def field_problem(field: str, value: float) -> str | None:
    """Why one feature value is impossible on its own, or None."""
    if not math.isfinite(value):
        return f"{field} must be a finite number, got {value!r}"
    low, high = FIELD_RANGES[field]
    if not low <= value <= high:
        return f"{field} must lie in [{low:g}, {high:g}], got {value:g}"
    return None


def relation_problem(field: str, values: dict[str, float]) -> str | None:
    """Why `field` is impossible given the feature it is bounded by (both already in `values`), or None."""
    for name, other, factor, rule in RELATIONS:
        if name == field and other in values and values[field] > factor * values[other] + 1e-9:
            return (
                f"{field} {values[field]:g} is above {factor * values[other]:g} ({rule}; {other} = {values[other]:g})"
            )
    return None


def _constant(text: str) -> Callable[[pd.DataFrame], str]:
    return lambda rows: text


def _relative_bound(other: str, factor: float, rule: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda rows: rows[other].astype(float).map(lambda v: f"<= {factor * v:g} ({rule}; {other} = {v:g})")


def violations(frame: pd.DataFrame) -> pd.DataFrame:
    """Every out-of-bounds cell of a frame of weekly features: index, column, value, bound (empty when all hold)."""
    found: list[pd.DataFrame] = []

    def add(column: str, bad: Any, bound: Callable[[pd.DataFrame], Any]) -> None:
        if bool(bad.any()):
            rows = frame.loc[bad]
            found.append(
                pd.DataFrame(
                    {"index": rows.index, "column": column, "value": rows[column].astype(float), "bound": bound(rows)}
                )
            )

    for column, (low, high) in FIELD_RANGES.items():
        values = frame[column].astype(float)
        add(column, ~np.isfinite(values), _constant("a finite number"))
        add(
            column,
            np.isfinite(values) & ((values < low) | (values > high)),
            _constant(f"within [{low:g}, {high:g}]"),
        )
    for column, other, factor, rule in RELATIONS:
        bad = frame[column].astype(float) > factor * frame[other].astype(float) + 1e-9
        add(
            column,
            bad,
            _relative_bound(other, factor, rule),
        )
    columns = ["index", "column", "value", "bound"]
    return pd.concat(found, ignore_index=True)[columns] if found else pd.DataFrame(columns=columns)


def non_finite_rows(frame: pd.DataFrame, columns: list[str]) -> list[int]:
    """Positions of rows with an empty or non-finite value in any of `columns` (a forecast must have none)."""
    values = frame[columns].to_numpy(dtype="float64", na_value=np.nan)
    return np.flatnonzero(~np.isfinite(values).all(axis=1)).tolist()

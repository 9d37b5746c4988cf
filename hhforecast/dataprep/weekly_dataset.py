"""Join weekly HH with weekly utilization into the modelling dataset, and validate it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from hhforecast.core import config
from hhforecast.core.errors import ConfigError, ContractError

FEATURES = ["acft", "sum_daily_hours", "age_fleet", "Cycles", "sum_uti_mensal"]
TARGET = "HH"
DATASET_COLUMNS = ["date", *FEATURES, TARGET]
FLOAT_FORMAT = "%.6f"


def join(utilization: pd.DataFrame, hh: pd.Series, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Dataset rows for every date in `dates` (missing utilization stays missing; no HH means 0)."""
    frame = utilization.reindex(dates)[FEATURES].astype("float64")
    frame[TARGET] = hh.reindex(dates, fill_value=0.0).astype("float64")
    frame.index.name = "date"
    frame = frame.reset_index()
    return frame[DATASET_COLUMNS]


def _dataset_schema(step_days: int, mondays: bool, allow_idle: bool) -> pa.DataFrameSchema:
    """`allow_idle`: a single day may see no flight at all; a whole week may not."""
    date_checks = [
        pa.Check(
            lambda s: s.diff().dropna().dt.days.eq(step_days),
            element_wise=False,
            error=f"dates must be contiguous, {step_days} day(s) apart (a gap means missing utilization)",
        ),
    ]
    if mondays:
        date_checks.append(pa.Check(lambda s: s.dt.day_of_week == 0, error="date must be a Monday"))
    return pa.DataFrameSchema(
        {
            "date": pa.Column("datetime64[us]", date_checks, unique=True),
            "acft": pa.Column(
                float, [pa.Check.ge(0 if allow_idle else 1), pa.Check(lambda s: s == s.round(), error="whole aircraft")]
            ),
            "sum_daily_hours": pa.Column(float, pa.Check.ge(0) if allow_idle else pa.Check.gt(0)),
            "age_fleet": pa.Column(float, pa.Check.in_range(0, 80), nullable=allow_idle),
            "Cycles": pa.Column(float, [pa.Check.ge(0), pa.Check(lambda s: s == s.round(), error="whole cycles")]),
            "sum_uti_mensal": pa.Column(float, pa.Check.gt(0)),
            "HH": pa.Column(float, pa.Check.ge(0)),
        },
        checks=[
            pa.Check(
                lambda df: df["sum_uti_mensal"] >= df["sum_daily_hours"] - 1e-6,
                error="sum_uti_mensal must cover at least the period's own hours",
            ),
        ],
        strict=True,
        ordered=True,
        coerce=False,
        name="dataset",
    )


WEEKLY_SCHEMA = _dataset_schema(7, mondays=True, allow_idle=False)
DAILY_SCHEMA = _dataset_schema(1, mondays=False, allow_idle=True)


def validate(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """Every failed check as a row (empty when the dataset is valid); validation is lazy."""
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as exc:
        cases = exc.failure_cases
        columns = ["schema_context", "column", "check", "check_number", "failure_case", "index"]
        return cases[[c for c in columns if c in cases.columns]].astype("string").reset_index(drop=True)
    return pd.DataFrame(columns=["schema_context", "column", "check", "check_number", "failure_case", "index"])


def zero_hh_weeks(frame: pd.DataFrame, allowed: list[dt.date]) -> list[str]:
    """Weeks whose fleet flew but whose kept HH is 0 (the "HH > 0" check), except the Mondays allowed.

    A flying fleet raises defects every week; a zero is far likelier a missing export than a quiet week.
    """
    allowed_days = {pd.Timestamp(d) for d in allowed}
    zero = (frame["sum_daily_hours"] > 0) & frame["HH"].eq(0) & ~frame["date"].isin(allowed_days)
    return frame.loc[zero, "date"].dt.strftime("%Y-%m-%d").tolist()


def missing_dates(frame: pd.DataFrame) -> list[str]:
    """Dates with no utilization at all (broken collection, not a quiet week)."""
    return frame.loc[frame["acft"].isna() | frame["acft"].eq(0), "date"].dt.strftime("%Y-%m-%d").tolist()


def to_csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Fixed representation: ISO dates, whole numbers as integers, the rest with FLOAT_FORMAT."""
    out = frame.copy()
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    for column in ("acft", "Cycles"):
        out[column] = out[column].round().astype("Int64")
    return out


def read_dataset(path: str | Path) -> pd.DataFrame:
    """The weekly dataset as written by `join`, with `date` as timestamps."""
    frame = pd.read_csv(path)
    missing = [c for c in DATASET_COLUMNS if c not in frame.columns]
    if missing:
        raise ContractError(f"dataset lacks column(s) {missing}", file=str(path))
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d")
    return frame


def resolve_train_end(dataset: pd.DataFrame, train_end: dt.date | str) -> dt.date:
    """split.train_end as a date: a fixed Monday as written, or `latest`, the dataset's last week (every week
    in the dataset is complete), so the same data always resolves to the same date."""
    if train_end != config.LATEST:
        return train_end if isinstance(train_end, dt.date) else dt.date.fromisoformat(train_end)
    if dataset.empty:
        raise ConfigError("split.train_end=latest: the weekly dataset has no weeks to end the training window on")
    return pd.Timestamp(dataset["date"].max()).date()


def temporal_split(
    dataset: pd.DataFrame, train_end: dt.date | str, val_weeks: int, test_weeks: int
) -> dict[str, pd.DataFrame]:
    """train | val | test in time order, all on or before `train_end` (a Monday, or `latest`: see
    `resolve_train_end`); `production` is everything after.

    Never random: the test window is the most recent year the model may see, and
    the weeks after `train_end` are kept for monitoring.
    """
    train_end = resolve_train_end(dataset, train_end)
    end = pd.Timestamp(train_end)
    known = dataset.loc[dataset["date"] <= end].reset_index(drop=True)
    if len(known) < val_weeks + test_weeks + 52:
        raise ConfigError(
            f"split: {len(known)} weeks up to split.train_end={train_end} leave fewer than 52 training weeks "
            f"after {val_weeks} validation and {test_weeks} test weeks"
        )
    n_train = len(known) - val_weeks - test_weeks
    return {
        "train": known.iloc[:n_train].reset_index(drop=True),
        "val": known.iloc[n_train : n_train + val_weeks].reset_index(drop=True),
        "test": known.iloc[n_train + val_weeks :].reset_index(drop=True),
        "production": production_weeks(dataset, train_end),
    }


def production_weeks(dataset: pd.DataFrame, train_end: dt.date | str) -> pd.DataFrame:
    """The weeks after `train_end`: the production period, never seen by training or evaluation (none under
    `latest`: the model has learned every week there is)."""
    end = pd.Timestamp(resolve_train_end(dataset, train_end))
    return dataset.loc[dataset["date"] > end].reset_index(drop=True)


def xy(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Feature matrix in training order, and the target."""
    return frame[FEATURES].to_numpy(dtype="float64"), frame[TARGET].to_numpy(dtype="float64")

"""Batch forecasts: planned weeks in, HH with ranges out.

Planned weeks come either as the dataset's feature columns, or as planned
utilization in the raw export format, which goes through the same cleaning and
aggregation code as the pipeline.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hhforecast.core.config import Params
from hhforecast.core.contract import alias_lookup, normalize_name
from hhforecast.core.errors import ContractError, HHForecastError
from hhforecast.dataprep import aggregate, bounds, clean, ingest, isoweeks
from hhforecast.dataprep.weekly_dataset import FEATURES
from hhforecast.serving.bundle import Bundle

DATE = "date"
FIRST_DATA_ROW = 2  # row numbers as a spreadsheet shows them: the header is row 1

# `hh predict --template` (and examples/planned.csv): two planned weeks of a fleet like the synthetic world's
# at its end, as an example of the format (a Monday per row, then the features the model learned from).
TEMPLATE_WEEKS = (
    {
        DATE: "2025-01-06",
        "acft": 40,
        "sum_daily_hours": 2800.0,
        "age_fleet": 9.6,
        "Cycles": 2150,
        "sum_uti_mensal": 11000.0,
    },
    {
        DATE: "2025-01-13",
        "acft": 40,
        "sum_daily_hours": 2750.0,
        "age_fleet": 9.6,
        "Cycles": 2120,
        "sum_uti_mensal": 11100.0,
    },
)


def planned_template() -> str:
    """A planned-weeks CSV to fill in: the header `hh predict` reads and two example weeks."""
    frame = pd.DataFrame(list(TEMPLATE_WEEKS), columns=[DATE, *FEATURES])
    return frame.to_csv(index=False, lineterminator="\n")


def validate_planned_weeks(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """Feature rows, checked cell by cell; the first bad cell is named by row and column."""
    if frame.empty:
        raise ContractError("no planned weeks: the file has a header but no rows", file=file)
    missing = [c for c in [DATE, *FEATURES] if c not in frame.columns]
    if missing:
        raise ContractError(
            f"missing column(s) {', '.join(repr(m) for m in missing)}; expected {[DATE, *FEATURES]}", file=file
        )
    rows = pd.Series(np.arange(len(frame)) + FIRST_DATA_ROW, index=frame.index)
    dates = pd.to_datetime(frame[DATE].astype("string").str.strip(), format="%Y-%m-%d", errors="coerce")
    _first_bad(dates.isna(), rows, file, DATE, frame[DATE], "not a date (expected YYYY-MM-DD)")
    _first_bad(
        dates.dt.day_of_week != 0, rows, file, DATE, frame[DATE], "not a Monday (weeks are labelled by their Monday)"
    )
    _first_bad(dates.duplicated(), rows, file, DATE, frame[DATE], "the same week appears twice")
    values = pd.DataFrame(index=frame.index)
    for column in FEATURES:
        numbers = pd.to_numeric(frame[column].astype("string").str.strip(), errors="coerce")
        _first_bad(
            numbers.isna() | ~np.isfinite(numbers.astype(float)), rows, file, column, frame[column], "not a number"
        )
        _first_bad(numbers < 0, rows, file, column, frame[column], "negative")
        values[column] = numbers.astype("float64")
    _refuse_out_of_bounds(values, file, rows=rows)
    values.insert(0, DATE, dates.dt.normalize())
    return values.reset_index(drop=True)


def _refuse_out_of_bounds(
    values: pd.DataFrame, file: str, rows: pd.Series | None = None, dates: pd.Series | None = None
) -> None:
    """The first physically impossible cell (bounds.py), named by row (or week), column and bound."""
    found = bounds.violations(values)
    if len(found):
        first = found.iloc[0]
        week = f"week {dates.loc[first['index']]:%Y-%m-%d}: " if dates is not None else ""
        raise ContractError(
            f"{week}{first['value']:g} is out of bounds: must be {first['bound']}",
            file=file,
            row=int(rows.loc[first["index"]]) if rows is not None else None,
            column=str(first["column"]),
        )


def weeks_from_utilization(raw: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Planned aircraft-days -> weekly features, with the pipeline's own clean and aggregate code."""
    utilization, _ = clean.clean_utilization(raw, params.clean)
    week_range = isoweeks.dataset_week_range(utilization, params.aggregate.window_days)
    weekly = aggregate.weekly_utilization(utilization, week_range, params.aggregate.window_days)
    weekly = weekly.reset_index()[[DATE, *FEATURES]].astype({c: "float64" for c in FEATURES})
    file = str(raw["file"].iloc[0]) if "file" in raw.columns and len(raw) else "planned utilization"
    _refuse_out_of_bounds(weekly[FEATURES], file, dates=weekly[DATE])
    return weekly


def read_planned(path: Path, params: Params) -> tuple[pd.DataFrame, str]:
    """Planned weeks from a CSV, and which format it was ('features' or 'utilization')."""
    display = str(path)
    if not path.exists():
        raise ContractError("file not found", file=display)
    text, _ = ingest.decode_csv(path.read_bytes(), display)
    delimiter = ingest.sniff_delimiter(text, display)
    header = [normalize_name(c) for c in text.splitlines()[0].split(delimiter)]
    utilization_columns = set(alias_lookup(params.contract.utilization.aliases).get(h) for h in header)
    if set(params.contract.utilization.required) <= utilization_columns and "acft" not in header:
        raw, _ = ingest.read_delimited(path, params.contract, display, "utilization")
        return weeks_from_utilization(raw, params), "utilization"
    frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype="string", keep_default_na=False)
    frame.columns = [c.strip() for c in frame.columns]
    return validate_planned_weeks(frame, display), "features"


def forecast_fields(bundle: Bundle, x: np.ndarray) -> dict[str, np.ndarray]:
    """The forecast record, field by field, for rows of features in training order (the week's date aside):
    predicted_hh, lower_ and upper_ per range, model_version, extrapolation (does the week lie outside the
    training range?) and extrapolated_features (the features that do, comma-separated; '' when none).
    The batch file's columns and the API's answer are these."""
    flags = np.asarray(bundle.extrapolated_features(x), dtype=object)
    return {
        **bundle.predict_array(x),
        "model_version": np.full(len(x), bundle.version, dtype=object),
        "extrapolation": flags != "",
        "extrapolated_features": flags,
    }


def number_fields(fields: dict[str, np.ndarray]) -> list[str]:
    """The record's numbers: predicted_hh and the ranges' bounds."""
    return [name for name, values in fields.items() if values.dtype.kind == "f"]


def forecast_records(dates: Sequence[str], fields: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """The same records as JSON objects, one per week: numbers as floats, the extrapolated features as a list."""
    numbers = number_fields(fields)
    records = []
    for i, date in enumerate(dates):
        outside = str(fields["extrapolated_features"][i])
        records.append(
            {
                DATE: date,
                **{name: float(fields[name][i]) for name in numbers},
                "model_version": str(fields["model_version"][i]),
                "extrapolation": bool(fields["extrapolation"][i]),
                "extrapolated_features": outside.split(",") if outside else [],
            }
        )
    return records


def forecast(bundle: Bundle, planned: pd.DataFrame) -> pd.DataFrame:
    """The forecast records of planned weeks (the date, then the model's features in training order) as a
    table, dates as YYYY-MM-DD. Other feature columns, or the same in another order, are refused."""
    features = planned.drop(columns=DATE)
    bundle.check_schema(list(features.columns))
    fields = forecast_fields(bundle, features.to_numpy(dtype="float64"))
    out = pd.DataFrame({DATE: pd.to_datetime(planned[DATE]).dt.strftime("%Y-%m-%d").to_numpy(), **fields})
    bad = bounds.non_finite_rows(out, number_fields(fields))
    if bad:  # bounded inputs make this unreachable; a forecast file must still never hold an empty value
        raise HHForecastError(
            f"the model gave an empty or non-finite forecast for week(s) "
            f"{', '.join(out[DATE].iloc[bad[:5]])}; nothing written"
        )
    return out


def _first_bad(bad: pd.Series, rows: pd.Series, file: str, column: str, raw: pd.Series, message: str) -> None:
    bad = bad.fillna(True) if bad.dtype == "boolean" else bad
    if bool(bad.any()):
        where = bad[bad].index[0]
        raise ContractError(f"{message}: {raw.loc[where]!r}", file=file, row=int(rows.loc[where]), column=column)

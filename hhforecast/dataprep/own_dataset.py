"""A weekly dataset brought in whole (`data.source: dataset`), such as one the thesis's notebooks made: read
cell by cell so that a bad value is named by its row, week and column, then checked by the rules `join`
applies to the dataset it builds (contiguous Mondays, no nulls, the features' bounds, HH > 0 unless allowed).
The file in, the dataset and its assessment out; only `read` and `require_passed` raise."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hhforecast.core import config
from hhforecast.core.errors import ContractError, DataQualityError
from hhforecast.dataprep import quality, weekly_dataset

# The column pandas writes for a frame's index when a notebook calls `to_csv` without `index=False`.
NOTEBOOK_INDEX = "Unnamed: 0"
HEADER_ROWS = 1  # lines above the first week: the header
# A week's date as the contract writes it, or with the midnight time a notebook's datetime index adds.
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}( 00:00:00)?")
SHOWN = 5  # failed cells named in the error


def file_row(position: int) -> int:
    """The file's line number (1-based, the header being line 1) of the frame's row at `position`."""
    return position + HEADER_ROWS + 1


def _parse_dates(text: pd.Series, file: str) -> pd.Series:
    """ISO dates (YYYY-MM-DD), optionally with a midnight time (a notebook's datetime index); anything else,
    a time zone included, is named with its row."""
    stripped = text.str.strip()
    shaped = stripped.str.fullmatch(DATE_PATTERN)
    parsed = pd.to_datetime(stripped.str.slice(0, 10).where(shaped), format="%Y-%m-%d", errors="coerce")
    bad = parsed.isna()
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        raise ContractError(
            f"{text.iloc[position]!r} is not a date (YYYY-MM-DD); {int(bad.sum())} such cell(s)",
            file=file,
            row=file_row(position),
            column="date",
        )
    not_monday = parsed.dt.day_of_week != 0
    if not_monday.any():
        position = int(not_monday.to_numpy().nonzero()[0][0])
        day = parsed.iloc[position]
        raise ContractError(
            f"{day:%Y-%m-%d} is a {day:%A}: a week is named by its Monday ({int(not_monday.sum())} such row(s); "
            f"a notebook's resample('W') names weeks by their Sunday: subtract 6 days)",
            file=file,
            row=file_row(position),
            column="date",
        )
    return parsed.astype("datetime64[us]")


def _parse_numbers(text: pd.Series, column: str, weeks: pd.Series, file: str) -> pd.Series:
    """Decimal numbers with a point; an empty cell or any other text is named with its week."""
    stripped = text.str.strip()
    parsed = pd.to_numeric(stripped, errors="coerce").astype("float64")
    bad = pd.Series(~np.isfinite(parsed.to_numpy()), index=parsed.index)  # empty, text or "inf": not a value
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        value = stripped.iloc[position]
        problem = "is empty" if value == "" else f"{value!r} is not a number (decimal point, no thousands separator)"
        raise ContractError(
            f"week {weeks.iloc[position]:%Y-%m-%d}: {problem}; {int(bad.sum())} such cell(s) in this column",
            file=file,
            row=file_row(position),
            column=column,
        )
    return parsed


def read(path: Path) -> pd.DataFrame:
    """The dataset at `path` in the order and types `join` writes, the columns of `weekly_dataset.DATASET_COLUMNS`
    (a notebook's index column is dropped). Raises ContractError naming the file, row and column."""
    file = path.as_posix()
    if not path.is_file():
        raise ContractError("no such file (data.dataset_path in params.yaml)", file=file)
    try:
        # Blank lines are kept (as empty rows, refused below), so that a row's number is its line in the file.
        text = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ContractError(f"not a readable CSV file ({exc})", file=file) from None
    text = text.drop(columns=[NOTEBOOK_INDEX], errors="ignore")
    missing = [c for c in weekly_dataset.DATASET_COLUMNS if c not in text.columns]
    if missing:
        raise ContractError(
            f"lacks column(s) {missing}; it has {list(text.columns)} (docs/own-data.md maps a notebook's names)",
            file=file,
        )
    extra = [c for c in text.columns if c not in weekly_dataset.DATASET_COLUMNS]
    if extra:
        raise ContractError(f"has column(s) {extra} the dataset does not define; remove them", file=file)
    if text.empty:
        raise ContractError("has a header but no weeks", file=file)
    frame = pd.DataFrame({"date": _parse_dates(text["date"], file)})
    for column in weekly_dataset.FEATURES + [weekly_dataset.TARGET]:
        frame[column] = _parse_numbers(text[column], column, frame["date"], file)
    return frame


def assess(weekly: pd.DataFrame, allowed_zero_hh: list[dt.date], dataset_path: Path) -> quality.Assessment:
    """Join's checks of the weekly dataset (its schema, the features' bounds, the zero-HH weeks), and the
    quality summary of a dataset brought in: no raw rows, the weeks, and the failures."""
    missing = weekly_dataset.missing_dates(weekly)
    zero_hh = weekly_dataset.zero_hh_weeks(weekly, allowed_zero_hh)
    failed = quality.failures(weekly, None, zero_hh)
    summary: dict[str, Any] = {
        "source": config.DATASET_SOURCE,
        "dataset_path": dataset_path.as_posix(),
        "weeks": len(weekly),
        "missing_weeks": len(missing),
        "first_week": weekly["date"].min().strftime("%Y-%m-%d"),
        "last_week": weekly["date"].max().strftime("%Y-%m-%d"),
        "zero_hh_weeks": zero_hh,
        "hh_total": round(float(weekly["HH"].sum()), 6),
        "schema_failures": len(failed),
    }
    return quality.Assessment(failed, summary, zero_hh, missing)


def _week_and_row(weeks: pd.Series, week: str) -> str:
    """A week (YYYY-MM-DD) as an error names it: "W (row R)", R its line in the file; the week alone if absent."""
    matches = (weeks.dt.strftime("%Y-%m-%d") == week).to_numpy().nonzero()[0]
    return f"{week} (row {file_row(int(matches[0]))})" if len(matches) else week


def _where(row: pd.Series, weeks: pd.Series) -> str:
    """One failed check as "column (check) at week W (row R)", or the column and check for a whole-table check.
    A check's index is a row position (the schema's) or a week (the bounds' and the zero-HH check's)."""
    where = f"{row['column']} ({row['check']})" if isinstance(row["column"], str) else str(row["check"])
    index = row["index"]
    if not isinstance(index, str) or index in ("", "<NA>"):
        return where
    if index.isdigit() and int(index) < len(weeks):
        index = f"{weeks.iloc[int(index)]:%Y-%m-%d}"
    return f"{where} at week {_week_and_row(weeks, index)}"


def gaps(weekly: pd.DataFrame) -> list[str]:
    """Each break in the run of Mondays, as "after W (row R) comes V": a week missing or out of order."""
    dates = weekly["date"]
    broken = (dates.diff().dt.days != 7).to_numpy().nonzero()[0]
    return [
        f"after {dates.iloc[p - 1]:%Y-%m-%d} (row {file_row(p - 1)}) comes {dates.iloc[p]:%Y-%m-%d}"
        for p in broken
        if p
    ]


def require_passed(
    assessment: quality.Assessment, weekly: pd.DataFrame, dataset_path: Path, failures_file: str
) -> None:
    """Raise DataQualityError naming the dataset's first failed cells by week, row and column (all of them are
    in `failures_file`): first the weeks out of sequence, then the weeks with no HH, then every other check."""
    failed = assessment.failures
    breaks = gaps(weekly)
    if breaks:
        raise DataQualityError(
            f"{dataset_path.as_posix()}, column 'date': the weeks must follow each other, 7 days apart; "
            f"{'; '.join(breaks[:SHOWN])}{'...' if len(breaks) > SHOWN else ''}",
            file=failures_file,
        )
    if assessment.zero_hh:
        rows = [_week_and_row(weekly["date"], week) for week in assessment.zero_hh]
        raise DataQualityError(
            f"{dataset_path.as_posix()}, column 'HH': {len(assessment.zero_hh)} week(s) where the fleet flew but HH "
            f"is 0: {', '.join(rows[:SHOWN])}{'...' if len(rows) > SHOWN else ''}; if genuine, list them in "
            "quality.allow_zero_hh_weeks in params.yaml",
            file=failures_file,
        )
    if len(failed):
        named = [_where(row, weekly["date"]) for _, row in failed.head(SHOWN).iterrows()]
        raise DataQualityError(
            f"{dataset_path.as_posix()}: {len(failed)} failed check(s): {'; '.join(named)}"
            f"{'...' if len(failed) > SHOWN else ''}",
            file=failures_file,
        )

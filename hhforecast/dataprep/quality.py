"""The data-quality gate of `join`: every failed check of the weekly and daily datasets in one table
(metrics/data_quality_failures.csv), the quality summary (metrics/data_quality.json), and the error that stops
the pipeline once both are written. Frames and dicts in, frames and dicts out; only `require_passed` raises."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from hhforecast.core.errors import DataQualityError
from hhforecast.dataprep import bounds, weekly_dataset

SHOWN = 10  # zero-HH weeks named in the error
SHOWN_MISSING = 5  # missing weeks named in the error


@dataclass(frozen=True)
class Assessment:
    failures: pd.DataFrame  # one row per failed check: schema_context, column, check, failure_case, index, dataset
    summary: dict[str, Any]  # metrics/data_quality.json
    zero_hh: list[str]  # weeks the fleet flew with no kept HH (not allowed in params.yaml)
    missing: list[str]  # weeks with no utilization at all


def bounds_failures(weekly: pd.DataFrame) -> pd.DataFrame:
    """The weekly features' out-of-bounds cells as failure rows (weeks missing a value fail the schema instead)."""
    found = bounds.violations(weekly[weekly_dataset.FEATURES].dropna())
    return pd.DataFrame(
        {
            "schema_context": "bounds",
            "column": found["column"],
            "check": found["bound"],
            "failure_case": found["value"].astype(str),
            "index": weekly.loc[found["index"], "date"].dt.strftime("%Y-%m-%d").to_numpy(),
            "dataset": "weekly",
        }
    )


def zero_hh_failures(zero_hh: list[str]) -> pd.DataFrame:
    """A failure row per week whose fleet flew while its kept HH is 0."""
    return pd.DataFrame(
        {
            "schema_context": "DataFrameSchema",
            "column": "HH",
            "check": "hh_positive_when_flying",
            "failure_case": "0.0",
            "index": zero_hh,
            "dataset": "weekly",
        }
    )


def failures(weekly: pd.DataFrame, daily: pd.DataFrame | None, zero_hh: list[str]) -> pd.DataFrame:
    """Schema failures of both datasets (the weekly alone for a dataset brought in whole: `daily` None), then
    the weekly features' bounds, then the zero-HH weeks."""
    schemas = [weekly_dataset.validate(weekly, weekly_dataset.WEEKLY_SCHEMA).assign(dataset="weekly")]
    if daily is not None:
        schemas.append(weekly_dataset.validate(daily, weekly_dataset.DAILY_SCHEMA).assign(dataset="daily"))
    found = pd.concat(schemas, ignore_index=True)
    beyond = bounds_failures(weekly)
    if len(beyond):
        found = pd.concat([found, beyond], ignore_index=True)
    if zero_hh:
        found = pd.concat([found, zero_hh_failures(zero_hh)], ignore_index=True)
    return found


def summary(
    weekly: pd.DataFrame,
    week_range: tuple[dt.date, dt.date],
    missing: list[str],
    zero_hh: list[str],
    failed: pd.DataFrame,
    clean_summary: dict[str, Any],
    ingest_summary: dict[str, Any],
) -> dict[str, Any]:
    """metrics/data_quality.json: rows through ingest and clean, the weeks, their coverage, and the failures."""
    return {
        "rows": {
            "events_read": ingest_summary["events_read"],
            "events_kept": clean_summary["events_kept"],
            "rejected": clean_summary["rejected"],
            "rejected_by_reason": clean_summary["rejected_by_reason"],
            "utilization_read": ingest_summary["utilization_read"],
            "utilization_kept": clean_summary["utilization_kept"],
            "total_rows_skipped": ingest_summary["total_rows_skipped"],
            "blank_rows_skipped": ingest_summary["blank_rows_skipped"],
        },
        "weeks": len(weekly),
        "missing_weeks": len(missing),
        "first_week": week_range[0].isoformat(),
        "last_week": week_range[1].isoformat(),
        "coverage": clean_summary["coverage"],
        "zero_hh_weeks": zero_hh,
        "hh_total": round(float(weekly["HH"].sum()), 6),
        "schema_failures": len(failed),
    }


def assess(
    weekly: pd.DataFrame,
    daily: pd.DataFrame,
    week_range: tuple[dt.date, dt.date],
    allowed_zero_hh: list[dt.date],
    clean_summary: dict[str, Any],
    ingest_summary: dict[str, Any],
) -> Assessment:
    """Every check of the joined datasets, and the summary that records them."""
    missing = weekly_dataset.missing_dates(weekly)
    zero_hh = weekly_dataset.zero_hh_weeks(weekly, allowed_zero_hh)
    failed = failures(weekly, daily, zero_hh)
    return Assessment(
        failed, summary(weekly, week_range, missing, zero_hh, failed, clean_summary, ingest_summary), zero_hh, missing
    )


def require_passed(assessment: Assessment, failures_file: str) -> None:
    """Raise DataQualityError naming the zero-HH weeks, else the failed checks by dataset, column and check."""
    zero_hh, missing, failed = assessment.zero_hh, assessment.missing, assessment.failures
    if zero_hh:
        raise DataQualityError(
            f"{len(zero_hh)} week(s) where the fleet flew but kept HH is 0: {', '.join(zero_hh[:SHOWN])}"
            f"{'...' if len(zero_hh) > SHOWN else ''} (a missing events export?); if genuine, list them in "
            f"quality.allow_zero_hh_weeks in params.yaml",
            file=failures_file,
        )
    if len(failed):
        counted = failed.groupby(["dataset", "column", "check"], dropna=False).size().to_string()
        raise DataQualityError(
            f"{len(failed)} schema failure(s), missing weeks {missing[:SHOWN_MISSING]}"
            f"{'...' if len(missing) > SHOWN_MISSING else ''}:\n{counted}\n",
            file=failures_file,
        )

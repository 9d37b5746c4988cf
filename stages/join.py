"""Build and validate the weekly (and daily) dataset; write data-quality metrics."""

from __future__ import annotations

import pandas as pd

from hhforecast.core import config, io, paths
from hhforecast.core.errors import DataQualityError
from hhforecast.core.stage import run, say
from hhforecast.dataprep import bounds, isoweeks, weekly_dataset


def main() -> None:
    params = config.load()
    weekly_util = io.read_parquet(paths.WEEKLY_UTILIZATION).set_index("date")
    daily_util = io.read_parquet(paths.DAILY_UTILIZATION).set_index("date")
    weekly_hh = io.read_parquet(paths.WEEKLY_HH).set_index("date")["HH"]
    daily_hh = io.read_parquet(paths.DAILY_HH).set_index("date")["HH"]
    clean_report = io.read_json(paths.CLEAN_REPORT)
    ingest_report = io.read_json(paths.INGEST_REPORT)
    weeks = tuple(pd.Timestamp(d).date() for d in clean_report["dataset_weeks"])

    weekly = weekly_dataset.join(weekly_util, weekly_hh, isoweeks.week_index(weeks))
    daily = weekly_dataset.join(daily_util, daily_hh, daily_util.index)  # aggregate's days: each has a full window
    missing = weekly_dataset.missing_dates(weekly)
    zero_hh = weekly_dataset.zero_hh_weeks(weekly, params.quality.allow_zero_hh_weeks)
    failures = pd.concat(
        [
            weekly_dataset.validate(weekly, weekly_dataset.WEEKLY_SCHEMA).assign(dataset="weekly"),
            weekly_dataset.validate(daily, weekly_dataset.DAILY_SCHEMA).assign(dataset="daily"),
        ],
        ignore_index=True,
    )
    out_of_bounds = bounds.violations(weekly[weekly_dataset.FEATURES].dropna())  # missing weeks fail on their own
    if len(out_of_bounds):
        failures = pd.concat(
            [
                failures,
                pd.DataFrame(
                    {
                        "schema_context": "bounds",
                        "column": out_of_bounds["column"],
                        "check": out_of_bounds["bound"],
                        "failure_case": out_of_bounds["value"].astype(str),
                        "index": weekly.loc[out_of_bounds["index"], "date"].dt.strftime("%Y-%m-%d").to_numpy(),
                        "dataset": "weekly",
                    }
                ),
            ],
            ignore_index=True,
        )
    if zero_hh:
        failures = pd.concat(
            [
                failures,
                pd.DataFrame(
                    {
                        "schema_context": "DataFrameSchema",
                        "column": "HH",
                        "check": "hh_positive_when_flying",
                        "failure_case": "0.0",
                        "index": zero_hh,
                        "dataset": "weekly",
                    }
                ),
            ],
            ignore_index=True,
        )
    quality = {
        "rows": {
            "events_read": ingest_report["events_read"],
            "events_kept": clean_report["events_kept"],
            "rejected": clean_report["rejected"],
            "rejected_by_reason": clean_report["rejected_by_reason"],
            "utilization_read": ingest_report["utilization_read"],
            "utilization_kept": clean_report["utilization_kept"],
            "total_rows_skipped": ingest_report["total_rows_skipped"],
            "blank_rows_skipped": ingest_report["blank_rows_skipped"],
        },
        "weeks": len(weekly),
        "missing_weeks": len(missing),
        "first_week": weeks[0].isoformat(),
        "last_week": weeks[1].isoformat(),
        "coverage": clean_report["coverage"],
        "zero_hh_weeks": zero_hh,
        "hh_total": round(float(weekly["HH"].sum()), 6),
        "schema_failures": len(failures),
    }
    io.write_csv_atomic(failures, paths.DATA_QUALITY_FAILURES)
    io.write_json_atomic(quality, paths.DATA_QUALITY)
    if zero_hh:
        raise DataQualityError(
            f"{len(zero_hh)} week(s) where the fleet flew but kept HH is 0: {', '.join(zero_hh[:10])}"
            f"{'...' if len(zero_hh) > 10 else ''} (a missing events export?); if genuine, list them in "
            f"quality.allow_zero_hh_weeks in params.yaml",
            file=paths.DATA_QUALITY_FAILURES.as_posix(),
        )
    if len(failures):
        summary = failures.groupby(["dataset", "column", "check"], dropna=False).size().to_string()
        raise DataQualityError(
            f"{len(failures)} schema failure(s), missing weeks {missing[:5]}{'...' if len(missing) > 5 else ''}:\n"
            f"{summary}\n",
            file=paths.DATA_QUALITY_FAILURES.as_posix(),
        )
    io.write_csv_atomic(weekly_dataset.to_csv_frame(weekly), paths.WEEKLY_DATASET, weekly_dataset.FLOAT_FORMAT)
    io.write_csv_atomic(weekly_dataset.to_csv_frame(daily), paths.DAILY_DATASET, weekly_dataset.FLOAT_FORMAT)
    say("join", f"{len(weekly):,} weeks, {quality['hh_total']:,.1f} HH in total")


if __name__ == "__main__":
    run(main, "join")

"""Build and validate the weekly (and daily) dataset; write data-quality metrics."""
from __future__ import annotations

import pandas as pd

from hhforecast import config, features, io, paths
from hhforecast.errors import DataQualityError
from hhforecast.stage import run, say


def main() -> None:
    config.load()  # fail early on a broken params.yaml, like every stage
    weekly_util = io.read_parquet(paths.WEEKLY_UTILIZATION).set_index("date")
    daily_util = io.read_parquet(paths.DAILY_UTILIZATION).set_index("date")
    weekly_hh = io.read_parquet(paths.WEEKLY_HH).set_index("date")["HH"]
    daily_hh = io.read_parquet(paths.DAILY_HH).set_index("date")["HH"]
    clean_report = io.read_json(paths.CLEAN_REPORT)
    ingest_report = io.read_json(paths.INGEST_REPORT)
    weeks = tuple(pd.Timestamp(d).date() for d in clean_report["dataset_weeks"])

    weekly = features.join(weekly_util, weekly_hh, features.week_index(weeks))
    daily = features.join(daily_util, daily_hh, features.day_index(weeks))
    missing = features.missing_dates(weekly)
    failures = pd.concat(
        [features.validate(weekly, features.WEEKLY_SCHEMA).assign(dataset="weekly"),
         features.validate(daily, features.DAILY_SCHEMA).assign(dataset="daily")],
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
        "hh_total": round(float(weekly["HH"].sum()), 6),
        "schema_failures": len(failures),
    }
    io.write_csv_atomic(failures, paths.DATA_QUALITY_FAILURES)
    io.write_json_atomic(quality, paths.DATA_QUALITY)
    if len(failures):
        summary = failures.groupby(["dataset", "column", "check"], dropna=False).size().to_string()
        raise DataQualityError(
            f"{len(failures)} schema failure(s), missing weeks {missing[:5]}{'...' if len(missing) > 5 else ''}; "
            f"details in {paths.DATA_QUALITY_FAILURES}:\n{summary}"
        )
    io.write_csv_atomic(features.to_csv_frame(weekly), paths.WEEKLY_DATASET, features.FLOAT_FORMAT)
    io.write_csv_atomic(features.to_csv_frame(daily), paths.DAILY_DATASET, features.FLOAT_FORMAT)
    say("join", f"{len(weekly):,} weeks, {quality['hh_total']:,.1f} HH in total")


if __name__ == "__main__":
    run(main, "join")

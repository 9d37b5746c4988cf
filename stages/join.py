"""Build and validate the weekly (and daily) dataset, or check a weekly dataset brought in; write data-quality
metrics."""

from __future__ import annotations

from hhforecast.core import config, io, paths
from hhforecast.core.stage import run, say
from hhforecast.dataprep import clean_summary, isoweeks, own_dataset, quality, weekly_dataset


def from_exports(params: config.Params) -> None:
    weekly_util = io.read_parquet(paths.WEEKLY_UTILIZATION).set_index("date")
    daily_util = io.read_parquet(paths.DAILY_UTILIZATION).set_index("date")
    weekly_hh = io.read_parquet(paths.WEEKLY_HH).set_index("date")["HH"]
    daily_hh = io.read_parquet(paths.DAILY_HH).set_index("date")["HH"]
    cleaned = io.read_json(paths.CLEAN_REPORT)
    ingested = io.read_json(paths.INGEST_REPORT)
    week_range = clean_summary.dataset_weeks(cleaned)

    weekly = weekly_dataset.join(weekly_util, weekly_hh, isoweeks.week_index(week_range))
    daily = weekly_dataset.join(daily_util, daily_hh, daily_util.index)  # aggregate's days: each has a full window
    checked = quality.assess(weekly, daily, week_range, params.quality.allow_zero_hh_weeks, cleaned, ingested)
    io.write_csv_atomic(checked.failures, paths.DATA_QUALITY_FAILURES)
    io.write_json_atomic(checked.summary, paths.DATA_QUALITY)
    quality.require_passed(checked, paths.DATA_QUALITY_FAILURES.as_posix())
    io.write_csv_atomic(weekly_dataset.to_csv_frame(weekly), paths.WEEKLY_DATASET, weekly_dataset.FLOAT_FORMAT)
    io.write_csv_atomic(weekly_dataset.to_csv_frame(daily), paths.DAILY_DATASET, weekly_dataset.FLOAT_FORMAT)
    say("join", f"{len(weekly):,} weeks, {checked.summary['hh_total']:,.1f} HH in total")


def from_dataset(params: config.Params) -> None:
    source = params.data.dataset_path
    weekly = own_dataset.read(source)
    checked = own_dataset.assess(weekly, params.quality.allow_zero_hh_weeks, source)
    io.write_csv_atomic(checked.failures, paths.DATA_QUALITY_FAILURES)
    io.write_json_atomic(checked.summary, paths.DATA_QUALITY)
    own_dataset.require_passed(checked, weekly, source, paths.DATA_QUALITY_FAILURES.as_posix())
    io.write_csv_atomic(weekly_dataset.to_csv_frame(weekly), paths.WEEKLY_DATASET, weekly_dataset.FLOAT_FORMAT)
    # A weekly dataset has no days: the daily dataset is its header alone.
    io.write_csv_atomic(weekly.iloc[:0], paths.DAILY_DATASET, weekly_dataset.FLOAT_FORMAT)
    say(
        "join",
        f"data.source is dataset: {len(weekly):,} weeks from {source.as_posix()}, "
        f"{checked.summary['hh_total']:,.1f} HH in total (the raw stages' outputs are not read)",
    )


def main() -> None:
    params = config.load()
    if params.data.from_dataset:
        from_dataset(params)
    else:
        from_exports(params)


if __name__ == "__main__":
    run(main, "join")

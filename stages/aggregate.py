"""Weekly and daily HH and fleet-utilization tables."""

from __future__ import annotations

from hhforecast.core import config, io, paths
from hhforecast.core.stage import run, say
from hhforecast.dataprep import aggregate, clean_summary


def main() -> None:
    params = config.load().aggregate
    utilization = io.read_parquet(paths.UTILIZATION_CLEAN)
    events = io.read_parquet(paths.EVENTS_CLEAN)
    # The week range is decided once, by clean (utilization window and events coverage).
    week_range = clean_summary.dataset_weeks(io.read_json(paths.CLEAN_REPORT))
    weekly = aggregate.weekly_utilization(utilization, week_range, params.window_days)
    daily = aggregate.daily_utilization(utilization, week_range, params.window_days)
    io.write_parquet_atomic(weekly.reset_index(), paths.WEEKLY_UTILIZATION)
    io.write_parquet_atomic(daily.reset_index(), paths.DAILY_UTILIZATION)
    io.write_parquet_atomic(aggregate.hh_by(events, "week").reset_index(), paths.WEEKLY_HH)
    io.write_parquet_atomic(aggregate.hh_by(events, "day").reset_index(), paths.DAILY_HH)
    say("aggregate", f"{len(weekly):,} weeks from {week_range[0]} to {week_range[1]}")


if __name__ == "__main__":
    run(main, "aggregate")

"""Normalize, filter and dedupe; every dropped row goes to rejects.csv with its reason."""

from __future__ import annotations

import pandas as pd

from hhforecast.core import config, io, paths
from hhforecast.core.stage import run, say
from hhforecast.dataprep import clean, clean_summary, isoweeks


def main() -> None:
    params = config.load()
    fleets = params.data.fleets
    utilization, utilization_rejects = clean.clean_utilization(
        io.read_parquet(paths.UTILIZATION_RAW), params.clean, fleets
    )
    events_raw = io.read_parquet(paths.EVENTS_RAW)
    event_days = clean.event_day_range(events_raw, params.clean)
    dataset_weeks = isoweeks.dataset_week_range(utilization, params.aggregate.window_days, event_days)
    registrations = set(utilization["registration"]) if fleets is not None else None
    events, event_rejects = clean.clean_events(
        events_raw, params.clean, params.contract.events, dataset_weeks, registrations
    )
    rejects = clean.sort_rejects(pd.concat([event_rejects, utilization_rejects], ignore_index=True))
    report = clean_summary.summary(events, utilization, rejects, dataset_weeks, event_days, fleets)
    io.write_parquet_atomic(events, paths.EVENTS_CLEAN)
    io.write_parquet_atomic(utilization, paths.UTILIZATION_CLEAN)
    io.write_csv_atomic(rejects, paths.REJECTS)
    io.write_json_atomic(report, paths.CLEAN_REPORT)
    say(
        "clean",
        f"kept {len(events):,} events and {len(utilization):,} aircraft-days; rejected {len(rejects):,} rows "
        f"{report['rejected_by_reason']}",
    )


if __name__ == "__main__":
    run(main, "clean")

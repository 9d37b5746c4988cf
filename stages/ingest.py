"""Read every raw workbook and CSV once into typed parquet with provenance."""

from __future__ import annotations

import dataclasses

from hhforecast.core import config, io, paths
from hhforecast.core.stage import run, say
from hhforecast.dataprep import ingest


def main() -> None:
    params = config.load()
    raw_dir = params.data.raw_dir
    events, utilization, reports = ingest.ingest_folder(raw_dir, params.contract, params.ingest)
    report = {
        "raw_dir": raw_dir.as_posix(),
        "events_read": len(events),
        "utilization_read": len(utilization),
        "total_rows_skipped": sum(r.total_rows_skipped for r in reports),
        "blank_rows_skipped": sum(r.blank_rows_skipped for r in reports),
        "files": [dataclasses.asdict(r) for r in reports],
    }
    io.write_parquet_atomic(events, paths.EVENTS_RAW)
    io.write_parquet_atomic(utilization, paths.UTILIZATION_RAW)
    io.write_json_atomic(report, paths.INGEST_REPORT)
    say("ingest", f"{len(reports)} files: {len(events):,} event rows, {len(utilization):,} utilization rows")


if __name__ == "__main__":
    run(main, "ingest")

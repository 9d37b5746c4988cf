"""Read every raw workbook and CSV once into typed parquet with provenance."""

from __future__ import annotations

from hhforecast.core import config, io, paths
from hhforecast.core.stage import run, say
from hhforecast.dataprep import ingest, ingest_summary


def main() -> None:
    params = config.load()
    events, utilization, reports = ingest.ingest_folder(params.data.raw_dir, params.contract, params.ingest)
    io.write_parquet_atomic(events, paths.EVENTS_RAW)
    io.write_parquet_atomic(utilization, paths.UTILIZATION_RAW)
    io.write_json_atomic(ingest_summary.summary(params.data.raw_dir, events, utilization, reports), paths.INGEST_REPORT)
    say("ingest", f"{len(reports)} files: {len(events):,} event rows, {len(utilization):,} utilization rows")


if __name__ == "__main__":
    run(main, "ingest")

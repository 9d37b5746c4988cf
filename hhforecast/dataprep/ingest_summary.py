"""What ingest records about the raw folder (data/interim/ingest_report.json): rows read per table, rows skipped,
and what each file contributed. Pure: the ingested tables and file reports in, a dict out."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hhforecast.dataprep.ingest import FileReport


def summary(
    raw_dir: Path, events: pd.DataFrame, utilization: pd.DataFrame, files: Sequence[FileReport]
) -> dict[str, Any]:
    """ingest_report.json's content: the folder, rows read per table, skipped rows in total, one entry per file."""
    return {
        "raw_dir": raw_dir.as_posix(),
        "events_read": len(events),
        "utilization_read": len(utilization),
        "total_rows_skipped": sum(f.total_rows_skipped for f in files),
        "blank_rows_skipped": sum(f.blank_rows_skipped for f in files),
        "files": [dataclasses.asdict(f) for f in files],
    }

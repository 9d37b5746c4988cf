"""What clean records (data/interim/clean_report.json): rows kept and rejected by reason, the data's coverage,
and the week range every later stage builds on. Pure: frames in, a dict out, and the week range read back."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from hhforecast.dataprep import isoweeks


def rejected_by_reason(rejects: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Rejected rows per table and reason, both sorted: {"events": {"duplicate": 4220, ...}, ...}."""
    return {
        str(table): {str(reason): int(n) for reason, n in group["reason"].value_counts().sort_index().items()}
        for table, group in rejects.groupby("table")
    }


def summary(
    events: pd.DataFrame,
    utilization: pd.DataFrame,
    rejects: pd.DataFrame,
    dataset_weeks: tuple[dt.date, dt.date],
    event_days: tuple[pd.Timestamp, pd.Timestamp],
    fleets: list[str] | None,
) -> dict[str, Any]:
    """clean_report.json's content: what was kept and rejected, the dataset's weeks, each table's coverage."""
    return {
        "events_kept": len(events),
        "utilization_kept": len(utilization),
        "rejected": len(rejects),
        "rejected_by_reason": rejected_by_reason(rejects),
        "dataset_weeks": [dataset_weeks[0].isoformat(), dataset_weeks[1].isoformat()],
        "coverage": {
            "events": isoweeks.coverage(pd.Series(event_days)),
            "utilization": isoweeks.coverage(utilization["date"]),
        },
        "fleets": fleets or "all",
    }


def dataset_weeks(report: dict[str, Any]) -> tuple[dt.date, dt.date]:
    """The first and last Monday of the dataset, as clean decided them (from utilization's window and the
    events' coverage) and wrote them in its report; aggregate and join read them back from there."""
    first, last = (pd.Timestamp(day).date() for day in report["dataset_weeks"])
    return first, last

from pathlib import Path

import pandas as pd

from hhforecast.dataprep import ingest_summary
from hhforecast.dataprep.ingest import FileReport


def test_the_summary_adds_up_skipped_rows_and_lists_every_file():
    files = [
        FileReport("events_unscheduled/e.xlsx", ("2020",), 3, 2, 1, {"event_id": "WO Defect No"}),
        FileReport("aircraft_utilization/u.csv", (), 5, 4, 0, {}, "utf-8", ";"),
    ]
    summary = ingest_summary.summary(
        Path("data/raw"), pd.DataFrame(index=range(3)), pd.DataFrame(index=range(5)), files
    )
    assert summary["raw_dir"] == "data/raw"
    assert (summary["events_read"], summary["utilization_read"]) == (3, 5)
    assert (summary["total_rows_skipped"], summary["blank_rows_skipped"]) == (6, 1)
    assert summary["files"][0] == {
        "file": "events_unscheduled/e.xlsx",
        "sheets": ("2020",),
        "rows": 3,
        "total_rows_skipped": 2,
        "blank_rows_skipped": 1,
        "columns": {"event_id": "WO Defect No"},
        "encoding": "",
        "delimiter": "",
    }
    assert summary["files"][1]["delimiter"] == ";"

"""Monitor the production period: forecast error, feature drift, data volume, and the retraining verdict."""

from __future__ import annotations

import pandas as pd

from hhforecast.core import config, io, paths
from hhforecast.core.stage import run, say
from hhforecast.ops import monitor


def main() -> None:
    params = config.load()
    summary, per_week, drift = monitor.assess_workspace(params, pd.read_csv(paths.PRODUCTION_PREDICTIONS))
    per_week = per_week.assign(date=per_week["date"].dt.strftime("%Y-%m-%d"))
    io.write_csv_atomic(per_week, paths.MONITOR_WEEKLY)
    io.write_csv_atomic(drift, paths.DRIFT)
    io.write_json_atomic(io.rounded(summary), paths.MONITOR)
    say("monitor", f"{summary['status']}: " + ("; ".join(summary["reasons"] + summary["warnings"]) or "no alerts"))
    for skipped in summary.get("skipped", []):
        say("monitor", skipped)


if __name__ == "__main__":
    run(main, "monitor")

"""`hh monitor`'s status: the workspace's monitoring verdict, the run log's failed runs, and the exit status of
the monitoring-plugin convention (Nagios, Icinga, Zabbix, schedulers).

Two scales meet here. The verdict's *level* (`monitor.HEALTHY`, `monitor.WARNING`, `monitor.RETRAIN`) is what
metrics/monitor.json records; the *exit status* (`EXIT_OK` 0, `EXIT_WARNING` 1, `EXIT_CRITICAL` 2,
`EXIT_UNKNOWN` 3) is what a scheduler reads. A failed pipeline or retrain run inside the monitoring window
raises the exit status to at least EXIT_WARNING: the data or the model it should have refreshed is stale.
UNKNOWN is the status of a check that could not run at all.

At load time it imports only the standard library and `core.errors` (everything else inside the functions that
need it), so `hh` can name the exit statuses without loading pandas.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hhforecast.core.errors import HHForecastError

if TYPE_CHECKING:
    import pandas as pd

    from hhforecast.core.config import Params

EXIT_OK, EXIT_WARNING, EXIT_CRITICAL, EXIT_UNKNOWN = 0, 1, 2, 3
EXIT_NAMES = {EXIT_OK: "OK", EXIT_WARNING: "WARNING", EXIT_CRITICAL: "CRITICAL", EXIT_UNKNOWN: "UNKNOWN"}


@dataclass(frozen=True)
class Status:
    """What `hh monitor` reports: monitor.json's summary with the run log's part, the drift table, the failed
    runs in the window, and the exit status."""

    summary: dict[str, Any]
    drift: pd.DataFrame
    exit_status: int
    failed_runs: list[str] = field(default_factory=list)
    availability: list[str] = field(default_factory=list)  # data that stopped arriving, a weekly job that did not run

    @property
    def name(self) -> str:
        return EXIT_NAMES[self.exit_status]


def exit_status(level: int, failed: list[str]) -> int:
    """The exit status of a verdict level (monitor.HEALTHY/WARNING/RETRAIN); a failed run (or an availability
    problem) makes it at least WARNING."""
    from hhforecast.ops import monitor

    code = {monitor.HEALTHY: EXIT_OK, monitor.WARNING: EXIT_WARNING, monitor.RETRAIN: EXIT_CRITICAL}[level]
    return max(code, EXIT_WARNING) if failed else code


def failed_runs(runs: pd.DataFrame, since: dt.datetime) -> list[str]:
    """Failed runs started at or after `since` (UTC), one line each: kind, id, start, what failed."""
    import pandas as pd

    if runs.empty:
        return []
    started = pd.to_datetime(runs["started_at"], utc=True, format="ISO8601")
    failed = runs.loc[(runs["status"] == "failed") & (started >= since)]
    return [
        f"{r['kind']} #{r['id']} started {r['started_at']}: {r['detail'] or 'failed'}"
        for r in failed.to_dict(orient="records")
    ]


WEEKLY = "weekly"  # the run log's kind for `hh weekly`
# How the weekly job's action in the monitoring history begins: "retrained; promotion refused: …" or
# "retrained; promoted hh-model@v1.2.0 (refresh)". Everything that reads the action reads it through these.
RETRAINED = "retrained"
PROMOTED = f"{RETRAINED}; promoted"


def availability(
    data_through: str | None,
    runs: pd.DataFrame | None,
    now: dt.datetime,
    max_data_age_days: int | None,
    max_run_age_days: int | None,
) -> list[str]:
    """What the clock says is missing: the newest complete week of data (Monday `data_through`, ending on its
    Sunday) older than `max_data_age_days`, and no `hh weekly` run that succeeded within `max_run_age_days`
    (one still `running` after that long hangs). A check whose limit is None is off."""
    import pandas as pd

    problems = []
    today = now.date()
    if max_data_age_days is not None:
        if data_through is None:
            problems.append("the data's last week is unknown: no availability check possible")
        else:
            last_day = dt.date.fromisoformat(data_through) + dt.timedelta(days=6)
            if (today - last_day).days > max_data_age_days:
                problems.append(
                    f"no new data: the newest complete week ends {last_day}, {(today - last_day).days} days ago "
                    f"(monitor.max_data_age_days {max_data_age_days})"
                )
    if max_run_age_days is not None:
        weekly = runs.loc[runs["kind"] == WEEKLY] if runs is not None and len(runs) else None
        limit = pd.Timestamp(now) - pd.Timedelta(days=max_run_age_days)
        if weekly is None or weekly.empty:
            problems.append(f"`hh {WEEKLY}` has never run (monitor.max_run_age_days {max_run_age_days})")
        else:
            started = pd.to_datetime(weekly["started_at"], utc=True, format="ISO8601")
            succeeded = started[weekly["status"] == "succeeded"]
            running = weekly["status"] == "running"
            last = succeeded.max() if len(succeeded) else None
            # Only the newest run can be in progress (it may be the one asking), and only inside the limit; an
            # older one still `running` was killed or crashed without being ended, or hangs.
            newest = weekly["id"] == weekly["id"].max()
            alive = bool((running & newest & (started >= limit)).any())
            if (last is None or last < limit) and not alive:
                when = "never" if last is None else f"last on {last:%Y-%m-%d}"
                problems.append(
                    f"`hh {WEEKLY}` has not succeeded in {max_run_age_days} days ({when}; "
                    f"monitor.max_run_age_days {max_run_age_days})"
                )
            # Crashed or hung: still `running` past the limit or with a newer run begun, and newer than the last
            # success (older ones were killed without being ended, and a success since says the job works again).
            newer = started > last if last is not None else pd.Series(True, index=weekly.index)
            hung = weekly.loc[running & ((started < limit) | ~newest) & newer]
            problems += [
                f"`hh {WEEKLY}` #{r['id']} started {r['started_at']} and never ended" for _, r in hung.iterrows()
            ]
    return problems


def history_row(
    summary: dict[str, Any], verdict: str, model_version: str | None, comment: str | None
) -> dict[str, Any]:
    """The monitoring history's row for one check (store.HISTORY_COLUMNS): errors over 4 and 13 weeks,
    coverage, the verdict and everything that raised it."""
    performance = summary.get("performance", {})
    last_4, last_13 = performance.get("last_4_weeks", {}), performance.get("last_13_weeks", {})
    problems = (
        list(summary.get("reasons", []))
        + list(summary.get("warnings", []))
        + [f"failed run {r}" for r in summary.get("runs", {}).get("failed_in_window", [])]
        + list(summary.get("availability", []))
    )
    return {
        "data_through": summary.get("data_through"),
        "model_version": model_version,
        **{f"{name}_4w": last_4.get(name) for name in ("mae", "rmse", "mape")},
        **{f"{name}_13w": last_13.get(name) for name in ("mae", "rmse", "mape")},
        "coverage_80_13w": last_13.get("coverage_80"),
        "verdict": verdict,
        "reasons": "; ".join(problems),
        "comment": comment,
    }


def runs_summary(runs: pd.DataFrame, failed: list[str]) -> dict[str, Any]:
    """The run log's part of the status: runs in total and failed, the failed ones in the window, the last run."""
    return {
        "total": int(len(runs)),
        "failed": int((runs["status"] == "failed").sum()),
        "failed_in_window": failed,
        "last": runs.iloc[-1][["kind", "started_at", "status", "model_version"]].to_dict() if len(runs) else None,
    }


def last_forecasts(logged: pd.DataFrame) -> pd.DataFrame:
    """Each week's forecast as monitoring scores it, from the prediction log: the last one logged."""
    return logged.rename(columns={"week": "date"}).drop_duplicates("date", keep="last")


def read_forecasts(log_path: Path, from_log: bool) -> pd.DataFrame:
    """The forecasts to monitor: the predict stage's production forecasts, or the prediction log's (the last
    forecast of each week)."""
    import pandas as pd

    from hhforecast.core import paths
    from hhforecast.serving import store

    if from_log:
        if not log_path.exists():
            raise HHForecastError(f"{log_path}: no prediction log")
        logged = store.read_predictions(log_path)
        if logged.empty:
            raise HHForecastError(f"{log_path}: the prediction log holds no forecasts yet")
        return last_forecasts(logged)
    if not paths.PRODUCTION_PREDICTIONS.exists():
        raise HHForecastError(f"{paths.PRODUCTION_PREDICTIONS}: not found (run the pipeline first)")
    return pd.read_csv(paths.PRODUCTION_PREDICTIONS)


def assess(
    params: Params,
    log_path: Path,
    from_log: bool,
    now: dt.datetime | None = None,
    metadata: dict[str, Any] | None = None,
) -> Status:
    """Monitor the working tree's pipeline outputs and the run log (`log_path`, when it exists) as of `now`;
    the model judged is the one `metadata` describes (None: the workspace's)."""
    from hhforecast.ops import monitor
    from hhforecast.serving import store

    verdict, _, drift = monitor.assess_workspace(params, read_forecasts(log_path, from_log), metadata)
    summary = dict(verdict)
    now = now or store.now()
    failed: list[str] = []
    runs = None
    if log_path.exists():
        runs = store.read_runs(log_path)
        failed = failed_runs(runs, now - dt.timedelta(weeks=params.monitor.window_weeks))
        summary["runs"] = runs_summary(runs, failed)
    missing = availability(
        summary.get("data_through"), runs, now, params.monitor.max_data_age_days, params.monitor.max_run_age_days
    )
    summary["availability"] = missing
    code = exit_status(int(summary["exit_code"]), failed + missing)
    summary["monitor_status"], summary["monitor_exit_code"] = EXIT_NAMES[code], code
    return Status(summary, drift, code, failed, missing)


def notify(urls: list[str], status: Status) -> None:
    """Alert `urls` (monitor.notify) of a status other than OK: CRITICAL as a failure, WARNING as a warning."""
    from hhforecast.ops import alerts

    if status.exit_status == EXIT_OK:
        return
    title, body = alerts.monitor_message(
        status.name, status.summary["reasons"], status.summary["warnings"] + status.availability, status.failed_runs
    )
    alerts.send(urls, title, body, "failure" if status.exit_status == EXIT_CRITICAL else "warning")


def notify_unknown(urls: list[str], problem: str) -> None:
    """Alert `urls` that monitoring could not run (UNKNOWN), with the reason."""
    from hhforecast.ops import alerts

    title, body = alerts.monitor_message(EXIT_NAMES[EXIT_UNKNOWN], [], [f"monitoring could not run: {problem}"], [])
    alerts.send(urls, title, body, "failure")

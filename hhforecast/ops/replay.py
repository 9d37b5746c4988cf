"""A year of unattended operation, replayed: `hh replay` (`make replay`).

The synthetic world's last `replay.weeks` weeks are lived again one Monday at a time, in a clone of this
repository that operates on weekly exports (params `replay.overrides`: its own raw folder, `split.train_end:
latest`). Before the first Monday the clone holds the exports up to the production period, trains its first
model and promotes it. Then, each Monday, the week that just ended arrives as one events and one utilization
export, the planner's file for the next `replay.planned_weeks` weeks is written, and `hh weekly` runs as of
that day. One week's exports arrive a week late (`replay.withheld_week`) and one job is killed after its
forecast (`replay.crash_week`), so that the availability checks have something to find. The alerts go to a
loopback Apprise receiver (a `json://` URL) that the replay runs.

What the clone's operational store recorded (the monitoring history, the run log and the prediction log),
with the world's truth for the expected errors, becomes the report's tables (`collect`); the report itself
is reporting.replay's. The pure part (the schedule, the exports, the tables) comes first; the side effects
after.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hhforecast.core.errors import HHForecastError
from hhforecast.synth.world import World

# In the workdir, kept as the replay goes: what the receiver got, each run's exit status, and the schedule
# (so that a report rebuilt later labels the runs as they ran, whatever params.yaml says by then).
ALERTS_FILE = "alerts.csv"
EXITS_FILE = "exits.csv"
SCHEDULE_FILE = "schedule.json"
CRASH_WAIT_SECONDS = 600  # for the killed job's forecast step, then for what it started to end
# The file that marks a folder as the replay's own, which a replay may delete and rebuild.
WORKDIR_MARK = ".hh-replay"
EVENT_COLUMNS = ["event_id", "action_id", "registration", "source", "raised_at", "closed_at", "hh", "ata"]
UTILIZATION_COLUMNS = ["date", "registration", "flight_hours", "cycles", "manufacture_date", "aircraft_type"]


class ReplayError(HHForecastError):
    """The replay could not set up, or a week went other than planned (a crash that was not the planted one)."""


@dataclasses.dataclass(frozen=True)
class Schedule:
    """Which Monday each run is, and which week's exports exist at each run.

    Weeks are numbered from the world's first week (0). Run t (0, 1, ...) happens on the Monday that starts
    week `first_week + t`, with the exports through the week before it, except the withheld week's at its run.
    """

    start: dt.date  # the world's first day, a Monday
    world_weeks: int
    runs: int
    withheld: int  # the run at which the week that just ended has not arrived (it comes with the next)
    crash: int  # the run killed after its forecast

    def __post_init__(self) -> None:
        if not 4 <= self.runs < self.world_weeks:
            raise ReplayError(f"replay.weeks {self.runs} must lie in [4, {self.world_weeks - 1}] for this world")
        for name, run in (("withheld_week", self.withheld), ("crash_week", self.crash)):
            if not 1 <= run < self.runs - 1:
                raise ReplayError(
                    f"replay.{name} {run} must lie in [1, {self.runs - 2}] (a run with one before and after)"
                )
        if self.withheld == self.crash:
            raise ReplayError("replay.withheld_week and replay.crash_week must be different weeks")

    @classmethod
    def of(cls, world: Any, settings: Any) -> Schedule:
        """The schedule of `settings` (params' replay section) in `world` (a synthetic section)."""
        return cls(world.start, world.weeks, settings.weeks, settings.withheld_week, settings.crash_week)

    @property
    def first_week(self) -> int:
        return self.world_weeks - self.runs

    def monday(self, week: int) -> dt.date:
        return self.start + dt.timedelta(weeks=week)

    def run_day(self, run: int) -> dt.date:
        return self.monday(self.first_week + run)

    def delivered(self, run: int) -> list[int]:
        """The production weeks whose exports are in the raw folder at `run` (weeks before the first are
        the history files')."""
        weeks = range(self.first_week, self.first_week + run)
        return [w for w in weeks if not (run == self.withheld and w == self.first_week + run - 1)]


def _days(values: pd.Series, start: dt.date) -> np.ndarray:
    return (values.to_numpy().astype("datetime64[D]") - np.datetime64(start, "D")).astype(np.int64)


def exports(world: World, first_day: int, last_day: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The events raised and the utilization flown on days [first_day, last_day] of the world, as a clean
    export in the contract's canonical columns (ISO dates): what one export of those days holds."""
    start = world.params.start
    events = world.events
    event_day = _days(events["raised_at"], start)
    events = events.loc[(event_day >= first_day) & (event_day <= last_day), EVENT_COLUMNS]
    util_day = _days(world.utilization["date"], start)
    utilization = world.utilization.loc[(util_day >= first_day) & (util_day <= last_day), UTILIZATION_COLUMNS]
    return events.reset_index(drop=True), utilization.reset_index(drop=True)


def planned_utilization(world: World, first_week: int, weeks: int, window_days: int) -> pd.DataFrame:
    """The planner's file for `weeks` weeks from `first_week` on: each aircraft's planned days (here the days
    the world will fly), with the `window_days` before them that the 28-day utilization feature needs."""
    last_week = min(first_week + weeks, world.params.weeks)
    _, flown = exports(world, first_week * 7 - (window_days - 1), last_week * 7 - 1)
    return flown


# --- the report (pure: the clone's store and the truth in, tables and markdown out) --------------------


def week_forecasts(predictions: pd.DataFrame) -> pd.DataFrame:
    """Each week's forecast as monitoring scores it (the last one logged: issued on the week's own Monday)."""
    from hhforecast.ops.status import last_forecasts

    logged = last_forecasts(predictions)
    return logged[["date", "predicted_hh", "lower_80", "upper_80", "model_version"]].reset_index(drop=True)


def expected_errors(forecasts: pd.DataFrame, pmf: np.ndarray, oracle_median: np.ndarray) -> pd.DataFrame:
    """Each week's expected absolute error under its exact distribution, the forecast's and the median
    oracle's (the least any forecast can expect)."""
    from hhforecast.synth import truthdist

    return forecasts.assign(
        expected_mae=truthdist.expected_abs_error(pmf, forecasts["predicted_hh"].to_numpy(float)),
        oracle_mae=truthdist.expected_abs_error(pmf, oracle_median),
    )


def check_kind(problem: str) -> str:
    """Which check raised a history row's problem (the history keeps them as text, a retrain's reason
    prefixed with what the job did; monitor.py, status.availability and weekly.retrain_reason write them)."""
    import re

    drifted = re.search(r"\bfeature (\S+) drifted:", problem)
    drifting = re.search(r"\bfeature (\S+) may be drifting:", problem)
    if "which decides" in problem or "errors may be rising" in problem:  # the deciding detector has not fired
        return "errors: warning"
    if "the CUSUM" in problem:
        return "errors: CUSUM"
    if "rank test" in problem and "the errors rose" in problem:
        return "errors: rank test"
    if drifted:
        return f"drift: {drifted.group(1)}"
    if drifting:
        return f"drift warning: {drifting.group(1)}"
    if re.search(r"\bmodel is \d+ weeks old\b", problem):
        return "model age"
    if "scheduled: the production model's data ends" in problem:
        return "retrain schedule"
    if "no new data:" in problem:
        return "availability: no new data"
    if "has not succeeded" in problem or "has never run" in problem or "and never ended" in problem:
        return "availability: weekly job"
    return ""


def first_flags(history: pd.DataFrame) -> pd.DataFrame:
    """The first run at which each check raised a problem, with what it said then."""
    found: dict[str, tuple[int, str, str]] = {}
    for _, row in history.iterrows():
        for problem in str(row["reasons"] or "").split("; "):
            kind = check_kind(problem)
            if kind and kind not in found:
                found[kind] = (int(row["run"]), str(row["run_day"]), problem)
    rows = [{"check": k, "run": r, "run_day": d, "said": s} for k, (r, d, s) in found.items()]
    return pd.DataFrame(rows, columns=["check", "run", "run_day", "said"]).sort_values("run", kind="stable")


def promotions(history: pd.DataFrame, weekly: pd.DataFrame, promoted: str, span_weeks: int) -> pd.DataFrame:
    """Each promotion by the weekly job, with the expected error of the last `span_weeks` weeks the replaced
    model forecast before it and of the first `span_weeks` the new model forecast after it, each against the
    oracle's on the same weeks."""
    rows = []
    done = history.loc[history["action"].fillna("").str.startswith(promoted)]
    for _, row in done.iterrows():
        version = str(row["model_version"])
        day = pd.Timestamp(row["run_day"])
        # The job forecasts before it retrains: the promotion Monday's own week is the replaced model's.
        earlier = weekly.loc[(weekly["date"] <= day) & (weekly["model_version"] != version)]
        replaced = earlier["model_version"].iloc[-1] if len(earlier) else None
        before = earlier.loc[earlier["model_version"] == replaced].tail(span_weeks)
        after = weekly.loc[(weekly["date"] >= day) & (weekly["model_version"] == version)].head(span_weeks)
        rows.append(
            {
                "run": int(row["run"]),
                "run_day": row["run_day"],
                "action": row["action"],
                "replaced": replaced or "",
                "weeks_before": len(before),
                "ratio_before": ratio(before),
                "weeks_after": len(after),
                "ratio_after": ratio(after),
            }
        )
    columns = ["run", "run_day", "action", "replaced", "weeks_before", "ratio_before", "weeks_after", "ratio_after"]
    return pd.DataFrame(rows, columns=columns)


def ratio(weeks: pd.DataFrame) -> float:
    """The weeks' expected MAE over the median oracle's on the same weeks (NaN for no weeks)."""
    return float(weeks["expected_mae"].mean() / weeks["oracle_mae"].mean()) if len(weeks) else float("nan")


def events_table(
    schedule: Schedule,
    history: pd.DataFrame,
    forecasts: pd.DataFrame,
    alerts: pd.DataFrame,
    jobs: pd.DataFrame,
    exits: dict[int, str] | None = None,
) -> pd.DataFrame:
    """One row per run: its day, the data's last week, the exit status (`exits`, as the replay recorded it;
    else the check's verdict, and `killed` for a job still `running` with no check), the weeks forecast, the
    model, what the job did, the checks that raised a problem, and the alerts received. Each frame carries
    its rows' `run`."""
    exits = exits or {}
    rows = []
    for run in range(schedule.runs):
        day = schedule.run_day(run)
        checks = history.loc[history["run"] == run]
        job = jobs.loc[jobs["run"] == run, "status"]
        issued = forecasts.loc[forecasts["run"] == run]
        sent = alerts.loc[alerts["run"] == run]
        kinds = sorted({check_kind(p) for r in checks["reasons"].fillna("") for p in str(r).split("; ")} - {""})
        rows.append(
            {
                "run": run,
                "run_day": day.isoformat(),
                "data_through": checks["data_through"].dropna().iloc[-1]
                if checks["data_through"].notna().any()
                else "",
                "exit": exits[run]
                if run in exits
                else str(checks["verdict"].iloc[-1])
                if len(checks)
                else "killed"
                if (job == "running").any()
                else "did not run",
                "weeks_forecast": len(issued),
                "model": checks["model_version"].dropna().iloc[-1] if checks["model_version"].notna().any() else "",
                "action": "; ".join(checks["action"].dropna()),
                "checks": ", ".join(kinds),
                "alerts": "; ".join(sent["title"]),
            }
        )
    return pd.DataFrame(rows)


def shortfalls(schedule: Schedule, events: pd.DataFrame, flags: pd.DataFrame) -> list[str]:
    """What the replay was meant to show and did not: a forecast every week, no crash but the planted one,
    the drift flagged, the withheld export and the crash alerted."""
    missing = []
    for row in events.to_dict("records"):
        run, said = f"run {row['run']} ({row['run_day']})", str(row["exit"])
        if row["weeks_forecast"] == 0:
            missing.append(f"{run} issued no forecast")
        if said in ("killed", "UNKNOWN", "did not run") and row["run"] != schedule.crash:
            missing.append(f"{run} ended {said}")
    if not any(kind.startswith(("drift:", "errors:")) and kind != "errors: warning" for kind in flags["check"]):
        missing.append("neither the drift nor the errors were flagged")
    withheld = events.loc[events["run"] == schedule.withheld]
    if (
        withheld.empty
        or "availability: no new data" not in withheld["checks"].iloc[0]
        or not withheld["alerts"].iloc[0]
    ):
        missing.append(f"the withheld export (run {schedule.withheld}) was not alerted as data that stopped arriving")
    after = events.loc[events["run"] == schedule.crash + 1]
    if after.empty or "availability: weekly job" not in after["checks"].iloc[0] or not after["alerts"].iloc[0]:
        missing.append(f"the crash (run {schedule.crash}) was not alerted by the next run")
    return missing


# --- the side effects: a clone that operates, a receiver for its alerts, a week at a time -----------------


class AlertReceiver:
    """A loopback HTTP endpoint for Apprise's `json://` notifications: it keeps each alert's title, type and
    body, with the run it arrived during."""

    def __init__(self) -> None:
        import http.server
        import json
        import threading

        received: list[dict[str, Any]] = []
        self.received, self.run = received, -1
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    payload = json.loads(body or b"{}")
                except ValueError:
                    payload = {"title": "(unreadable)", "message": body.decode(errors="replace")}
                received.append(
                    {
                        "run": receiver.run,
                        "type": str(payload.get("type", "")),
                        "title": str(payload.get("title", "")),
                        "message": str(payload.get("message", "")),
                    }
                )
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # quiet: the replay reports what it got
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/"

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.received, columns=["run", "type", "title", "message"])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    from hhforecast.core import io

    frame = frame.assign(
        **{c: frame[c].dt.strftime("%Y-%m-%d") for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])}
    )
    io.write_csv_atomic(frame, path)


def _override(params_file: Path, overrides: dict[str, Any]) -> None:
    """Set dotted keys in a params.yaml (its comments are not kept: the clone's file is the replay's)."""
    import yaml

    settings = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    for dotted, value in overrides.items():
        *parents, key = dotted.split(".")
        section = settings
        for name in parents:
            if not isinstance(section.get(name), dict):
                raise ReplayError(f"replay.overrides: {dotted}: params.yaml has no section {name!r}")
            section = section[name]
        section[key] = value
    params_file.write_text(yaml.safe_dump(settings, sort_keys=False, allow_unicode=True), encoding="utf-8")


@dataclasses.dataclass
class Replayed:
    """What a replay left, as the report shows it: its schedule, the tables and what it did not show."""

    schedule: Schedule
    history: pd.DataFrame  # the monitoring history, each row with its `run` and `run_day`
    events: pd.DataFrame
    flags: pd.DataFrame
    promotions: pd.DataFrame
    alerts: pd.DataFrame
    weekly: pd.DataFrame  # each week forecast: the forecast, its expected error and the oracle's, the actual
    missing: list[str]


def run(project: Path, params: Any, say: Callable[[str], None], cache: Path | None = None) -> None:
    """Replay `params.replay` on a fresh clone of `project`'s committed HEAD under `replay.workdir` (`collect`
    then reads what it left). The clone's DVC cache is `cache`, by default the project's own (its first stages
    are then restored rather than run again)."""
    import os
    import shutil
    import subprocess
    import sys
    import time

    from hhforecast.core import config
    from hhforecast.dataprep import ingest
    from hhforecast.ops import status
    from hhforecast.ops.weekly import GIT_EMAIL, GIT_NAME, RETRAIN_FILES
    from hhforecast.serving import git, store
    from hhforecast.synth.world import build_world

    settings = params.replay
    work = (project / settings.workdir).resolve()
    repo = work / "repo"
    bin_dir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # one compile, not one per run
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(repo)  # the clone runs its own committed code, not this checkout's

    def call(*command: str, what: str) -> str:
        done = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            tail = " / ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
            raise ReplayError(f"{what} failed (exit status {done.returncode}): {tail}")
        return done.stdout

    if work == project.resolve() or project.resolve().is_relative_to(work):
        raise ReplayError(
            f"replay.workdir {settings.workdir} holds the project itself: give the replay a folder of its own"
        )
    if work.exists() and any(work.iterdir()) and not (work / WORKDIR_MARK).exists():
        raise ReplayError(
            f"replay.workdir {work} exists and is not a replay's folder (it has no {WORKDIR_MARK}): "
            "move it away or choose another"
        )
    say(f"cloning {project} into {repo}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / WORKDIR_MARK).write_text("a replay's folder: `hh replay` deletes and rebuilds it\n", encoding="utf-8")
    cloned = subprocess.run(["git", "clone", "--quiet", str(project), str(repo)], capture_output=True, text=True)
    if cloned.returncode != 0:
        raise ReplayError(f"git clone of {project} failed: {cloned.stderr.strip()}")
    call(
        str(bin_dir / "dvc"),
        "config",
        "--local",
        "cache.dir",
        str((cache or project / ".dvc" / "cache").resolve()),
        what="dvc config",
    )
    receiver = AlertReceiver()
    try:
        overrides = {**settings.overrides, "monitor.notify": [receiver.url]}
        _override(repo / "params.yaml", overrides)
        operated = config.load(repo / "params.yaml")
        git.commit(repo, ["params.yaml"], "Operate on weekly exports (replay)", GIT_NAME, GIT_EMAIL)
        world = build_world(operated.synthetic, operated.data.fleets)
        schedule = Schedule.of(operated.synthetic, settings)
        (work / SCHEDULE_FILE).write_text(json.dumps(dataclasses.asdict(schedule), default=str), encoding="utf-8")
        raw = repo / operated.data.raw_dir
        events_dir, util_dir = raw / ingest.EVENTS_DIR, raw / ingest.UTILIZATION_DIR
        history_end = schedule.first_week * 7 - 1  # the day before the first Monday
        for year_start in range(schedule.start.year, (schedule.start + dt.timedelta(days=history_end)).year + 1):
            first = max(0, (dt.date(year_start, 1, 1) - schedule.start).days)
            last = min((dt.date(year_start, 12, 31) - schedule.start).days, history_end)
            events, flown = exports(world, first, last)
            _write_csv(events, events_dir / f"events_{year_start}.csv")
            _write_csv(flown, util_dir / f"utilization_{year_start}.csv")
        say(f"first model: `dvc repro` on the exports through {schedule.run_day(0) - dt.timedelta(days=1)}")
        call(str(bin_dir / "dvc"), "repro", what="the first `dvc repro`")
        git.commit(repo, RETRAIN_FILES, "First model (replay)", GIT_NAME, GIT_EMAIL)
        call(str(bin_dir / "hh"), "promote", "--reason", "replay: the first model", what="the first `hh promote`")

        log_path = repo / operated.serve.prediction_log
        exits: list[dict[str, Any]] = []
        for run_index in range(schedule.runs):
            day = schedule.run_day(run_index)
            for week in schedule.delivered(run_index):
                name = f"{schedule.monday(week).isoformat()}.csv"
                if not (events_dir / f"events_week_{name}").exists():
                    events, flown = exports(world, week * 7, week * 7 + 6)
                    _write_csv(events, events_dir / f"events_week_{name}")
                    _write_csv(flown, util_dir / f"utilization_week_{name}")
            planned = planned_utilization(
                world, schedule.first_week + run_index, settings.planned_weeks, operated.aggregate.window_days
            )
            _write_csv(planned, repo / operated.serve.planned_utilization)
            receiver.run = run_index
            command = [
                str(bin_dir / "hh"),
                "weekly",
                "--as-of",
                day.isoformat(),
                "--comment",
                f"replay run {run_index}",
            ]
            started = time.monotonic()
            code: int | None = None
            if run_index == settings.crash_week:
                _crash(command, repo, env, log_path)
            else:
                code = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True).returncode
            _write_csv(receiver.table(), work / ALERTS_FILE)
            exits.append(
                {"run": run_index, "exit": "killed" if code is None else status.EXIT_NAMES.get(code, str(code))}
            )
            _write_csv(pd.DataFrame(exits), work / EXITS_FILE)
            said = "killed after its forecast (planted)" if code is None else exits[-1]["exit"]
            action = store.read_history(log_path)["action"].iloc[-1] if code is not None else None
            say(
                f"run {run_index} of 0..{schedule.runs - 1}, {day}: {said}"
                + (f", {action}" if isinstance(action, str) and action else "")
                + f" ({time.monotonic() - started:.0f} s)"
            )
    finally:
        receiver.close()


def collect(project: Path, params: Any) -> Replayed:
    """What the last replay under `replay.workdir` left: the clone's operational store, its world's truth and
    the alerts the receiver kept, as the report's tables."""
    from hhforecast.core import config, paths
    from hhforecast.evaluation.evaluate import read_truth
    from hhforecast.ops import status
    from hhforecast.serving import store

    settings = params.replay
    work = (project / settings.workdir).resolve()
    repo = work / "repo"
    if not (work / ALERTS_FILE).exists():
        raise ReplayError(f"{work}: no replay to report on (run `hh replay` first)")
    operated = config.load(repo / "params.yaml")
    if (work / SCHEDULE_FILE).exists():
        recorded = json.loads((work / SCHEDULE_FILE).read_text(encoding="utf-8"))
        schedule = Schedule(**{**recorded, "start": dt.date.fromisoformat(recorded["start"])})
    else:  # a replay from before the schedule was kept: today's params
        schedule = Schedule.of(operated.synthetic, settings)
    log_path = repo / operated.serve.prediction_log
    alerts = pd.read_csv(work / ALERTS_FILE, keep_default_na=False, dtype={"run": int})
    exits: dict[int, str] = {}
    if (work / EXITS_FILE).exists():
        recorded_exits = pd.read_csv(work / EXITS_FILE, dtype={"run": int, "exit": str})
        exits = dict(zip(recorded_exits["run"], recorded_exits["exit"]))
    history = _by_run(store.read_history(log_path), "run_at", schedule)
    forecasts = _by_run(store.read_predictions(log_path), "logged_at", schedule)
    runs = store.read_runs(log_path)
    jobs = _by_run(runs.loc[runs["kind"] == status.WEEKLY], "started_at", schedule)
    weekly = week_forecasts(forecasts)
    production = weekly.loc[pd.to_datetime(weekly["date"]) < pd.Timestamp(schedule.run_day(schedule.runs - 1))]
    truth = read_truth(repo / operated.data.truth_dir, pd.to_datetime(production["date"]))
    if truth is None:
        raise ReplayError(f"{repo / operated.data.truth_dir}: no truth to score the replay's forecasts against")
    scored = expected_errors(production, truth.pmf, truth.weeks["HH_median"].to_numpy(float))
    dataset = pd.read_csv(repo / paths.WEEKLY_DATASET)
    scored = scored.merge(dataset[["date", "HH"]], on="date", how="left")
    flags = first_flags(history)
    promoted = promotions(
        history, scored.assign(date=pd.to_datetime(scored["date"])), status.PROMOTED, settings.compare_weeks
    )
    events = events_table(schedule, history, forecasts, alerts, jobs, exits)
    return Replayed(schedule, history, events, flags, promoted, alerts, scored, shortfalls(schedule, events, flags))


def _by_run(frame: pd.DataFrame, stamp: str, schedule: Schedule) -> pd.DataFrame:
    """Rows labelled with the run they were written in (each run is stamped as of its Monday) and its day."""
    days = pd.to_datetime(frame[stamp], utc=True, format="ISO8601").dt.tz_localize(None).dt.normalize()
    run = ((days - pd.Timestamp(schedule.run_day(0))).dt.days // 7).astype(int)
    return frame.assign(run=run, run_day=[schedule.run_day(r).isoformat() if r >= 0 else "" for r in run])


def _crash(command: list[str], repo: Path, env: dict[str, str], log_path: Path) -> None:
    """Run the job and kill it (SIGKILL, as a crash or an out-of-memory kill would) once its forecast step has
    succeeded; then wait for whatever it started (dvc) to end."""
    import os
    import signal
    import sqlite3
    import subprocess
    import time
    from contextlib import closing

    from hhforecast.ops import weekly

    def forecast_steps(after: int) -> list[tuple[str, str]]:
        with closing(sqlite3.connect(log_path, timeout=30)) as connection:
            return connection.execute(
                "SELECT status, COALESCE(detail, '') FROM runs WHERE id > ? AND kind = ?",
                (after, weekly.step_kind(weekly.FORECAST_STEP)),
            ).fetchall()

    with closing(sqlite3.connect(log_path, timeout=30)) as connection:
        before = int(connection.execute("SELECT COALESCE(MAX(id), 0) FROM runs").fetchone()[0])
    job = subprocess.Popen(
        command, cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + CRASH_WAIT_SECONDS
    steps = forecast_steps(before)
    while not steps or steps[0][0] == "running":
        if job.poll() is not None or time.monotonic() > deadline:
            break
        time.sleep(0.2)
        steps = forecast_steps(before)
    if not steps or steps[0][0] != "succeeded":
        job.kill()
        said = (job.communicate()[1] or b"").decode(errors="replace").strip().splitlines()[-1:]
        why = f"its forecast step {steps[0][0]}: {steps[0][1]}" if steps else "it logged no forecast step"
        raise ReplayError(f"the planted crash missed: {why} ({' '.join(said) or 'no output'})")
    if job.poll() is not None:
        raise ReplayError("the planted crash missed: the job ended before it could be killed after its forecast")
    os.kill(job.pid, signal.SIGKILL)
    job.communicate()
    deadline = time.monotonic() + CRASH_WAIT_SECONDS
    while time.monotonic() < deadline:  # the job's children end on their own
        try:
            os.killpg(job.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise ReplayError(f"the killed job's children did not end within {CRASH_WAIT_SECONDS} s")

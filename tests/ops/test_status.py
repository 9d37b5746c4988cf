import datetime as dt
import re

import pandas as pd
import pytest

from hhforecast.core import paths
from hhforecast.core.errors import HHForecastError
from hhforecast.ops import monitor, status
from hhforecast.serving import store

NOW = dt.datetime(2024, 6, 3, 12, 0, tzinfo=dt.UTC)
RUNS = pd.DataFrame(
    {
        "id": [1, 2, 3, 4],
        "kind": ["pipeline", "retrain", "retrain", "pipeline"],
        "started_at": ["2023-01-02T06:00:00+00:00", "2024-05-27T06:00:00+00:00", "2024-05-28T06:00:00", "2024-06-01"],
        "status": ["failed", "failed", "succeeded", "failed"],
        "detail": ["dvc repro (exit status 1)", "dvc repro (exit status 2)", "dvc repro", ""],
        "model_version": ["", "", "workspace-abc", "workspace-abd"],
    }
)


@pytest.mark.parametrize(
    ("level", "failed", "code", "name"),
    [
        (monitor.HEALTHY, [], status.EXIT_OK, "OK"),
        (monitor.WARNING, [], status.EXIT_WARNING, "WARNING"),
        (monitor.RETRAIN, [], status.EXIT_CRITICAL, "CRITICAL"),
        (monitor.HEALTHY, ["retrain #2"], status.EXIT_WARNING, "WARNING"),  # a failed run leaves something stale
        (monitor.RETRAIN, ["retrain #2"], status.EXIT_CRITICAL, "CRITICAL"),  # and never lowers the status
    ],
)
def test_a_verdict_level_and_failed_runs_give_the_plugin_exit_status(level, failed, code, name):
    assert status.exit_status(level, failed) == code
    assert status.EXIT_NAMES[code] == name


@pytest.mark.parametrize(
    ("weeks", "listed"),
    [
        (1, ["pipeline #4 started 2024-06-01: failed"]),
        (
            8,
            [
                "retrain #2 started 2024-05-27T06:00:00+00:00: dvc repro (exit status 2)",
                "pipeline #4 started 2024-06-01: failed",
            ],
        ),
    ],
)
def test_failed_runs_are_those_started_inside_the_window(weeks, listed):
    assert status.failed_runs(RUNS, NOW - dt.timedelta(weeks=weeks)) == listed
    assert status.failed_runs(RUNS.iloc[:0], NOW) == []


def test_the_runs_summary_counts_failures_and_names_the_last_run():
    summary = status.runs_summary(RUNS, ["pipeline #4 started 2024-06-01: failed"])
    assert summary["total"] == 4 and summary["failed"] == 3
    assert summary["last"] == {
        "kind": "pipeline",
        "started_at": "2024-06-01",
        "status": "failed",
        "model_version": "workspace-abd",
    }
    assert status.runs_summary(RUNS.iloc[:0], [])["last"] is None


@pytest.mark.parametrize(
    ("from_log", "log", "message"),
    [
        (True, None, "nowhere.db: no prediction log"),
        (True, "empty", "empty.db: the prediction log holds no forecasts yet"),
        (False, None, re.escape(f"{paths.PRODUCTION_PREDICTIONS}: not found (run the pipeline first)")),
    ],
)
def test_forecasts_that_cannot_be_read_say_where_they_were_looked_for(tmp_path, monkeypatch, from_log, log, message):
    monkeypatch.chdir(tmp_path)
    log_path = tmp_path / "nowhere.db"
    if log == "empty":
        log_path = tmp_path / "empty.db"
        store.start_run(log_path, "pipeline")  # creates the log, with no forecast in it
    with pytest.raises(HHForecastError, match=message):
        status.read_forecasts(log_path, from_log)


def test_the_last_logged_forecast_of_a_week_is_the_one_monitored(tmp_path):
    log_path = tmp_path / "mlops.db"
    row = {
        "lower_80": 1.0,
        "upper_80": 3.0,
        "lower_95": 0.0,
        "upper_95": 4.0,
        "model_version": "v1",
        "extrapolation": False,
    }
    store.PredictionLog(log_path).append_records(
        [
            {"date": "2024-05-27", "predicted_hh": 2.0, **row},
            {"date": "2024-05-27", "predicted_hh": 2.5, **row},
            {"date": "2024-06-03", "predicted_hh": 3.0, **row},
        ],
        [{"acft": 1.0}] * 3,
        channel="api",
    )
    forecasts = status.read_forecasts(log_path, from_log=True)
    assert forecasts["date"].tolist() == ["2024-05-27", "2024-06-03"]
    assert forecasts["predicted_hh"].tolist() == [2.5, 3.0]


def test_ok_sends_no_alert(monkeypatch):
    monkeypatch.setattr("hhforecast.ops.alerts.send", lambda *args: pytest.fail("an OK status alerted"))
    status.notify(["json://127.0.0.1:9"], status.Status({}, pd.DataFrame(), status.EXIT_OK))


def weekly_runs(*rows: tuple[str, str]) -> pd.DataFrame:
    """The run log's `hh weekly` runs: (started_at, status) each."""
    return pd.DataFrame(
        {
            "id": range(1, len(rows) + 1),
            "kind": [status.WEEKLY] * len(rows),
            "started_at": [started for started, _ in rows],
            "status": [state for _, state in rows],
        }
    )


FRESH_DATA = "2024-05-20"  # its week ends on Sunday 2024-05-26, 8 days before NOW
RAN = weekly_runs(("2024-05-27T06:00:00+00:00", "succeeded"))


@pytest.mark.parametrize(
    ("data_through", "runs", "limits", "problems"),
    [
        (FRESH_DATA, RAN, (10, 8), []),
        (FRESH_DATA, RAN, (None, None), []),
        ("2024-04-29", RAN, (10, 8), ["no new data: the newest complete week ends 2024-05-05, 29 days ago"]),
        ("2024-04-29", RAN, (None, 8), []),
        (None, RAN, (10, 8), ["the data's last week is unknown"]),
        (FRESH_DATA, None, (10, 8), ["`hh weekly` has never run"]),
        (FRESH_DATA, RUNS, (10, 8), ["`hh weekly` has never run"]),  # other kinds of runs do not count
        (
            FRESH_DATA,
            weekly_runs(("2024-05-20T06:00:00+00:00", "succeeded"), ("2024-05-27T06:00:00+00:00", "failed")),
            (10, 8),
            ["`hh weekly` has not succeeded in 8 days (last on 2024-05-20"],  # crashed last Monday
        ),
        (
            FRESH_DATA,
            weekly_runs(("2024-05-20T06:00:00+00:00", "succeeded"), ("2024-05-22T06:00:00+00:00", "running")),
            (10, 8),
            [
                "`hh weekly` has not succeeded in 8 days (last on 2024-05-20",
                "`hh weekly` #2 started 2024-05-22T06:00:00+00:00 and never ended",  # hung since its last success
            ],
        ),
        (  # killed without being ended, then working again: the old row is no longer news
            FRESH_DATA,
            weekly_runs(("2024-05-22T06:00:00+00:00", "running"), ("2024-06-03T06:00:00+00:00", "succeeded")),
            (10, 8),
            [],
        ),
        (FRESH_DATA, weekly_runs(("2024-06-03T06:00:00+00:00", "running")), (10, 8), []),  # the first run, asking
        (  # killed last Monday, inside the limit; this Monday's run, asking, is alive, and the older one is dead
            FRESH_DATA,
            weekly_runs(
                ("2024-05-20T06:00:00+00:00", "succeeded"),
                ("2024-05-27T06:00:00+00:00", "running"),
                ("2024-06-03T06:00:00+00:00", "running"),
            ),
            (10, 8),
            ["`hh weekly` #2 started 2024-05-27T06:00:00+00:00 and never ended"],
        ),
        (FRESH_DATA, weekly_runs(("2024-05-22T06:00:00+00:00", "running")), (10, 8), ["(never;", "never ended"]),
    ],
)
def test_data_that_stopped_arriving_and_a_weekly_job_that_did_not_run_are_never_ok(
    data_through, runs, limits, problems
):
    found = status.availability(data_through, runs, NOW, *limits)
    assert len(found) == len(problems), found
    for line, expected in zip(found, problems):
        assert expected in line


def test_a_history_row_keeps_the_errors_the_verdict_and_everything_that_raised_it():
    summary = {
        "data_through": "2024-05-27",
        "reasons": ["errors rose"],
        "warnings": ["acft may drift"],
        "runs": {"failed_in_window": ["retrain #2"]},
        "availability": ["no new data"],
        "performance": {
            "last_4_weeks": {"mae": 50.0, "rmse": 60.0, "mape": 12.0, "coverage_80": 0.5},
            "last_13_weeks": {"mae": 45.0, "rmse": 55.0, "mape": 11.0, "coverage_80": 0.7},
        },
    }
    row = status.history_row(summary, "CRITICAL", "v1.2.0", "after the hangar move")
    assert row == {
        "data_through": "2024-05-27",
        "model_version": "v1.2.0",
        "mae_4w": 50.0,
        "rmse_4w": 60.0,
        "mape_4w": 12.0,
        "mae_13w": 45.0,
        "rmse_13w": 55.0,
        "mape_13w": 11.0,
        "coverage_80_13w": 0.7,
        "verdict": "CRITICAL",
        "reasons": "errors rose; acft may drift; failed run retrain #2; no new data",
        "comment": "after the hangar move",
    }
    assert set(row) | {"action"} == set(store.HISTORY_COLUMNS)


def test_the_model_judged_is_the_one_whose_metadata_is_given(tmp_path, monkeypatch, params):
    seen = []

    def assess_workspace(params, forecasts, metadata=None):
        seen.append(metadata)
        summary = {"exit_code": monitor.HEALTHY, "reasons": [], "warnings": [], "data_through": None}
        return summary, None, pd.DataFrame()

    monkeypatch.setattr(monitor, "assess_workspace", assess_workspace)
    monkeypatch.setattr(status, "read_forecasts", lambda log_path, from_log: pd.DataFrame())
    production = {"trained_through": "2024-04-01", "validation_abs_errors": [1.0]}
    quiet = params.model_copy(
        update={"monitor": params.monitor.model_copy(update={"max_data_age_days": None, "max_run_age_days": None})}
    )
    assert status.assess(quiet, tmp_path / "ops.db", False, NOW, production).exit_status == status.EXIT_OK
    status.assess(quiet, tmp_path / "ops.db", False, NOW)
    assert seen == [production, None]  # production's, then (none given) the workspace's

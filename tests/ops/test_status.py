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

"""Exit codes a scheduler can trust: `hh monitor` follows the monitoring-plugin convention."""

import datetime as dt
import sys

import pandas as pd
import pytest
import yaml

from hhforecast import cli
from hhforecast.core import paths
from hhforecast.ops import monitor
from hhforecast.serving import store
from tests.helpers import REPO


def summary(level: int, reasons=(), warnings=()) -> dict:
    return {
        "status": monitor.LEVEL_NAMES[level],
        "exit_code": level,
        "reasons": list(reasons),
        "warnings": list(warnings),
        "production_weeks": 10,
        "model_age_weeks": 10,
        "performance": {"mae": None},
    }


@pytest.fixture()
def workspace(tmp_path, monkeypatch):
    """A working folder with params.yaml and a forecasts file; monitoring's assessment is stubbed per test, and
    the clock's availability checks are off (tests/ops/test_status.py and the history tests below have them)."""
    values = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    values["monitor"]["max_data_age_days"] = values["monitor"]["max_run_age_days"] = None
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(values), encoding="utf-8")
    forecasts = tmp_path / paths.PRODUCTION_PREDICTIONS
    forecasts.parent.mkdir(parents=True)
    forecasts.write_text("date,predicted_hh\n2024-04-08,1.0\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def stub(monkeypatch, result):
    drift = pd.DataFrame(columns=["feature", "psi", "ks_pvalue", "mean_shift_sd", "status"])

    def assess(params, forecasts, metadata=None):
        if isinstance(result, BaseException):
            raise result
        return result, None, drift

    monkeypatch.setattr(monitor, "assess_workspace", assess)


@pytest.mark.parametrize(
    "result, code, first_line",
    [
        (summary(monitor.HEALTHY), 0, "OK: no alerts"),
        (
            summary(monitor.WARNING, warnings=["feature acft may be drifting"]),
            1,
            "WARNING: feature acft may be drifting",
        ),
        (summary(monitor.RETRAIN, reasons=["model is 60 weeks old"]), 2, "CRITICAL: model is 60 weeks old"),
        (RuntimeError("boom"), 3, None),
        (KeyError("metrics"), 3, None),
        (MemoryError(), 3, None),
    ],
)
def test_monitor_exit_codes_and_a_crash_is_never_a_warning(workspace, monkeypatch, capsys, result, code, first_line):
    stub(monkeypatch, result)
    assert cli.main(["monitor", "--log-db", str(workspace / "ops.db")]) == code
    out, err = capsys.readouterr()
    if first_line:
        assert out.splitlines()[0] == first_line
    else:
        assert f"hh monitor: internal error: {type(result).__name__}" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv, remove, message",
    [
        (["monitor"], paths.PRODUCTION_PREDICTIONS, "production_predictions.csv: not found"),
        (["monitor"], "params.yaml", "parameters file not found"),
        (["monitor", "--from-log", "--log-db", "nowhere.db"], None, "nowhere.db: no prediction log"),
        (["monitor", "--no-such-option"], None, "unrecognized arguments"),
    ],
)
def test_monitor_is_unknown_when_it_cannot_assess(workspace, capsys, argv, remove, message):
    if remove:
        (workspace / remove).unlink()
    assert cli.main(argv) == 3
    assert message in capsys.readouterr().err


def test_failed_runs_in_the_window_raise_the_status_and_are_listed(workspace, monkeypatch, capsys):
    stub(monkeypatch, summary(monitor.HEALTHY))
    db = workspace / "ops.db"
    old = store.start_run(db, "pipeline")
    store.end_run(db, old, "failed", "dvc repro (exit status 1)")
    with store.connect(db) as connection:  # a failure long before the monitoring window does not count
        connection.execute(
            "UPDATE runs SET started_at = ? WHERE id = ?",
            ((dt.datetime.now(dt.UTC) - dt.timedelta(weeks=30)).isoformat(), old),
        )
    assert cli.main(["monitor", "--log-db", str(db)]) == 0
    recent = store.start_run(db, "retrain")
    store.end_run(db, recent, "failed", "dvc repro (exit status 2)")
    capsys.readouterr()
    assert cli.main(["monitor", "--log-db", str(db)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith(f"WARNING: failed run retrain #{recent} started ")
    assert f"failed run: retrain #{recent}" in out and "dvc repro (exit status 2)" in out


def test_monitor_notify_sends_the_status_and_reasons(workspace, monkeypatch, receiver):
    base, received = receiver
    values = yaml.safe_load((workspace / "params.yaml").read_text())
    values["monitor"]["notify"] = [base + "/${HOOK}"]
    (workspace / "params.yaml").write_text(yaml.safe_dump(values))
    monkeypatch.setenv("HOOK", "monitor")
    stub(monkeypatch, summary(monitor.HEALTHY))
    assert cli.main(["monitor", "--notify", "--log-db", "ops.db"]) == 0
    assert received == []  # OK sends nothing
    stub(monkeypatch, summary(monitor.RETRAIN, reasons=["model is 60 weeks old"]))
    assert cli.main(["monitor", "--notify", "--log-db", "ops.db"]) == 2
    stub(monkeypatch, RuntimeError("disk on fire"))
    assert cli.main(["monitor", "--notify", "--log-db", "ops.db"]) == 3
    critical, unknown = (m["body"] for m in received)
    assert (
        critical["title"] == "hh-forecast monitor: CRITICAL" and "RETRAIN: model is 60 weeks old" in critical["message"]
    )
    assert unknown["title"] == "hh-forecast monitor: UNKNOWN" and "disk on fire" in unknown["message"]
    assert {m["path"] for m in received} == {"/monitor"}


def test_runlog_records_a_failed_run_and_alerts(workspace, receiver):
    base, received = receiver
    values = yaml.safe_load((workspace / "params.yaml").read_text())
    values["monitor"]["notify"] = [base]
    (workspace / "params.yaml").write_text(yaml.safe_dump(values))
    db = workspace / "ops.db"
    failing = [sys.executable, "-c", "raise SystemExit(5)"]
    assert cli.main(["runlog", "--log-db", str(db), "retrain", "--", *failing]) == 5
    runs = store.read_runs(db)
    assert runs["status"].tolist() == ["failed"] and "(exit status 5)" in runs["detail"].iloc[0]
    [message] = received
    assert message["body"]["title"] == "hh-forecast run failed: retrain #1"
    assert "status: FAILED" in message["body"]["message"] and "exit status: 5" in message["body"]["message"]
    assert cli.main(["runlog", "--log-db", str(db), "pipeline", "--", sys.executable, "-c", "pass"]) == 0
    assert len(received) == 1  # a run that succeeds alerts nobody


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (["check-raw", "no/such/folder"], 1, "FAIL"),
        (["predict", "missing.csv"], 1, "hh predict: error: missing.csv: file not found"),
        (["predict"], 2, "hh predict: error: a planned-weeks CSV is needed (`hh predict --template` prints one)"),
        (["weekly", "--as-of", "2024-13-01"], 3, "'2024-13-01' is not a date (expected YYYY-MM-DD)"),
        (["no-such-command"], 2, "invalid choice"),
    ],
)
def test_other_commands_exit_with_documented_codes(workspace, capsys, argv, code, message):
    """0 success, 1 refused or failed with the reason, 2 usage error, 3 internal error."""
    assert cli.main(argv) == code
    captured = capsys.readouterr()
    assert message in captured.out + captured.err


def test_serve_refuses_a_non_loopback_host_without_a_token(workspace, monkeypatch, capsys):
    monkeypatch.delenv("HH_API_TOKEN", raising=False)
    assert cli.main(["serve", "--host", "0.0.0.0"]) == 1
    assert "--host 0.0.0.0 is reachable from other machines: set HH_API_TOKEN" in capsys.readouterr().err


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.5", False),
        ("::", False),
        ("example.org", False),
    ],
)
def test_loopback_hosts(host, loopback):
    assert cli.is_loopback(host) is loopback


def test_an_internal_error_in_another_command_is_3_in_one_line(workspace, monkeypatch, capsys):
    def broken(args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(cli, "cmd_models", broken)
    assert cli.main(["models"]) == 3
    err = capsys.readouterr().err
    assert err == "hh models: internal error: ZeroDivisionError: division by zero\n"


@pytest.mark.parametrize(
    "argv",
    [[], *([name] for name in ("predict", "serve", "promote", "compare", "rollback", "monitor", "runlog"))]
    + [["check-raw"], ["models"], ["verify"], ["release"]],
    ids=lambda argv: " ".join(argv) or "hh",
)
def test_every_help_text_renders(argv, capsys):
    assert cli.main([*argv, "--help"]) == 0
    assert capsys.readouterr().out.startswith(f"usage: hh {' '.join(argv)}".rstrip())


def test_a_percent_sign_in_a_help_text_is_printed_as_written(capsys):
    assert cli.main(["--help"]) == 0
    assert "95 % interval" in capsys.readouterr().out


def test_every_check_leaves_a_history_row_even_one_that_could_not_run(workspace, monkeypatch, capsys):
    db = workspace / "ops.db"
    stub(monkeypatch, summary(monitor.RETRAIN, reasons=["model is 60 weeks old"]))
    assert cli.main(["monitor", "--log-db", str(db), "--comment", "new hangar"]) == 2
    stub(monkeypatch, RuntimeError("disk on fire"))
    assert cli.main(["monitor", "--log-db", str(db)]) == 3
    history = store.read_history(db)
    assert history["verdict"].tolist() == ["CRITICAL", "UNKNOWN"]
    assert history["comment"].tolist()[0] == "new hangar"
    assert history["reasons"].tolist() == ["model is 60 weeks old", "internal error: RuntimeError: disk on fire"]
    capsys.readouterr()
    assert cli.main(["history", "--log-db", str(db), "--csv", "history.csv", "--plot", "history.png"]) == 0
    assert pd.read_csv(workspace / "history.csv")["verdict"].tolist() == ["CRITICAL", "UNKNOWN"]
    assert (workspace / "history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert cli.main(["history", "--log-db", str(db)]) == 0
    assert "CRITICAL" in capsys.readouterr().out


def test_monitor_says_when_the_weekly_job_never_ran(workspace, monkeypatch, capsys):
    values = yaml.safe_load((workspace / "params.yaml").read_text())
    values["monitor"]["max_run_age_days"] = 8
    (workspace / "params.yaml").write_text(yaml.safe_dump(values))
    stub(monkeypatch, summary(monitor.HEALTHY))
    assert cli.main(["monitor", "--log-db", str(workspace / "ops.db")]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "WARNING: `hh weekly` has never run (monitor.max_run_age_days 8)"


def test_history_without_a_store_is_refused_by_name(workspace, capsys):
    assert cli.main(["history", "--log-db", "nowhere.db"]) == 1
    assert "nowhere.db: no monitoring history yet" in capsys.readouterr().err


def test_the_planned_weeks_template_is_the_example_file_and_reads_as_planned_weeks(params, capsys, tmp_path):
    from hhforecast.serving import predict

    assert cli.main(["predict", "--template"]) == 0
    template = capsys.readouterr().out
    assert template == (REPO / "examples" / "planned.csv").read_text(encoding="utf-8")
    weeks, kind = predict.read_planned(REPO / "examples" / "planned.csv", params)
    assert kind == "features" and len(weeks) == 2 and (pd.to_datetime(weeks["date"]).dt.day_of_week == 0).all()


def test_weekly_as_of_stamps_the_store_with_that_day(monkeypatch, tmp_path):
    from hhforecast.ops import weekly

    seen = {}

    def run(log_path, params, steps, comment):
        seen["now"] = store.now()
        return weekly.Outcome(0)

    monkeypatch.setattr(weekly, "default_steps", lambda *args: None)
    monkeypatch.setattr(weekly, "run", run)
    monkeypatch.chdir(REPO)
    assert cli.main(["weekly", "--log-db", str(tmp_path / "ops.db"), "--as-of", "2024-06-03"]) == 0
    assert seen["now"].date() == dt.date(2024, 6, 3) and seen["now"].hour == 6
    assert abs((store.now() - dt.datetime.now(dt.UTC)).total_seconds()) < 60  # back on the wall clock

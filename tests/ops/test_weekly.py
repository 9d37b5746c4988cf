"""`hh weekly`'s decisions, with its side effects (dvc, the registry, git, Apprise) replaced by recorders."""

from __future__ import annotations

import pandas as pd
import pytest

from hhforecast.core import config
from hhforecast.ops import checkraw, status, weekly
from hhforecast.serving import store
from tests.helpers import REPO

PARAMS = config.load(REPO / "params.yaml")  # retrain every 13 weeks, cooldown 4 weeks


def verdict(code: int, retrain: bool = False, data_through: str = "2024-06-03", reasons=()) -> status.Status:
    summary = {
        "data_through": data_through,
        "retrain_recommended": retrain,
        "reasons": list(reasons),
        "warnings": [],
        "performance": {"last_4_weeks": {"mae": 40.0}, "last_13_weeks": {"mae": 38.0, "coverage_80": 0.8}},
    }
    return status.Status(summary, pd.DataFrame(), code)


class Recorder:
    """Steps that record their calls; `assessed` are the statuses `assess` returns in turn."""

    def __init__(self, *assessed, trained_through="2024-05-06", raw_problems=(), promote="promoted hh-model@v1.1.0"):
        self.calls: list[str] = []
        self.assessed = list(assessed)
        self.trained = trained_through
        self.raw_problems = list(raw_problems)
        self.promote = promote
        self.notified: list[int] = []

    def steps(self) -> weekly.Steps:
        def record(name, value=None):
            def call(*args):
                self.calls.append(name if not args else f"{name}({args[0]})")
                return value() if callable(value) else value

            return call

        return weekly.Steps(
            check_raw=record("check_raw", lambda: self.raw_problems),
            rebuild_dataset=record("rebuild_dataset"),
            forecast_planned=record("forecast_planned", 4),
            assess=record("assess", lambda: self.assessed.pop(0)),
            trained_through=record("trained_through", lambda: self.trained),
            retrain_and_promote=record("retrain", lambda: f"retrained; {self.promote}"),
            notify=lambda found: self.notified.append(found.exit_status),
        )


def test_a_healthy_week_runs_every_step_records_them_and_exits_ok(tmp_path):
    db = tmp_path / "ops.db"
    recorder = Recorder(verdict(status.EXIT_OK))
    outcome = weekly.run(db, PARAMS, recorder.steps(), comment="first Monday")
    assert outcome.exit_status == status.EXIT_OK and outcome.action == ""
    assert recorder.calls == ["check_raw", "rebuild_dataset", "forecast_planned", "assess", "trained_through"]
    runs = store.read_runs(db)
    assert runs["kind"].tolist() == [
        "weekly",
        "weekly:check-raw",
        "weekly:rebuild-dataset",
        "weekly:forecast",
        "weekly:monitor",
        "weekly:model",
        "weekly:alert",
    ]
    assert set(runs["status"]) == {"succeeded"}
    assert runs["detail"].tolist()[3] == "4 planned week(s) forecast and logged"
    history = store.read_history(db)
    assert history[["verdict", "comment", "mae_4w"]].values.tolist() == [["OK", "first Monday", 40.0]]
    assert recorder.notified == [status.EXIT_OK]


@pytest.mark.parametrize(
    ("trained_through", "assessed", "retrain_call", "exit_status"),
    [
        # the verdict recommends retraining: retrain, promote, judge the new model again
        ("2024-03-04", [verdict(2, True, reasons=["errors rose"]), verdict(0)], "retrain(monitor: errors rose)", 0),
        # the same verdict within the cooldown (the model's data ends 2 weeks before the newest week): no retrain
        ("2024-05-20", [verdict(2, True, reasons=["errors rose"])], None, 2),
        # healthy, but a quarter of new data since the model's last week: a scheduled refresh
        (
            "2024-03-04",
            [verdict(0), verdict(0)],
            "retrain(scheduled: the production model's data ends 13 weeks before the newest week)",
            0,
        ),
        ("2024-03-11", [verdict(0)], None, 0),  # 12 weeks: not yet
        (None, [verdict(2, True, reasons=["errors rose"]), verdict(0)], "retrain(monitor: errors rose)", 0),
    ],
)
def test_the_job_retrains_when_the_verdict_or_the_calendar_says_so_but_not_in_the_cooldown(
    tmp_path, trained_through, assessed, retrain_call, exit_status
):
    recorder = Recorder(*assessed, trained_through=trained_through)
    outcome = weekly.run(tmp_path / "ops.db", PARAMS, recorder.steps())
    retrains = [c for c in recorder.calls if c.startswith("retrain")]
    assert retrains == ([] if retrain_call is None else [retrain_call])
    assert outcome.exit_status == exit_status
    if retrain_call is not None:
        assert outcome.action == "retrained; promoted hh-model@v1.1.0"
        assert store.read_history(tmp_path / "ops.db")["action"].tolist() == [outcome.action]
        kinds = store.read_runs(tmp_path / "ops.db")["kind"].tolist()
        assert kinds[-3:] == ["weekly:retrain", "weekly:monitor-after-promotion", "weekly:alert"]
        assert store.read_history(tmp_path / "ops.db")["reasons"].iloc[0].startswith("retrained because ")


def test_a_refused_promotion_keeps_the_verdict_and_says_why(tmp_path):
    recorder = Recorder(verdict(2, True, reasons=["errors rose"]), promote="promotion refused: coverage 0.5")
    outcome = weekly.run(tmp_path / "ops.db", PARAMS, recorder.steps())
    assert outcome.exit_status == status.EXIT_CRITICAL
    assert outcome.action == "retrained; promotion refused: coverage 0.5"
    assert "assess" == recorder.calls[-3]  # judged once: the production model did not change


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("raw", "check-raw: events/2024.xlsx: no header row"),
        ("rebuild", "rebuild-dataset: RuntimeError: dvc repro join failed"),
    ],
)
def test_a_step_that_cannot_run_stops_the_job_as_unknown_and_alerts(tmp_path, monkeypatch, broken, message):
    sent = []
    monkeypatch.setattr(status, "notify_unknown", lambda urls, problem: sent.append(problem))
    recorder = Recorder(verdict(0), raw_problems=["events/2024.xlsx: no header row"] if broken == "raw" else [])
    steps = recorder.steps()
    if broken == "rebuild":

        def fail() -> None:
            raise RuntimeError("dvc repro join failed")

        steps.rebuild_dataset = fail
    outcome = weekly.run(tmp_path / "ops.db", PARAMS, steps)
    assert outcome.exit_status == status.EXIT_UNKNOWN
    assert "assess" not in recorder.calls
    runs = store.read_runs(tmp_path / "ops.db")
    job = runs.loc[runs["kind"] == "weekly"].iloc[0]
    assert job["status"] == "failed" and job["detail"] == message
    assert store.read_history(tmp_path / "ops.db")[["verdict", "reasons"]].values.tolist() == [["UNKNOWN", message]]
    assert sent == [f"hh weekly: {message}"]


def test_a_retrain_is_committed_as_the_repositorys_identity_or_the_jobs(tmp_path, monkeypatch):
    import subprocess

    from hhforecast.serving import git
    from tests.helpers import git_repo

    repo = git_repo(tmp_path)
    (repo / "dvc.lock").write_text("stages: {}\n")
    first = git.commit(repo, weekly.RETRAIN_FILES, "Weekly retrain: scheduled", weekly.GIT_NAME, weekly.GIT_EMAIL)
    assert first is not None
    assert git.commit(repo, weekly.RETRAIN_FILES, "nothing new", weekly.GIT_NAME, weekly.GIT_EMAIL) is None
    author = subprocess.run(["git", "log", "-1", "--format=%an <%ae>"], cwd=repo, capture_output=True, text=True)
    assert author.stdout.strip() == "ops <ops@example.com>"  # the repository's own identity
    subprocess.run(["git", "config", "--unset", "user.name"], cwd=repo, check=True)
    subprocess.run(["git", "config", "--unset", "user.email"], cwd=repo, check=True)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-config"))  # a machine with no identity at all
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    (repo / "dvc.lock").write_text("stages: {train: {}}\n")
    git.commit(repo, weekly.RETRAIN_FILES, "Weekly retrain: monitor", weekly.GIT_NAME, weekly.GIT_EMAIL)
    author = subprocess.run(["git", "log", "-1", "--format=%an <%ae>"], cwd=repo, capture_output=True, text=True)
    assert author.stdout.strip() == f"{weekly.GIT_NAME} <{weekly.GIT_EMAIL}>"


def test_hh_weekly_prints_each_step_and_exits_with_the_verdict(tmp_path, monkeypatch, capsys):
    from hhforecast import cli

    (tmp_path / "params.yaml").write_text((REPO / "params.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    recorder = Recorder(verdict(2, True, reasons=["errors rose"]), trained_through="2024-05-20")
    monkeypatch.setattr(weekly, "default_steps", lambda repo, params, log_path, say: recorder.steps())
    assert cli.main(["weekly", "--log-db", "ops.db", "--comment", "replay week 1"]) == status.EXIT_CRITICAL
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["check-raw: succeeded: the raw folder is fine", "rebuild-dataset: succeeded: dataset rebuilt"]
    assert out[-1] == "CRITICAL: errors rose"
    assert store.read_history(tmp_path / "ops.db")["comment"].tolist() == ["replay week 1"]


def test_an_alert_that_cannot_be_sent_ends_the_job_as_unknown_with_one_history_row(tmp_path):
    recorder = Recorder(verdict(status.EXIT_WARNING))
    steps = recorder.steps()

    def broken(found: status.Status) -> None:
        raise RuntimeError("smtp refused")

    steps.notify = broken
    outcome = weekly.run(tmp_path / "ops.db", PARAMS, steps)
    assert outcome.exit_status == status.EXIT_UNKNOWN
    runs = store.read_runs(tmp_path / "ops.db")
    assert runs.loc[runs["kind"] == "weekly", "detail"].tolist() == ["alert: RuntimeError: smtp refused"]
    assert "running" not in set(runs["status"])
    assert store.read_history(tmp_path / "ops.db")["verdict"].tolist() == ["WARNING"]


def test_the_cooldown_also_counts_from_the_jobs_last_retrain_and_an_empty_reason_still_says_why(tmp_path):
    db = tmp_path / "ops.db"
    store.append_history(
        db,
        {
            "data_through": "2024-05-13",
            "verdict": "CRITICAL",
            "reasons": "",
            "action": "retrained; promotion refused: coverage 0.5",
        },
    )
    recorder = Recorder(verdict(2, True), trained_through="2024-01-01")  # production is old, but the job retrained
    assert weekly.run(db, PARAMS, recorder.steps()).action == ""  # 3 weeks ago: within the cooldown
    later = Recorder(verdict(2, True, data_through="2024-06-10"), verdict(0), trained_through="2024-01-01")
    outcome = weekly.run(db, PARAMS, later.steps())
    assert "retrain(monitor: retrain recommended)" in later.calls and outcome.exit_status == 0


def test_in_dataset_mode_the_raw_folder_is_not_checked_and_the_run_log_says_so(tmp_path):
    db = tmp_path / "ops.db"
    recorder = Recorder(verdict(status.EXIT_OK), raw_problems=["would fail"])
    own = PARAMS.model_copy(update={"data": PARAMS.data.model_copy(update={"source": "dataset"})})
    outcome = weekly.run(db, own, recorder.steps())
    assert outcome.exit_status == status.EXIT_OK and "check_raw" not in recorder.calls
    runs = store.read_runs(db).set_index("kind")
    assert runs.loc["weekly:check-raw", "detail"] == checkraw.SKIPPED_FOR_DATASET

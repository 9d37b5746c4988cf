"""The replay's pure part: its schedule, its exports, the report's tables; the receiver and the params it sets."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from hhforecast.ops import replay
from hhforecast.ops.status import PROMOTED, RETRAINED
from hhforecast.synth.world import build_world
from tests.helpers import small_world

START = dt.date(2024, 1, 1)  # a Monday


def schedule(**changes: int) -> replay.Schedule:
    values = {"world_weeks": 30, "runs": 10, "withheld": 3, "crash": 6} | changes
    return replay.Schedule(START, **values)


def test_each_run_is_the_monday_after_its_data_and_the_withheld_week_comes_a_week_late():
    plan = schedule()
    assert plan.first_week == 20
    assert plan.run_day(0) == START + dt.timedelta(weeks=20)
    assert plan.delivered(0) == []
    assert plan.delivered(2) == [20, 21]
    assert plan.delivered(3) == [20, 21]  # week 22 is withheld at run 3 ...
    assert plan.delivered(4) == [20, 21, 22, 23]  # ... and arrives with the next


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"runs": 30}, "replay.weeks 30 must lie in [4, 29]"),
        ({"runs": 3, "withheld": 1, "crash": 2}, "replay.weeks 3 must lie in [4, 29]"),
        ({"withheld": 0}, "replay.withheld_week 0 must lie in [1, 8]"),
        ({"crash": 9}, "replay.crash_week 9 must lie in [1, 8]"),
        ({"crash": 3}, "must be different weeks"),
    ],
)
def test_a_schedule_that_cannot_show_its_events_is_refused(changes, message):
    with pytest.raises(replay.ReplayError, match=message.replace("[", r"\[").replace("]", r"\]")):
        schedule(**changes)


@pytest.fixture(scope="module")
def world(params):
    from hhforecast.core.config import SyntheticParams

    return build_world(SyntheticParams.model_validate(small_world(params)))


def test_an_export_holds_exactly_the_rows_of_its_days_in_the_contracts_columns(world):
    events, flown = replay.exports(world, 70, 76)
    start = np.datetime64(world.params.start, "D")
    assert list(events.columns) == replay.EVENT_COLUMNS
    assert list(flown.columns) == replay.UTILIZATION_COLUMNS
    event_days = (events["raised_at"].to_numpy().astype("datetime64[D]") - start).astype(int)
    assert len(events) and event_days.min() >= 70 and event_days.max() <= 76
    all_days = (world.events["raised_at"].to_numpy().astype("datetime64[D]") - start).astype(int)
    assert len(events) == int(((all_days >= 70) & (all_days <= 76)).sum())
    flown_days = (flown["date"].to_numpy().astype("datetime64[D]") - start).astype(int)
    assert sorted(set(flown_days)) == list(range(70, 77))


def test_the_planners_file_holds_the_planned_weeks_and_the_window_before_them(world, params):
    planned = replay.planned_utilization(world, 20, 4, params.aggregate.window_days)
    days = pd.to_datetime(planned["date"])
    first_monday = pd.Timestamp(world.params.start) + pd.Timedelta(weeks=20)
    assert days.min() == first_monday - pd.Timedelta(days=params.aggregate.window_days - 1)
    assert days.max() == first_monday + pd.Timedelta(days=4 * 7 - 1)


def test_the_planners_file_gives_the_pipelines_features_for_the_planned_weeks(world, params, tmp_path):
    from hhforecast.serving import predict

    planned = replay.planned_utilization(world, 20, 3, params.aggregate.window_days)
    path = tmp_path / "planned.csv"
    replay._write_csv(planned, path)
    weeks, kind = predict.read_planned(path, params)
    first_monday = pd.Timestamp(world.params.start) + pd.Timedelta(weeks=20)
    assert kind == "utilization"
    assert list(pd.to_datetime(weeks["date"])) == [first_monday + pd.Timedelta(weeks=k) for k in range(3)]


@pytest.mark.parametrize(
    ("problem", "kind"),
    [
        (
            "the CUSUM of the level-scaled errors crossed its level 4.10 in production week 6 (...): the errors rose",
            "errors: CUSUM",
        ),
        (
            "MAE over the last 8 weeks is 80.1 against ...; one-sided rank test on level-scaled errors p = 0.001 < 0.0024, ...: the errors rose",
            "errors: rank test",
        ),
        (
            "MAE over the last 8 weeks is 50.0 against ...; one-sided rank test p = 0.03: errors may be rising",
            "errors: warning",
        ),
        (
            "feature age_fleet drifted: PSI 4.20 >= monitor.psi_alert 0.25 and KS p-value 1e-05 < 0.01",
            "drift: age_fleet",
        ),
        ("feature acft may be drifting: PSI 0.12, KS p-value 0.2", "drift warning: acft"),
        (
            "one-sided rank test p = 0.001 < 0.0024: the rank test says the errors rose, but the CUSUM, which "
            "decides (monitor.error_detector), has not crossed its level",
            "errors: warning",
        ),
        ("model is 60 weeks old, more than monitor.max_model_age_weeks=52", "model age"),
        ("retrained because monitor: feature age_fleet drifted: PSI 7.20 >= monitor.psi_alert 1.5", "drift: age_fleet"),
        (
            "retrained because scheduled: the production model's data ends 13 weeks before the newest week",
            "retrain schedule",
        ),
        (
            "no new data: the newest complete week ends 2024-12-01, 8 days ago (monitor.max_data_age_days 7)",
            "availability: no new data",
        ),
        ("`hh weekly` #31 started 2024-12-16T06:00:00+00:00 and never ended", "availability: weekly job"),
        (
            "`hh weekly` has not succeeded in 8 days (last on 2024-12-02; monitor.max_run_age_days 8)",
            "availability: weekly job",
        ),
        ("2 missing week(s), first 2024-05-06", ""),
    ],
)
def test_each_problem_is_put_down_to_the_check_that_raised_it(problem, kind):
    assert replay.check_kind(problem) == kind


def history(*rows: dict) -> pd.DataFrame:
    base = {"data_through": None, "model_version": "v1.0.0", "reasons": "", "action": None}
    return pd.DataFrame([base | row for row in rows])


def test_the_first_run_each_check_spoke_is_found_once():
    found = replay.first_flags(
        history(
            {"run": 0, "run_day": "2024-05-20", "reasons": ""},
            {"run": 1, "run_day": "2024-05-27", "reasons": "feature age_fleet drifted: PSI 3.00 >= 0.25"},
            {
                "run": 2,
                "run_day": "2024-06-03",
                "reasons": "model is 60 weeks old, x; feature age_fleet drifted: PSI 5",
            },
        )
    )
    assert found[["check", "run"]].values.tolist() == [["drift: age_fleet", 1], ["model age", 2]]
    assert found["said"].iloc[0] == "feature age_fleet drifted: PSI 3.00 >= 0.25"


def test_a_promotion_is_judged_on_the_weeks_each_model_forecast_against_the_oracle():
    weeks = pd.DataFrame(
        {
            "date": pd.date_range("2024-05-06", periods=6, freq="7D"),
            "model_version": ["v1.0.0"] * 3 + ["v1.1.0"] * 3,
            "expected_mae": [30.0, 30.0, 30.0, 22.0, 22.0, 22.0],
            "oracle_mae": [20.0] * 6,
        }
    )
    done = history(
        {
            "run": 3,
            "run_day": "2024-05-27",
            "action": f"{PROMOTED} hh-model@v1.1.0 (refresh)",
            "model_version": "v1.1.0",
        },
        {"run": 4, "run_day": "2024-06-03", "action": f"{RETRAINED}; promotion refused: worse"},
    )
    table = replay.promotions(done, weeks, PROMOTED, span_weeks=2)
    assert len(table) == 1
    row = table.iloc[0]
    assert row["replaced"] == "v1.0.0"
    assert (row["weeks_before"], row["ratio_before"]) == (2, pytest.approx(1.5))
    assert (row["weeks_after"], row["ratio_after"]) == (2, pytest.approx(1.1))


def events(**changes: object) -> pd.DataFrame:
    """A replay's event table where everything planned was shown; `changes` are {run: {column: value}}."""
    plan = schedule()
    rows = [
        {
            "run": r,
            "run_day": plan.run_day(r).isoformat(),
            "exit": "OK",
            "weeks_forecast": 4,
            "checks": "",
            "alerts": "",
        }
        for r in range(plan.runs)
    ]
    rows[plan.withheld].update(exit="WARNING", checks="availability: no new data", alerts="hh-forecast: WARNING")
    rows[plan.crash].update(exit="killed")
    rows[plan.crash + 1].update(exit="WARNING", checks="availability: weekly job", alerts="hh-forecast: WARNING")
    for run, update in changes.items():
        rows[int(run.removeprefix("run"))].update(update)
    return pd.DataFrame(rows)


FLAGGED = pd.DataFrame({"check": ["drift: age_fleet"], "run": [5], "run_day": ["x"], "said": ["y"]})


@pytest.mark.parametrize(
    ("changes", "flags", "missing"),
    [
        ({}, FLAGGED, []),
        ({"run2": {"weeks_forecast": 0}}, FLAGGED, ["run 2 (2024-06-03) issued no forecast"]),
        ({"run8": {"exit": "UNKNOWN"}}, FLAGGED, ["run 8 (2024-07-15) ended UNKNOWN"]),
        ({"run8": {"exit": "killed"}}, FLAGGED, ["run 8 (2024-07-15) ended killed"]),
        ({}, FLAGGED.iloc[:0], ["neither the drift nor the errors were flagged"]),
        ({}, FLAGGED.assign(check=["errors: warning"]), ["neither the drift nor the errors were flagged"]),
        ({}, FLAGGED.assign(check=["drift warning: acft"]), ["neither the drift nor the errors were flagged"]),
        ({"run3": {"alerts": ""}}, FLAGGED, ["the withheld export (run 3) was not alerted"]),
        ({"run3": {"checks": ""}}, FLAGGED, ["the withheld export (run 3) was not alerted"]),
        ({"run7": {"checks": "", "alerts": ""}}, FLAGGED, ["the crash (run 6) was not alerted by the next run"]),
    ],
)
def test_what_the_replay_did_not_show_is_said(changes, flags, missing):
    found = replay.shortfalls(schedule(), events(**changes), flags)
    assert len(found) == len(missing), found
    for line, expected in zip(found, missing):
        assert expected in line


def test_the_receiver_keeps_each_alert_with_the_run_it_came_in():
    from hhforecast.ops import alerts

    receiver = replay.AlertReceiver()
    try:
        receiver.run = 4
        alerts.send([receiver.url], "hh-forecast monitor: WARNING", "no new data", "warning")
        table = receiver.table()
    finally:
        receiver.close()
    assert table[["run", "type", "title"]].values.tolist() == [[4, "warning", "hh-forecast monitor: WARNING"]]
    assert "no new data" in table["message"].iloc[0]


def test_the_clones_params_get_the_replays_settings_and_a_missing_section_is_named(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump({"split": {"train_end": "2024-04-01", "val_weeks": 52}, "monitor": {}}))
    replay._override(path, {"split.train_end": "latest", "monitor.notify": ["json://127.0.0.1:1/"]})
    assert yaml.safe_load(path.read_text()) == {
        "split": {"train_end": "latest", "val_weeks": 52},
        "monitor": {"notify": ["json://127.0.0.1:1/"]},
    }
    with pytest.raises(replay.ReplayError, match="replay.overrides: nothing.key: params.yaml has no section 'nothing'"):
        replay._override(path, {"nothing.key": 1})


# A small world for a short replay: 8 Mondays, the drift strong and early, one cheap network, a retrain due
# within the replay.
SHORT_REPLAY = {
    "weeks": 8,
    "withheld_week": 2,
    "crash_week": 4,
    "planned_weeks": 2,
    "overrides": {
        "split.val_weeks": 13,
        "split.test_weeks": 13,
        "synthetic.start": "2016-10-03",
        "synthetic.weeks": 150,
        "synthetic.fleet_start": 5,
        "synthetic.fleet_end": 8,
        "synthetic.retirements": 1,
        "synthetic.plateau_weeks": 20,
        "synthetic.drift.weeks": 8,
        "synthetic.drift.used_aircraft": 3,
        "train.ensemble": 1,
        "train.epochs": 40,
        "train.patience": 10,
        "train.early_stopping_weeks": 13,
        "evaluate.backtest_min_train_weeks": 70,
        "evaluate.backtest_step_weeks": 26,
        "monitor.reference_weeks": 26,
        "monitor.min_drift_weeks": 3,
        "monitor.retrain_every_weeks": 5,
        "monitor.retrain_cooldown_weeks": 3,
        "registry.coverage_tolerance": 0.3,  # 26 backtest weeks cannot pin a range's coverage to 0.1
    },
}


@pytest.mark.parametrize(
    ("workdir", "message"),
    [
        (".", "replay.workdir . holds the project itself"),
        ("occupied", "exists and is not a replay's folder (it has no .hh-replay)"),
    ],
)
def test_a_workdir_that_is_not_the_replays_own_is_never_deleted(params, tmp_path, workdir, message):
    (tmp_path / "occupied").mkdir()
    (tmp_path / "occupied" / "notes.txt").write_text("keep me")
    settings = params.replay.model_copy(update={"workdir": Path(workdir)})
    with pytest.raises(replay.ReplayError, match=re.escape(message)):
        replay.run(tmp_path, params.model_copy(update={"replay": settings}), lambda line: None)
    assert (tmp_path / "occupied" / "notes.txt").read_text() == "keep me"


# The test clones the committed HEAD: it replays the code as committed, as `make replay` does.
@pytest.mark.slow
def test_a_short_replay_forecasts_every_week_and_alerts_the_drift_the_late_export_and_the_crash(params, tmp_path):
    from hhforecast.core import paths
    from tests.helpers import REPO

    overrides = {**params.replay.overrides, **SHORT_REPLAY["overrides"]}  # the replay's own, for a small world
    settings = {**SHORT_REPLAY, "overrides": overrides, "workdir": tmp_path / "work"}
    short = params.model_copy(update={"replay": params.replay.model_validate(settings)})
    from hhforecast.reporting import replay as replay_report

    report = tmp_path / "report"
    replay.run(REPO, short, lambda line: None, cache=tmp_path / "cache")
    done = replay.collect(REPO, short)
    replay_report.write(done, report)

    assert done.missing == [], done.missing
    events = done.events.set_index("run")
    assert len(events) == 8 and (events["weeks_forecast"] >= 1).all()
    assert events.loc[4, "exit"] == "killed"
    assert set(events.drop(index=4)["exit"]) <= {"OK", "WARNING", "CRITICAL"}
    assert "availability: no new data" in events.loc[2, "checks"] and "WARNING" in events.loc[2, "alerts"]
    assert events.loc[2, "data_through"] == events.loc[1, "data_through"]  # the week that did not arrive
    assert "availability: weekly job" in events.loc[5, "checks"] and events.loc[5, "alerts"]
    assert any(check.startswith("drift: age_fleet") for check in done.flags["check"])
    assert events["action"].str.startswith(RETRAINED).any()
    assert len(done.promotions) >= 1  # a refresh passes the gate unless shown worse
    assert np.isfinite(done.promotions[["ratio_before", "ratio_after"]].to_numpy()).all()
    assert set(done.alerts["run"]) >= {2, 5}
    text = (report / paths.REPLAY_REPORT.name).read_text()
    assert "Everything held" in text and "availability: weekly job" in text
    assert (report / paths.REPLAY_FIGURE.name).stat().st_size > 10_000


def test_each_monday_gets_its_check_its_forecasts_and_its_alerts_and_a_killed_job_is_named():
    plan = schedule(runs=4, withheld=1, crash=2)
    checks = history(
        {"run": 0, "verdict": "OK", "data_through": "2024-05-13", "model_version": "v1.0.0"},
        {"run": 1, "verdict": "WARNING", "data_through": "2024-05-13", "reasons": "no new data: 8 days"},
        {"run": 1, "verdict": "OK", "data_through": "2024-05-20", "action": f"{PROMOTED} hh-model@v1.1.0 (refresh)"},
    )
    forecasts = pd.DataFrame({"run": [0, 0, 1, 2]})
    jobs = pd.DataFrame({"run": [0, 1, 2], "status": ["succeeded", "succeeded", "running"]})
    alerts = pd.DataFrame({"run": [1], "title": ["hh-forecast monitor: WARNING"]})
    table = replay.events_table(plan, checks, forecasts, alerts, jobs).set_index("run")
    assert table["exit"].tolist() == ["OK", "OK", "killed", "did not run"]
    recorded = replay.events_table(plan, checks, forecasts, alerts, jobs, {0: "OK", 1: "UNKNOWN", 2: "killed"})
    assert recorded["exit"].tolist() == ["OK", "UNKNOWN", "killed", "did not run"]  # the job's own, when kept
    assert table["weeks_forecast"].tolist() == [2, 1, 1, 0]
    assert table.loc[1, "data_through"] == "2024-05-20" and table.loc[1, "checks"] == "availability: no new data"
    assert table.loc[1, "action"].startswith(PROMOTED) and table.loc[1, "alerts"] == "hh-forecast monitor: WARNING"
    assert replay.shortfalls(plan, table.reset_index(), FLAGGED)[:2] == [
        "run 3 (2024-07-22) issued no forecast",
        "run 3 (2024-07-22) ended did not run",
    ]

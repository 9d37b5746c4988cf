"""The replay report: markdown that says what the replay did not show, its figure and the alerts' table."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from hhforecast.core import paths
from hhforecast.ops import replay
from hhforecast.ops.status import PROMOTED
from hhforecast.reporting import replay as replay_report


def replayed(missing: list[str]) -> replay.Replayed:
    plan = replay.Schedule(dt.date(2024, 1, 1), world_weeks=30, runs=6, withheld=2, crash=3)
    days = [plan.run_day(r).isoformat() for r in range(plan.runs)]
    weekly = pd.DataFrame(
        {
            "date": pd.to_datetime(days),
            "predicted_hh": [400.0, 410, 420, 430, 440, 450],
            "lower_80": [350.0] * 6,
            "upper_80": [500.0] * 6,
            "HH": [390.0, 420, 400, 450, 430, 460],
            "model_version": ["v1.0.0"] * 3 + ["v1.1.0"] * 3,
            "expected_mae": [40.0, 40, 40, 30, 30, 30],
            "oracle_mae": [30.0] * 6,
        }
    )
    history = pd.DataFrame(
        {
            "run": range(6),
            "run_day": days,
            "action": [None, None, None, f"{PROMOTED} hh-model@v1.1.0 (refresh)", None, None],
        }
    )
    events = pd.DataFrame({"run": range(6), "run_day": days, "exit": ["OK"] * 6})
    flags = pd.DataFrame(
        {"check": ["drift: age_fleet"], "run": [3], "run_day": [days[3]], "said": ["feature age_fleet drifted: ..."]}
    )
    alerts = pd.DataFrame(
        {"run": [2], "type": ["warning"], "title": ["hh-forecast monitor: WARNING"], "message": ["x"]}
    )
    promoted = replay.promotions(history.assign(model_version=["v1.0.0"] * 3 + ["v1.1.0"] * 3), weekly, PROMOTED, 2)
    return replay.Replayed(plan, history, events, flags, promoted, alerts, weekly, missing)


def test_the_report_shows_the_year_and_says_plainly_what_was_not_shown(tmp_path):
    written = replay_report.write(replayed(["run 4 (2024-08-19) issued no forecast"]), tmp_path)
    text = written.read_text()
    assert "**Not shown:**" in text and "- run 4 (2024-08-19) issued no forecast" in text
    assert "| drift: age_fleet |" in text and "hh-model@v1.1.0 (refresh)" in text
    assert "Over all 6 weeks forecast, the expected MAE is 1.167× the oracle's." in text  # (3·40 + 3·30) / 6 / 30
    assert (tmp_path / paths.REPLAY_FIGURE.name).read_bytes().startswith(b"\x89PNG")
    assert pd.read_csv(tmp_path / paths.REPLAY_ALERTS.name)["run"].tolist() == [2]
    assert "Everything held" in replay_report.write(replayed([]), tmp_path).read_text()

import json
import re

import numpy as np
import pandas as pd
import pytest

from hhforecast.reporting import report
from tests.helpers import REPO, predictions


def figures() -> dict:
    test, production = predictions("2023-01-02", 10), predictions("2023-03-13", 6)
    folds = pd.DataFrame(
        {
            "test_start": ["2022-01-03", "2022-04-04"],
            "test_end": ["2022-03-28", "2022-06-27"],
            "mae": [30.0, 35.0],
            "mae_linear": [32.0, 33.0],
            "mae_gbm": [50.0, 55.0],
            "mae_seasonal_naive": [60.0, 61.0],
        }
    )
    curve = pd.DataFrame({"step": range(5), "loss": [50, 40, 35, 33, 32]})
    drift = pd.DataFrame({"feature": ["acft", "age_fleet"], "psi": [0.1, 7.0], "status": ["ok", "alert"]})
    weekly = pd.DataFrame(
        {
            "date": production["date"],
            "abs_error": [10, 20, 30, 25, 15, 40],
            "mae_4w": [np.nan] * 3 + [21.25, 22.5, 27.5],
            "mae_13w": [np.nan] * 6,
        }
    )
    made = {
        "predicted_vs_actual": report.predicted_vs_actual(test, production),
        "residuals": report.residuals(test, production),
        "backtest": report.backtest_folds(folds),
        "training_curve": report.training_curve(curve, curve.assign(loss=curve["loss"] + 5), 4),
        "drift": report.drift_psi(drift, 0.75, 1.5),
        "monitoring": report.monitoring_windows(weekly, 20.0),
    }
    return {name: (report.png(fig), name) for name, fig in made.items()}


def test_every_figure_is_a_png_and_the_same_data_give_the_same_bytes():
    first, second = figures(), figures()
    assert all(data.startswith(b"\x89PNG") for data, _ in first.values())
    assert {k: v[0] for k, v in first.items()} == {k: v[0] for k, v in second.items()}


def test_html_is_self_contained_with_every_section():
    quality = {
        "weeks": 10,
        "first_week": "2023-01-02",
        "last_week": "2023-03-06",
        "missing_weeks": 0,
        "rows": {
            "events_kept": 90,
            "events_read": 100,
            "utilization_kept": 500,
            "rejected_by_reason": {"events": {"duplicate": 10}},
        },
    }
    evaluation = json.loads((REPO / "tests" / "data" / "eval_example.json").read_text())
    monitor = {
        "status": "retrain_recommended",
        "retrain_recommended": True,
        "reasons": ["feature age_fleet drifted"],
        "warnings": [],
        "performance": {"mae": 50.0, "validation_mae": 30.0, "coverage_80": 0.6, "coverage_95": 0.8},
        "drift": {
            "age_fleet": {"psi": 7.0, "ks_pvalue": 1e-9, "mean_shift_sd": 5.0, "std_ratio": 1.0, "status": "alert"}
        },
    }
    metadata = {
        "windows": {
            "train": ["2018-01-01", "2021-12-27"],
            "val": ["2022-01-03", "2022-12-26"],
            "test": ["2023-01-02", "2023-03-06"],
        },
        "params": {"train": {"layers": 1, "units": 16, "linear_skip": True, "ensemble": 5}},
        "features": ["acft"],
        "dataset": {"md5": "abc"},
        "fleet": {"min": 18, "max": 40},
    }
    page = report.render_html(figures(), quality, evaluation, monitor, metadata)
    assert len(re.findall(r'<img alt="[^"]+" src="data:image/png;base64,', page)) == 6
    assert not re.search(r'src="(?!data:)', page)  # nothing fetched from elsewhere
    for heading in (
        "The dataset at a glance",
        "Forecast vs actual",
        "Against baselines and the oracle",
        "Monitoring the production period",
        "Simulation study",
        "Model card",
    ):
        assert f"<h2>{heading}" in page
    # The study is its own pipeline: the report points at its files beside it, and embeds nothing of it.
    assert '<a href="study.md">' in page and '<a href="figures/study_ratio.png">' in page
    assert "feature age_fleet drifted" in page and "oracle (exact quantiles)" in page
    assert "network − model, backtest" in page and "tie" in page
    assert "average of 5 networks" in page


@pytest.mark.parametrize(("members", "title"), [(1, "Training curve"), (5, "Training curve, network 1 of 5")])
def test_training_curve_says_which_network_it_shows(members, title):
    curve = pd.DataFrame({"step": range(3), "loss": [5.0, 4.0, 3.0]})
    figure = report.training_curve(curve, curve, 2, members)
    assert figure.axes[0].get_title() == title
    report.png(figure)  # renders and closes it

import numpy as np
import pandas as pd
import pytest
from conftest import weekly_dataset

from hhforecast import backtest, baselines, evaluate, features
from hhforecast.errors import ConfigError


def test_point_metrics_on_a_hand_computed_case():
    metrics = evaluate.point_metrics(np.array([10.0, 20.0, 30.0, 40.0]), np.array([12.0, 18.0, 33.0, 40.0]))
    assert metrics["mae"] == pytest.approx(7 / 4)
    assert metrics["rmse"] == pytest.approx(np.sqrt(17 / 4))
    assert metrics["mape"] == pytest.approx((0.2 + 0.1 + 0.1 + 0) / 4 * 100)
    assert metrics["wape"] == pytest.approx(7 / 100 * 100)
    assert metrics["r2"] == pytest.approx(1 - 17 / 500)


@pytest.mark.parametrize("mae, reference, skill", [(9.0, 10.0, 0.1), (10.0, 10.0, 0.0), (12.0, 10.0, -0.2)])
def test_skill_is_relative_improvement(mae, reference, skill):
    assert evaluate.skill(mae, reference) == pytest.approx(skill)


def test_seasonal_naive_takes_the_same_week_last_year():
    frame = weekly_dataset(60)
    values = baselines.seasonal_naive(frame, frame["date"].iloc[52:])
    assert values.tolist() == frame["HH"].iloc[:8].tolist()
    with pytest.raises(ValueError, match="52 weeks before"):
        baselines.seasonal_naive(frame, frame["date"].iloc[51:])


def test_linear_baseline_recovers_a_linear_world():
    frame = weekly_dataset(200)
    predicted = baselines.fit_linear(frame).predict(frame[features.FEATURES].to_numpy(float))
    assert evaluate.point_metrics(frame["HH"], predicted)["mae"] < 0.85 * 5  # the noise is N(0, 5): MAE ~ 4


def test_temporal_split_is_ordered_and_keeps_production_unseen():
    frame = weekly_dataset(300)
    split = features.temporal_split(frame, frame["date"].iloc[259].date(), val_weeks=52, test_weeks=52)
    assert [len(split[k]) for k in ("train", "val", "test", "production")] == [156, 52, 52, 40]
    assert split["train"]["date"].max() < split["val"]["date"].min() < split["test"]["date"].min()
    assert split["test"]["date"].max() < split["production"]["date"].min()


def test_backtest_folds_tile_the_last_weeks_and_train_only_on_the_past():
    known = weekly_dataset(300)
    folds = backtest.make_folds(known, n_folds=4, step_weeks=13, val_weeks=52)
    tested = pd.concat([f.test for f in folds])
    assert tested["date"].tolist() == known["date"].iloc[-52:].tolist()
    for fold in folds:
        assert fold.train["date"].max() < fold.val["date"].min() <= fold.val["date"].max() < fold.test["date"].min()
    with pytest.raises(ConfigError, match=r"evaluate\.backtest_folds: fold 1 would train on 46 weeks .* fewer folds"):
        backtest.make_folds(known.iloc[:150], n_folds=4, step_weeks=13, val_weeks=52)

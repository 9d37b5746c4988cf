import json

import numpy as np
import pandas as pd
import pytest

from hhforecast import synth
from hhforecast.core import config
from hhforecast.core.errors import ConfigError
from hhforecast.dataprep import weekly_dataset
from hhforecast.evaluation import backtest, evaluate
from hhforecast.forecasting import forecasters
from hhforecast.synth import truthdist
from tests.helpers import REPO, small_weekly_dataset, small_world


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
    frame = small_weekly_dataset(60)
    naive = forecasters.SeasonalNaive().fit(frame.iloc[:0], frame.iloc[:0])
    assert naive.predict(frame.iloc[52:], frame).tolist() == frame["HH"].iloc[:8].tolist()
    with pytest.raises(ValueError, match="52 weeks before"):
        naive.predict(frame.iloc[51:], frame)


@pytest.mark.parametrize("make", [forecasters.Linear, forecasters.PoissonGLM, forecasters.GBM, forecasters.GBMRate])
def test_feature_baselines_learn_a_world_close_to_its_noise(make):
    frame = small_weekly_dataset(200)
    fitted = make().fit(frame.iloc[:150], frame.iloc[150:170])
    mae = evaluate.point_metrics(frame["HH"].iloc[170:], fitted.predict(frame.iloc[170:], frame))["mae"]
    assert mae < 2 * 5  # the noise is N(0, 5): MAE ~ 4 at best


def test_baselines_without_early_stopping_learn_from_train_and_validation():
    frame = small_weekly_dataset(120)
    rate = forecasters.RateNaive().fit(frame.iloc[:100], frame.iloc[100:])
    last_year = frame.iloc[-52:]
    assert rate.rate == pytest.approx(last_year["HH"].sum() / last_year["sum_daily_hours"].sum())
    assert rate.predict(frame.iloc[:2], frame).tolist() == pytest.approx(
        (rate.rate * frame["sum_daily_hours"].iloc[:2]).tolist()
    )


def test_gbm_on_the_rate_follows_fleet_growth_beyond_the_training_range():
    """Double the flight hours: the rate model nearly doubles its forecast (its rate stays in range), the level model stays flat."""
    frame = small_weekly_dataset(200)
    grown = frame.iloc[-10:].assign(sum_daily_hours=frame["sum_daily_hours"].iloc[-10:] * 2)
    level = forecasters.GBM().fit(frame.iloc[:180], frame.iloc[180:190])
    rate = forecasters.GBMRate().fit(frame.iloc[:180], frame.iloc[180:190])
    base = rate.predict(frame.iloc[-10:], frame)
    assert (rate.predict(grown, frame) > 1.6 * base).all()
    assert level.predict(grown, frame).max() < 1.3 * level.predict(frame.iloc[-10:], frame).max()


@pytest.mark.parametrize("make", [forecasters.GBM, forecasters.GBMRate])
def test_boosting_runs_on_one_thread_whatever_the_machine_allows(make):
    """Same forecasts as with the machine's threads, and a saved model that does not record its core count."""
    from threadpoolctl import threadpool_limits

    frame = small_weekly_dataset(120)
    with threadpool_limits(limits=2, user_api="openmp"):
        fitted = make().fit(frame.iloc[:100], frame.iloc[100:110])
        assert threadpool_limits(limits=None).get_original_num_threads()["openmp"] == 2  # put back after the fit
    assert fitted.model._bin_mapper.n_threads == 1


def test_every_forecast_is_clipped_at_zero():
    frame = small_weekly_dataset(120).assign(HH=lambda f: f["HH"] - 400)  # a world of negative targets
    linear = forecasters.Linear().fit(frame.iloc[:100], frame.iloc[100:110])
    assert (linear.predict(frame.iloc[110:], frame) >= 0).all()


def test_temporal_split_is_ordered_and_keeps_production_unseen():
    frame = small_weekly_dataset(300)
    split = weekly_dataset.temporal_split(frame, frame["date"].iloc[259].date(), val_weeks=52, test_weeks=52)
    assert [len(split[k]) for k in ("train", "val", "test", "production")] == [156, 52, 52, 40]
    assert split["train"]["date"].max() < split["val"]["date"].min() < split["test"]["date"].min()
    assert split["test"]["date"].max() < split["production"]["date"].min()


def test_backtest_folds_expand_from_the_minimum_and_tile_every_week_up_to_the_test_window():
    known = small_weekly_dataset(300)
    folds = backtest.make_folds(known, step_weeks=13, val_weeks=52, min_train_weeks=104)
    assert len(folds) == (300 - 104 - 52) // 13
    tested = pd.concat([f.test for f in folds])
    assert tested["date"].tolist() == known["date"].iloc[-13 * len(folds) :].tolist()
    assert len(folds[0].train) >= 104
    for fold in folds:
        assert fold.train["date"].max() < fold.val["date"].min() <= fold.val["date"].max() < fold.test["date"].min()
        assert len(fold.val) == 52
    with pytest.raises(ConfigError, match="lower evaluate.backtest_min_train_weeks"):
        backtest.make_folds(known.iloc[:150], step_weeks=13, val_weeks=52, min_train_weeks=104)


def backtest_table():
    dates = pd.date_range("2020-01-06", periods=6, freq="7D").strftime("%Y-%m-%d")
    return pd.DataFrame(
        {
            "fold": [1, 1, 1, 2, 2, 2],
            "date": dates,
            "actual": [10.0, 20, 30, 40, 50, 60],
            "network": [11.0, 18, 30, 44, 50, 61],
            "lower_80": [5.0, 15, 25, 35, 45, 55],
            "upper_80": [15.0, 25, 28, 45, 55, 65],
            "linear": [14.0, 20, 33, 40, 58, 60],
        }
    )


def test_per_fold_and_backtest_summary_by_hand():
    weeks = backtest_table()
    folds = backtest.per_fold(weeks)
    assert folds["mae"].tolist() == pytest.approx([1.0, 5 / 3])
    assert folds["coverage_80"].tolist() == pytest.approx([2 / 3, 1.0])
    assert folds["mae_linear"].tolist() == pytest.approx([7 / 3, 8 / 3])
    summary = evaluate.score_backtest(weeks, folds)  # folds of 3 weeks
    assert (summary["folds"], summary["weeks"], summary["first_week"], summary["last_week"]) == (
        2,
        6,
        "2020-01-06",
        "2020-02-10",
    )
    assert summary["mae"] == pytest.approx({"network": 8 / 6, "linear": 15 / 6})
    assert summary["dm"]["linear"]["mae_diff"] == pytest.approx(-7 / 6)
    assert summary["dm"]["linear"]["ci_low"] <= -7 / 6 <= summary["dm"]["linear"]["ci_high"]
    # One baseline: Holm leaves its p-value as it is.
    assert summary["dm"]["linear"]["p_holm"] == summary["dm"]["linear"]["p_value"]
    assert "3 lags" in summary["dm_method"] and "horizon 3" in summary["dm_method"]


def two_point_truth(low):
    """Each week is `low` or `low + 2` HH with equal odds: the median is `low`, its expected MAE 1."""
    grid = 2**12
    pmf = np.zeros((len(low), grid))
    for offset in (0.0, 2.0):
        pmf[np.arange(len(low)), np.rint((np.asarray(low) + offset) * truthdist.HH_UNITS_PER_HOUR).astype(int)] += 0.5
    quantiles = truthdist.quantile_table(pmf)
    weeks = pd.DataFrame(
        {
            "date": pd.date_range("2020-01-06", periods=len(low), freq="7D"),
            "HH_expected": np.asarray(low) + 1,
            **quantiles,
        }
    )
    return evaluate.Truth(weeks, pmf)


def test_score_test_window_gives_expected_ratios_against_the_median_oracle():
    y = np.array([10.0, 20.0, 30.0])
    predictions = {"network": np.array([11.0, 20.0, 30.0]), "linear": np.array([10.0, 22.0, 33.0])}
    bounds = {"80": (y - 5, y + 5)}
    truth = two_point_truth(y + 1)
    results = evaluate.score_test_window(y, predictions, bounds, truth)
    assert results["test"]["mae"] == pytest.approx(1 / 3) and results["test"]["coverage_80"] == 1.0
    assert results["baselines"]["linear"]["mae"] == pytest.approx(5 / 3)
    assert results["oracle"]["expected_mae"] == pytest.approx(1.0)
    assert results["oracle"]["median_mae"] == pytest.approx(1.0)
    # E|ŷ − Y|: network (0+2)/2, (1+3)/2, (1+3)/2 -> 5/3; linear 2, 1, 1 -> 4/3
    assert results["expected_mae_ratio"] == pytest.approx({"network": 5 / 3, "linear": 4 / 3})
    assert results["skill_vs_best_baseline"] == pytest.approx(1 - (1 / 3) / (5 / 3))
    assert results["expected_intervals"]["network"]["coverage_80"] == pytest.approx(1.0)


def test_score_test_window_on_real_data_has_no_oracle_keys():
    y = np.array([10.0, 20.0, 30.0])
    results = evaluate.score_test_window(y, {"network": y, "linear": y + 1}, {"80": (y - 1, y + 1)}, None)
    assert not {"oracle", "expected_mae_ratio", "mae_ratio_to_oracle", "expected_intervals"} & set(results)
    assert results["test"]["coverage_80_ci"][1] == 1.0


def test_read_truth_gives_the_synthetic_worlds_own_weekly_distribution(params, tmp_path):
    """What evaluation scores against is synth's distribution, bit for bit: the law read back from the files."""
    small = config.SyntheticParams.model_validate(small_world(params))
    synth.write_world(synth.build_world(small), tmp_path / "raw", tmp_path / "truth")
    written = pd.read_csv(tmp_path / "truth" / truthdist.TRUTH_FILE, parse_dates=["date"]).iloc[::7]
    truth = evaluate.read_truth(tmp_path / "truth", written["date"])
    assert truth.weeks["date"].tolist() == written["date"].tolist()
    assert np.array_equal(truth.pmf, synth.weekly_hh_pmf(written["HH_expected"], small))


def test_read_truth_names_a_missing_week(tmp_path):
    pd.DataFrame({"date": ["2020-01-06"], "HH_expected": [5.0]}).to_csv(tmp_path / "weekly_truth.csv", index=False)
    with pytest.raises(ValueError, match="has no week 2020-01-13"):
        evaluate.read_truth(tmp_path, pd.Series(pd.to_datetime(["2020-01-13"])))
    assert evaluate.read_truth("", pd.Series(pd.to_datetime(["2020-01-13"]))) is None


def test_committed_eval_has_every_design_name_and_a_backtest_through_2020():
    """The names docs/design.md defines ("Metric names and definitions"), in the committed metrics/eval.json."""
    evaluation = json.loads((REPO / "metrics" / "eval.json").read_text())
    test = evaluation["test"]
    for key in (
        "mae",
        "rmse",
        "mape",
        "wape",
        "r2",
        "coverage_80",
        "coverage_95",
        "n_weeks",
        "width_80",
        "width_95",
        "interval_score_80",
        "interval_score_95",
        "coverage_80_ci",
        "coverage_95_ci",
    ):
        assert key in test, key
    assert set(evaluation["baselines"]) == set(forecasters.BASELINES)
    assert {"mae", "rmse", "median_mae", "expected_mae"} <= set(evaluation["oracle"])
    assert set(evaluation["expected_mae_ratio"]) == {forecasters.NETWORK, *forecasters.BASELINES}
    backtest = evaluation["backtest"]
    assert backtest["folds"] >= 12 and backtest["first_week"] < "2020-03-23"
    assert set(backtest["mae"]) == {forecasters.NETWORK, *forecasters.BASELINES}
    for name in forecasters.BASELINES:
        assert set(backtest["dm"][name]) == {"mae_diff", "ci_low", "ci_high", "p_value", "p_holm", "verdict"}
    for key in ("mae_ratio_to_oracle", "skill_vs_best_baseline"):
        assert key in evaluation

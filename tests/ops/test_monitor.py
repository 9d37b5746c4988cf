import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hhforecast import synth
from hhforecast.dataprep import weekly_dataset
from hhforecast.forecasting import forecasters, intervals
from hhforecast.ops import monitor


@pytest.fixture(scope="module")
def mparams(params):
    return params.monitor


@pytest.mark.parametrize("shift, low, high", [(0.0, 0.0, 0.05), (0.5, 0.1, 0.6), (3.0, 2.0, 20.0)])
def test_psi_grows_with_the_shift(shift, low, high):
    rng = np.random.default_rng(0)
    value = monitor.psi(rng.normal(size=5000), rng.normal(shift, 1, size=5000), bins=10)
    assert low <= value <= high


def test_age_adjustment_removes_plain_aging():
    dates = pd.date_range("2023-01-02", periods=60, freq="7D")
    frame = pd.DataFrame({"date": dates, "age_fleet": 8.0 + (dates - dates[0]).days / 365.25})
    adjusted = monitor.age_adjusted(frame, "age_fleet", dates[0])
    np.testing.assert_allclose(adjusted, 8.0)


@pytest.mark.parametrize("current_shift, expected", [(0.0, "ok"), (0.8, "warn"), (6.0, "alert")])
def test_drift_status_needs_size_and_significance(mparams, current_shift, expected):
    rng = np.random.default_rng(1)
    reference = pd.DataFrame({"date": pd.date_range("2022-01-03", periods=52, freq="7D"), "x": rng.normal(size=52)})
    current = pd.DataFrame(
        {"date": pd.date_range("2023-01-02", periods=40, freq="7D"), "x": rng.normal(current_shift, 1, size=40)}
    )
    table = monitor.feature_drift(reference, current, ["x"], mparams)
    assert table["status"].tolist() == [expected]


def forecast_frame(actual, predicted, width=10.0):
    dates = pd.date_range("2024-01-01", periods=len(actual), freq="7D")
    predicted = np.asarray(predicted, float)
    forecasts = pd.DataFrame(
        {
            "date": dates.strftime("%Y-%m-%d"),
            "predicted_hh": predicted,
            "lower_80": predicted - width,
            "upper_80": predicted + width,
            "lower_95": predicted - 2 * width,
            "upper_95": predicted + 2 * width,
        }
    )
    return forecasts, pd.Series(np.asarray(actual, float), index=dates)


def test_weekly_performance_and_windows_are_hand_computable():
    forecasts, actuals = forecast_frame([100, 100, 100, 100, 100], [90, 105, 100, 130, 100])
    perf = monitor.weekly_performance(forecasts, actuals.iloc[:4])  # last week has no actual yet
    assert perf["abs_error"].tolist() == [10, 5, 0, 30]
    assert perf["covered_80"].tolist() == [True, True, True, False]
    window = monitor.windowed(perf, 4)
    assert window["mae"].tolist() == [11.25] and window["coverage_80"].tolist() == [0.75]
    assert monitor.mae_trend(perf) > 0


def test_a_collapse_in_rows_is_flagged():
    dates = pd.date_range("2023-01-02", periods=10, freq="7D")
    counts = pd.DataFrame({"date": dates, "event_rows": [100] * 8 + [30, 100], "utilization_rows": [200] * 10})
    table = monitor.volume(counts, pd.Series(dates[:6]), pd.Series(dates[6:]), drop_ratio=0.5)
    rows = table.set_index("series")
    assert rows.loc["event_rows", "weeks_below"] == 1 and rows.loc["event_rows", "first_week_below"] == "2023-02-27"
    assert rows.loc["utilization_rows", "weeks_below"] == 0


CALM = monitor.ErrorRise(recent_mae=41.0, validation_mae=40.0, p_value=0.4, weeks=8, critical_p=0.002)
ROSE = monitor.ErrorRise(recent_mae=70.0, validation_mae=40.0, p_value=0.0001, weeks=8, critical_p=0.002)
RISING = monitor.ErrorRise(recent_mae=55.0, validation_mae=40.0, p_value=0.03, weeks=8, critical_p=0.002)
# Below 0.01, which one check alone would call significant, but not below the horizon's level.
ONE_CHECK_LOW = monitor.ErrorRise(recent_mae=60.0, validation_mae=40.0, p_value=0.005, weeks=8, critical_p=0.002)


@pytest.mark.parametrize(
    "rise, psi_status, age, missing, level, fragment",
    [
        (CALM, "ok", 10, [], monitor.HEALTHY, None),
        (None, "ok", 10, [], monitor.HEALTHY, None),
        (
            ROSE,
            "ok",
            10,
            [],
            monitor.RETRAIN,
            "one-sided rank test on level-scaled errors p = 0.0001 < 0.002, the "
            "per-check level that keeps false alarms to monitor.false_alarm_rate 0.05 "
            "over monitor.horizon_weeks 52 weekly checks: the errors rose",
        ),
        (
            RISING,
            "ok",
            10,
            [],
            monitor.WARNING,
            "errors may be rising (below monitor.error_rise_warn 0.05, not below 0.002",
        ),
        (ONE_CHECK_LOW, "ok", 10, [], monitor.WARNING, "p = 0.005: errors may be rising"),
        (CALM, "alert", 10, [], monitor.RETRAIN, "feature age_fleet drifted"),
        (CALM, "ok", 60, [], monitor.RETRAIN, "model is 60 weeks old"),
        (CALM, "warn", 10, [], monitor.WARNING, "may be drifting"),
        (CALM, "ok", 10, ["2024-02-05"], monitor.WARNING, "1 missing week(s)"),
    ],
)
def test_retraining_policy(mparams, rise, psi_status, age, missing, level, fragment):
    drift = pd.DataFrame([{"feature": "age_fleet", "psi": 2.0, "ks_pvalue": 1e-9, "status": psi_status}])
    volume_table = pd.DataFrame(columns=["series", "weeks_below", "first_week_below"])
    result = monitor.verdict(rise, drift, age, volume_table, missing, mparams)
    assert result.level == level
    assert result.retrain_recommended == (level == monitor.RETRAIN)
    if fragment:
        assert any(fragment in text for text in result.reasons + result.warnings)


def test_a_verdict_names_the_kinds_of_its_reasons(mparams):
    """The study counts why drift-free worlds fired by these kinds, not by reading the reasons' wording."""
    drift = pd.DataFrame([{"feature": "age_fleet", "psi": 3.0, "ks_pvalue": 1e-9, "status": "alert"}])
    volume_table = pd.DataFrame(columns=["series", "weeks_below", "first_week_below"])
    verdict = monitor.verdict(ROSE, drift, 60, volume_table, [], mparams)
    assert len(verdict.reasons) == 3 and verdict.reason_kinds == ["age", "errors", "feature"]
    assert monitor.verdict(CALM, drift.assign(status="ok"), 10, volume_table, [], mparams).reason_kinds == []


def ar1_errors(rng: np.random.Generator, n: int, phi: float) -> np.ndarray:
    """Level-scaled absolute errors whose noise has lag-1 autocorrelation `phi` (skewed, as real errors are)."""
    noise = np.empty(n)
    noise[0] = rng.standard_normal()
    for week in range(1, n):
        noise[week] = phi * noise[week - 1] + np.sqrt(1 - phi**2) * rng.standard_normal()
    return np.abs(noise) + 0.2


def cusum_false_alarm_rate(mparams, phi: float, block_weeks: int, trials: int = 150) -> float:
    """The share of fresh horizons without any change whose CUSUM crosses a level calibrated on one validation
    window of the same process: what monitoring promises to hold at monitor.false_alarm_rate."""
    rng = np.random.default_rng(11)
    fired = 0
    for _ in range(trials):
        reference = ar1_errors(rng, 52, phi)
        level = monitor.cusum_threshold(
            tuple(reference), mparams.horizon_weeks, mparams.false_alarm_rate, 0.5, block_weeks, 100, 100
        )
        horizon = ar1_errors(rng, mparams.horizon_weeks, phi)
        spread = reference.std(ddof=1)
        fired += monitor.cusum_path(horizon, reference.mean(), spread, 0.5).max() > level
    return fired / trials


@pytest.mark.parametrize("phi", [0.0, 0.3])
def test_the_cusum_level_holds_the_false_alarm_rate_on_independent_and_autocorrelated_errors(mparams, phi):
    # 0.05 stated; measured with 400 windows and the default bootstrap sizes: 0.063 (independent), 0.080 (0.3),
    # 0.088 (0.5): one window of 52 weeks to learn the errors from leaves some of the estimation error unpaid.
    assert cusum_false_alarm_rate(mparams, phi, block_weeks=4) <= 0.12


def test_blocks_keep_the_autocorrelation_a_weekly_bootstrap_would_miss(mparams):
    assert cusum_false_alarm_rate(mparams, 0.5, block_weeks=1) > cusum_false_alarm_rate(mparams, 0.5, block_weeks=4)


def test_the_cusum_finds_a_rise_of_one_and_a_half_reference_sds_within_a_quarter(mparams):
    rng = np.random.default_rng(5)
    reference = ar1_errors(rng, 52, 0.3)
    found = [
        monitor.error_cusum(ar1_errors(rng, 26, 0.3) + 1.5 * reference.std(ddof=1), reference, mparams).alarm_week
        for _ in range(100)
    ]
    assert np.mean([week is not None and week <= 13 for week in found]) >= 0.8
    calm = monitor.error_cusum(reference[:26], reference, mparams)
    assert calm.alarm_week is None and calm.weeks == 26


@pytest.mark.parametrize(
    ("detector", "reason"), [("cusum", "the CUSUM of the level-scaled errors crossed"), ("rank", None)]
)
def test_the_error_detector_param_chooses_which_test_judges_the_errors(mparams, detector, reason):
    drift = pd.DataFrame([{"feature": "age_fleet", "psi": 0.1, "ks_pvalue": 0.5, "status": "ok"}])
    volume_table = pd.DataFrame(columns=["series", "weeks_below", "first_week_below"])
    crossed = monitor.ErrorCusum(peak=9.0, threshold=4.0, alarm_week=6, weeks=10)
    chosen = mparams.model_copy(update={"error_detector": detector})
    result = monitor.verdict(CALM, drift, 10, volume_table, [], chosen, crossed)
    if reason is None:
        assert result.reasons == [] and result.level == monitor.HEALTHY
    else:
        assert result.reason_kinds == ["errors"] and reason in result.reasons[0]
        assert "in production week 6 (peak 9.00 over 10 weeks" in result.reasons[0]


def test_error_rise_separates_a_real_rise_from_noise(mparams):
    rng = np.random.default_rng(3)
    validation = np.abs(rng.normal(0, 50, size=52))
    same = monitor.error_rise(np.abs(rng.normal(0, 50, size=8)), validation, mparams)
    doubled = monitor.error_rise(np.abs(rng.normal(0, 150, size=8)) + 60, validation, mparams)
    assert same.p_value > 0.05 and doubled.p_value < doubled.critical_p
    assert doubled.recent_mae > 2 * doubled.validation_mae and not doubled.scaled


def test_errors_are_scaled_by_the_square_root_of_the_forecast():
    assert monitor.error_scores([20.0, 10.0, 3.0], [400.0, 25.0, 0.0]).tolist() == [1.0, 2.0, 3.0]  # floor: 1 HH
    assert monitor.error_scores([20.0], None).tolist() == [20.0]


def test_the_per_check_level_lies_between_bonferroni_and_one_check():
    """45 overlapping checks are correlated: the calibrated level is above Bonferroni's 0.05 / 45 but far below 0.05."""
    level = monitor.critical_p_value(52, 8, 45, 0.05)
    assert 0.05 / 45 < level < 0.01
    assert monitor.critical_p_value(52, 8, 1, 0.05) == pytest.approx(0.05, abs=0.01)  # one check: its own level


@pytest.mark.parametrize("n_recent, n_reference, seed", [(8, 52, 0), (8, 52, 1), (4, 20, 2), (12, 40, 3), (1, 5, 4)])
def test_the_p_value_of_each_rank_sum_is_the_one_scipy_gives_samples_with_that_sum(n_recent, n_reference, seed):
    """The critical level looks p-values up by U: each must equal the test's own on real samples with that U
    (exact for a window of 8 or fewer weeks, normal beyond)."""
    rng = np.random.default_rng(seed)
    for _ in range(20):
        recent, reference = rng.random(n_recent) + rng.random() / 2, rng.random(n_reference)
        u = int((recent[:, None] > reference).sum())
        expected = stats.mannwhitneyu(recent, reference, alternative="greater").pvalue
        assert monitor._rank_sum_p_values(n_recent, n_reference)[u] == expected


def test_the_per_check_level_equals_testing_every_window_of_every_horizon():
    from numpy.lib.stride_tricks import sliding_window_view

    rng = np.random.default_rng(7)  # the same draws critical_p_value makes with seed 7
    reference = rng.random((300, 1, 30))
    recent = sliding_window_view(rng.random((300, 20 + 8 - 1)), 8, axis=1)
    smallest = np.sort(stats.mannwhitneyu(recent, reference, alternative="greater", axis=-1).pvalue.min(axis=1))
    assert monitor.critical_p_value(30, 8, 20, 0.1, simulations=300, seed=7) == smallest[30]


def test_a_growing_level_with_unchanged_noise_fires_in_at_most_the_stated_share_of_horizons(mparams):
    """Errors of a model that did not decay while the fleet's HH grows 300 -> 420 over the horizon: the spread grows
    as √level, and the scaled test (monitor.error_scores, one-sided rank test, monitor.critical_p_value) fires in no
    more of 400 simulated horizons than false_alarm_rate (+ 3 binomial SDs). All horizons are tested at once."""
    from numpy.lib.stride_tricks import sliding_window_view

    rng = np.random.default_rng(8)
    horizons, weeks, window = 400, mparams.horizon_weeks, mparams.window_weeks
    level, validation_level = np.linspace(300, 420, weeks), np.full(52, 300.0)
    validation = monitor.error_scores(
        np.abs(rng.normal(0, np.sqrt(validation_level) * 2.5, (horizons, 52))), validation_level
    )
    recent = monitor.error_scores(np.abs(rng.normal(0, np.sqrt(level) * 2.5, (horizons, weeks))), level)
    p_values = stats.mannwhitneyu(
        sliding_window_view(recent, window, axis=1), validation[:, None, :], alternative="greater", axis=-1
    ).pvalue
    critical = monitor.critical_p_value(52, window, weeks - window + 1, mparams.false_alarm_rate)
    fired = (p_values < critical).any(axis=1)
    rate = mparams.false_alarm_rate
    assert fired.mean() <= rate + 3 * np.sqrt(rate * (1 - rate) / horizons)
    # Unscaled, the same errors fire far more often: the growing level alone looks like decay.
    raw = stats.mannwhitneyu(
        sliding_window_view(recent * np.sqrt(level), window, axis=1),
        (validation * np.sqrt(validation_level))[:, None, :],
        alternative="greater",
        axis=-1,
    ).pvalue
    assert (raw < critical).any(axis=1).mean() > 2 * fired.mean()


def world_verdict(params, synthetic):
    """Monitor a synthetic world's production period with a linear forecaster (the policy is model-agnostic)."""
    world = synth.build_world(synthetic)
    truth = world.truth.assign(date=pd.to_datetime(world.truth["date"]))
    known, production = truth[truth["drift"] == 0], truth[truth["drift"] == 1]
    train, val = known.iloc[:-52], known.iloc[-52:]
    linear = forecasters.Linear().fit(train, train.iloc[:0])
    calibration = intervals.calibrate(val["HH"], linear.predict(val, truth), [0.8, 0.95])
    predicted = linear.predict(production, truth)
    forecasts = pd.DataFrame({"date": production["date"], "predicted_hh": predicted})
    for key in calibration.keys():
        forecasts[f"lower_{key}"], forecasts[f"upper_{key}"] = calibration.bounds(predicted, key)
    val_errors = np.abs(val["HH"].to_numpy(float) - linear.predict(val, truth))
    counts = pd.DataFrame({"date": truth["date"], "event_rows": 100, "utilization_rows": 200})
    summary, _, drift = monitor.assess(
        truth[["date", *weekly_dataset.FEATURES, "HH"]],
        forecasts,
        counts,
        {
            "metrics": {"val": {"mae": float(val_errors.mean())}},
            "validation_abs_errors": val_errors.tolist(),
            "validation_predictions": linear.predict(val, truth).tolist(),
        },
        known["date"].max(),
        weekly_dataset.FEATURES,
        params.monitor,
    )
    return summary, drift.set_index("feature")["status"]


@pytest.mark.slow
def test_planted_drift_is_found_on_age_fleet_only_and_recommends_retraining(params):
    summary, status = world_verdict(params, params.synthetic)
    assert status.to_dict() == {
        "acft": "ok",
        "sum_daily_hours": "ok",
        "age_fleet": "alert",
        "Cycles": "ok",
        "sum_uti_mensal": "ok",
    }
    assert summary["retrain_recommended"] and summary["exit_code"] == monitor.RETRAIN
    assert any(r.startswith("feature age_fleet drifted") for r in summary["reasons"])
    assert not any("feature" in r and "age_fleet" not in r for r in summary["reasons"])


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_a_world_without_drift_raises_no_alert(params, seed):
    """Seeds 11–13 without drift: no retraining (the old "MAE 25 % above validation" rule fired in two with the network)."""
    calm = params.synthetic.drift.model_copy(update={"used_aircraft": 0, "rate_multiplier": 1.0})
    summary, status = world_verdict(params, params.synthetic.model_copy(update={"drift": calm, "seed": seed}))
    assert "alert" not in set(status)
    assert not summary["retrain_recommended"] and summary["reasons"] == []


@pytest.mark.parametrize("production_weeks, assessed", [(3, False), (7, False), (8, True), (12, True)])
def test_feature_drift_waits_for_min_drift_weeks(mparams, production_weeks, assessed):
    """Three weeks far past the reference would pass KS at p < 1e-4 and blow PSI up: not judged before 8 weeks."""
    from tests.helpers import small_weekly_dataset

    data = small_weekly_dataset(100 + production_weeks)
    data.loc[100:, "acft"] += 2000  # every production week far above anything in the reference
    forecasts = pd.DataFrame(
        {
            "date": data["date"].iloc[100:],
            "predicted_hh": data["HH"].iloc[100:],
            "lower_80": 0.0,
            "upper_80": 1e6,
            "lower_95": 0.0,
            "upper_95": 1e6,
        }
    )
    counts = pd.DataFrame({"date": data["date"], "event_rows": 100, "utilization_rows": 200})
    summary, _, drift = monitor.assess(
        data,
        forecasts,
        counts,
        {"metrics": {"val": {"mae": 5.0}}},
        data["date"].iloc[99],
        weekly_dataset.FEATURES,
        mparams,
    )
    assert (not drift.empty) == assessed
    assert any("acft drifted" in r for r in summary["reasons"]) == assessed


@pytest.mark.parametrize("source", ["raw", "dataset"])
def test_the_volume_check_is_skipped_and_said_so_only_without_raw_rows(mparams, source):
    from tests.helpers import small_weekly_dataset

    data = small_weekly_dataset(110)
    forecasts = pd.DataFrame({"date": data["date"].iloc[100:], "predicted_hh": data["HH"].iloc[100:]})
    for key in ("80", "95"):
        forecasts[f"lower_{key}"], forecasts[f"upper_{key}"] = 0.0, 1e6
    counts = pd.DataFrame({"date": data["date"], "event_rows": 100, "utilization_rows": 200})
    summary, _, _ = monitor.assess(
        data,
        forecasts,
        counts if source == "raw" else None,
        {"metrics": {"val": {"mae": 5.0}}},
        data["date"].iloc[99],
        weekly_dataset.FEATURES,
        mparams,
    )
    if source == "raw":
        assert "skipped" not in summary and set(summary["volume"]) == {"event_rows", "utilization_rows"}
    else:
        assert summary["skipped"] == [monitor.VOLUME_SKIPPED] and summary["volume"] == {}


def seasonal_weeks(weeks: int, shift: float) -> pd.DataFrame:
    """Two years of a feature with a strong yearly cycle, then `weeks` production weeks at its peak, `shift` higher."""
    rng = np.random.default_rng(4)
    dates = pd.date_range("2018-03-05", periods=104 + weeks, freq="7D")
    week = dates.isocalendar().week.to_numpy(float)
    hours = 750 * (1 + 0.3 * np.sin(2 * np.pi * (week - 1) / 52)) + rng.normal(0, 15, len(dates))
    hours[104:] += shift
    return pd.DataFrame({"date": dates, "sum_daily_hours": hours})


@pytest.mark.parametrize("shift, status", [(0.0, "ok"), (400.0, "alert")])
def test_a_seasonal_feature_is_compared_with_the_same_weeks_a_year_before(mparams, shift, status):
    """Thirteen peak-season weeks are no drift against the same weeks a year before, though against the whole
    year they alert; a real shift still alerts."""
    data = seasonal_weeks(13, shift)
    reference, current = data.iloc[52:104], data.iloc[104:]
    table = monitor.feature_drift(reference, current, ["sum_daily_hours"], mparams).set_index("feature")
    assert table.loc["sum_daily_hours", "status"] == status
    whole_year = monitor.feature_drift(
        reference, current, ["sum_daily_hours"], mparams.model_copy(update={"seasonal_features": []})
    )
    assert whole_year["status"].tolist() == ["alert"]


def test_same_season_keeps_the_reference_weeks_of_the_current_weeks_of_the_year():
    data = seasonal_weeks(3, 0.0)
    matched = monitor.same_season(data.iloc[52:104], data.iloc[104:])
    assert matched["date"].dt.isocalendar().week.tolist() == data.iloc[104:]["date"].dt.isocalendar().week.tolist()
    assert len(monitor.same_season(data.iloc[:52], data.iloc[52:104])) == 52  # a whole year matches all of it


@pytest.mark.parametrize("level, status, outside", [(700.0, "warn", 0.0), (2000.0, "alert", 1.0)])
def test_a_move_alerts_only_beyond_every_week_the_model_knew(mparams, level, status, outside):
    """acft leaves the reference year for a level seen in earlier known weeks (warn) or for one never seen (alert)."""
    from tests.helpers import small_weekly_dataset

    data = small_weekly_dataset(160)
    data.loc[:49, "acft"] = 700.0  # a level of the distant past
    data.loc[150:, "acft"] = level  # the production weeks
    known, current = data.iloc[:150], data.iloc[150:]
    table = monitor.feature_drift(known.tail(52), current, ["acft", "age_fleet"], mparams, known).set_index("feature")
    assert table.loc["acft", "status"] == status and table.loc["acft", "outside_known"] == outside
    assert np.isnan(table.loc["age_fleet", "outside_known"])  # aging features keep the reference-year rule alone


def test_outside_share_counts_values_beyond_the_known_range():
    assert monitor.outside_share(np.array([1.0, 5.0, 9.0]), np.array([2.0, 8.0])) == pytest.approx(2 / 3)
    assert monitor.outside_share(np.array([]), np.array([2.0, 8.0])) == 0.0


def test_in_cusum_mode_a_significant_rank_test_warns_and_says_the_cusum_decides(mparams):
    drift = pd.DataFrame([{"feature": "age_fleet", "psi": 0.1, "ks_pvalue": 0.5, "status": "ok"}])
    volume_table = pd.DataFrame(columns=["series", "weeks_below", "first_week_below"])
    quiet = monitor.ErrorCusum(peak=1.0, threshold=4.0, alarm_week=None, weeks=10)
    result = monitor.verdict(
        ROSE, drift, 10, volume_table, [], mparams.model_copy(update={"error_detector": "cusum"}), quiet
    )
    assert result.level == monitor.WARNING and result.reasons == []
    assert "the rank test says the errors rose, but the CUSUM, which decides" in result.warnings[0]


def test_the_cusum_counts_a_crossing_only_from_the_week_asked(mparams):
    rng = np.random.default_rng(8)
    reference = ar1_errors(rng, 52, 0.0)
    errors = reference[:20].copy()
    errors[2:5] += 5 * reference.std(ddof=1)  # an early burst, then calm
    early = monitor.error_cusum(errors, reference, mparams)
    assert early.alarm_week is not None and early.alarm_week <= 5
    late = monitor.error_cusum(errors, reference, mparams, from_week=early.alarm_week + 1)
    assert late.alarm_week is None or late.alarm_week > early.alarm_week

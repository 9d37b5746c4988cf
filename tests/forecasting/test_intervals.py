import numpy as np
import pytest

from hhforecast.forecasting import intervals


@pytest.mark.parametrize("n, level, rank", [(9, 0.8, 8), (19, 0.95, 19), (4, 0.95, 4), (99, 0.5, 50)])
def test_conformal_quantile_is_the_finite_sample_rank(n, level, rank):
    assert intervals.conformal_quantile(np.arange(1, n + 1, dtype=float), level) == rank


def test_scaled_ranges_cover_at_their_level_at_every_size_and_grow_like_the_square_root():
    """Noise whose SD is 3·√mean: a 9-aircraft week and a 40-aircraft week both get their level."""
    rng = np.random.default_rng(0)
    calibration_mean = rng.uniform(30, 400, size=3000)
    y_cal = calibration_mean + 3 * np.sqrt(calibration_mean) * rng.normal(size=3000)
    fitted = intervals.calibrate(y_cal, calibration_mean, [0.8, 0.95])
    for mean in (30.0, 400.0):
        fresh = mean + 3 * np.sqrt(mean) * rng.normal(size=20000)
        predicted = np.full_like(fresh, mean)
        for key, level in (("80", 0.8), ("95", 0.95)):
            assert intervals.coverage(fresh, *fitted.bounds(predicted, key)) == pytest.approx(level, abs=0.02)
    (small, large), above = fitted.arms(np.array([30.0, 400.0]), "80")
    assert large / small == pytest.approx(np.sqrt(400 / 30))
    assert above.tolist() == [small, large]


def test_a_zero_forecast_still_gets_a_range_and_lower_bounds_stop_at_zero():
    fitted = intervals.Calibration({"80": 2.0})
    lower, upper = fitted.bounds(np.array([0.0, 100.0]), "80")
    assert lower.tolist() == [0.0, 80.0] and upper.tolist() == [2.0 * np.sqrt(intervals.SCALE_FLOOR_HH), 120.0]


def test_old_bundles_with_a_constant_half_width_keep_their_ranges():
    fitted = intervals.Calibration.from_json({"method": "split conformal", "half_width": {"80": 5.0}})
    lower, upper = fitted.bounds(np.array([1.0, 50.0]), "80")
    assert lower.tolist() == [0.0, 45.0] and upper.tolist() == [6.0, 55.0]


def test_calibration_round_trips_through_json():
    fitted = intervals.Calibration({"80": 1.5, "95": 2.5})
    assert intervals.Calibration.from_json(fitted.to_json()) == fitted


def test_no_residuals_is_an_error():
    with pytest.raises(ValueError, match="at least one residual"):
        intervals.calibrate(np.array([]), np.array([]), [0.8])


@pytest.mark.parametrize(
    "hits, n, low, high",
    [
        (0, 10, 0.0, 0.3084971),  # Clopper–Pearson, as tabulated
        (10, 10, 0.6915029, 1.0),
        (5, 10, 0.1870860, 0.8129140),
    ],
)
def test_coverage_interval_is_clopper_pearson(hits, n, low, high):
    assert intervals.coverage_interval(hits, n) == pytest.approx([low, high], abs=1e-6)


def test_interval_scores_by_hand():
    y = np.array([5.0, 12.0, 0.0])
    lower, upper = np.array([4.0, 4.0, 4.0]), np.array([10.0, 10.0, 10.0])
    scores = intervals.interval_scores(y, lower, upper, 0.8)
    assert scores["coverage_80"] == pytest.approx(1 / 3)
    assert scores["width_80"] == 6.0
    # 6 + 10·(0 + 2 + 4) / 3
    assert scores["interval_score_80"] == pytest.approx(6 + 10 * 6 / 3)
    # pinball at tau 0.1 on the lower end: (0.1·1, 0.1·8, 0.9·4) / 3; at 0.9 on the upper: (0.1·5, 0.9·2, 0.1·10) / 3
    lower_loss = (0.1 + 0.8 + 3.6) / 3
    upper_loss = (0.5 + 1.8 + 1.0) / 3
    assert scores["pinball_80"] == pytest.approx((lower_loss + upper_loss) / 2)


def test_clip_is_the_one_rule_for_negative_forecasts():
    assert intervals.clip_hh(np.array([[-3.0], [2.5]])).tolist() == [0.0, 2.5]

"""The two range shapes (`train.range_shape`): symmetric, ŷ ± q·√ŷ, and asymmetric, each arm its own conformal
quantile of the signed score (y − ŷ) / √ŷ, on a known skewed noise and on numbers worked by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hhforecast.forecasting import intervals

LN2 = np.log(2.0)


def skewed_scores(rng: np.random.Generator, n: int) -> np.ndarray:
    """3·(E − ln 2), E exponential with mean 1: median 0, a long upper tail."""
    return 3.0 * (rng.exponential(1.0, n) - LN2)


def true_quantile(p: float) -> float:
    return 3.0 * (-np.log(1.0 - p) - LN2)


def weeks(rng: np.random.Generator, n: int, predicted: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(actual, predicted): forecasts of 30 to 400 HH, missed by the skewed score times √forecast."""
    predicted = rng.uniform(30, 400, n) if predicted is None else predicted
    return predicted + skewed_scores(rng, n) * np.sqrt(predicted), predicted


@pytest.fixture(scope="module")
def calibrated() -> dict[str, intervals.Calibration]:
    """Both shapes, calibrated on the same 2000 held-out weeks."""
    actual, predicted = weeks(np.random.default_rng(0), 2000)
    return {shape: intervals.calibrate(actual, predicted, [0.8, 0.95], shape) for shape in intervals.SHAPES}


def misses(calibration: intervals.Calibration, actual: np.ndarray, predicted: np.ndarray, key: str):
    lower, upper = calibration.bounds(predicted, key)
    return float(np.mean(actual < lower)), float(np.mean(actual > upper))


def test_the_shapes_name_their_methods():
    assert intervals.SHAPES == {"symmetric": intervals.SCALED, "asymmetric": intervals.SCALED_QUANTILES}


@pytest.mark.parametrize("shape", ["symmetric", "asymmetric"])
@pytest.mark.parametrize("key, level", [("80", 0.8), ("95", 0.95)])
def test_both_shapes_cover_at_their_level_on_a_skewed_noise(calibrated, shape, key, level):
    actual, predicted = weeks(np.random.default_rng(1), 20000)
    fitted = calibrated[shape]
    assert fitted.method == intervals.SHAPES[shape]
    assert intervals.coverage(actual, *fitted.bounds(predicted, key)) == pytest.approx(level, abs=0.02)


@pytest.mark.parametrize("predicted", [30.0, 400.0])
def test_the_asymmetric_range_covers_at_every_size(calibrated, predicted):
    rng = np.random.default_rng(2)
    actual, at = weeks(rng, 20000, np.full(20000, predicted))
    assert intervals.coverage(actual, *calibrated["asymmetric"].bounds(at, "80")) == pytest.approx(0.8, abs=0.02)


@pytest.mark.parametrize(
    "key, level, tolerance",
    [("80", 0.8, (0.08, 0.6)), ("95", 0.95, (0.04, 1.3))],  # about 3 standard errors of each sample quantile
)
def test_the_asymmetric_arms_are_the_noise_quantiles_and_the_upper_one_is_longer(calibrated, key, level, tolerance):
    low, high = calibrated["asymmetric"].quantiles[key]
    assert low == pytest.approx(true_quantile((1 - level) / 2), abs=tolerance[0])
    assert high == pytest.approx(true_quantile((1 + level) / 2), abs=tolerance[1])
    below, above = calibrated["asymmetric"].arms(np.array([100.0]), key)
    assert above[0] > 2 * below[0] > 0


def test_the_asymmetric_range_misses_as_often_on_each_side_and_the_symmetric_one_only_above(calibrated):
    """The symmetric half-width, the 80 % quantile of |3(E − ln 2)|, is 3·0.916 > 3·ln 2: its lower end lies
    below every possible outcome, and all its misses (20 %) are above."""
    actual, predicted = weeks(np.random.default_rng(3), 20000)
    below, above = misses(calibrated["asymmetric"], actual, predicted, "80")
    assert below == pytest.approx(0.1, abs=0.02) and above == pytest.approx(0.1, abs=0.02)
    below, above = misses(calibrated["symmetric"], actual, predicted, "80")
    assert below == 0.0 and above == pytest.approx(0.2, abs=0.02)
    # 1 − e^(−(ln 2 + t)) = 0.8 at t = −ln 0.4; the sample quantile's standard error here is about 0.13.
    assert calibrated["symmetric"].quantiles["80"] == pytest.approx(3 * -np.log(0.4), abs=0.4)


# --- by hand ------------------------------------------------------------------------


@pytest.mark.parametrize("tail, expected", [(0.1, 1.0), (0.25, 2.0), (0.05, 1.0), (0.5, 5.0), (0.9, 9.0)])
def test_lower_conformal_quantile_is_the_floor_rank(tail, expected):
    """Scores 1..9 (n + 1 = 10): the floor(10·tail)-th smallest, the smallest when that is 0."""
    scores = np.random.default_rng(4).permutation(np.arange(1.0, 10.0))
    assert intervals.lower_conformal_quantile(scores, tail) == expected


def test_lower_conformal_quantile_of_nothing_is_an_error():
    with pytest.raises(ValueError, match="conformal calibration needs at least one residual"):
        intervals.lower_conformal_quantile(np.array([]), 0.1)


def test_asymmetric_calibration_by_hand():
    """Forecast 100, actuals 110..190: signed scores 1..9. 80 %: ranks floor(10·0.1) = 1 and ceil(10·0.9) = 9;
    50 %: ranks floor(10·0.25) = 2 and ceil(10·0.75) = 8. Symmetric 80 %: rank ceil(10·0.8) = 8 of |score|."""
    actual, predicted = 100.0 + 10.0 * np.arange(1, 10), np.full(9, 100.0)
    asymmetric = intervals.calibrate(actual, predicted, [0.8, 0.5], "asymmetric")
    assert asymmetric == intervals.Calibration({"80": [1.0, 9.0], "50": [2.0, 8.0]}, intervals.SCALED_QUANTILES)
    assert asymmetric.keys() == ["50", "80"]
    assert intervals.calibrate(actual, predicted, [0.8], "symmetric") == intervals.Calibration({"80": 8.0})


@pytest.mark.parametrize("n, lower_rank, upper_rank", [(19, 2, 18), (29, 3, 27), (52, 5, 48)])
def test_the_ranks_survive_floating_point(n, lower_rank, upper_rank):
    """(1 - 0.8) / 2 · 20 is 1.9999999999999996 in floating point: the rank must still be 2."""
    actual, predicted = 100.0 + np.arange(1.0, n + 1), np.full(n, 100.0)  # signed scores k / 10
    (low, high) = intervals.calibrate(actual, predicted, [0.8], "asymmetric").quantiles["80"]
    assert (low, high) == (pytest.approx(lower_rank / 10), pytest.approx(upper_rank / 10))


@pytest.mark.parametrize(
    "arms, predicted, lower, upper",
    [
        ([-1.0, 2.0], [4.0, 100.0], [2.0, 90.0], [8.0, 120.0]),  # √4 = 2, √100 = 10
        ([-1.0, 2.0], [0.0], [0.0], [2.0]),  # a zero forecast: scale floor 1, lower end clipped at 0
        ([0.5, 2.0], [100.0], [105.0], [120.0]),  # every score positive: the range lies above the forecast
    ],
)
def test_asymmetric_bounds_by_hand(arms, predicted, lower, upper):
    fitted = intervals.Calibration({"80": arms}, intervals.SCALED_QUANTILES)
    low, high = fitted.bounds(np.array(predicted), "80")
    assert low.tolist() == lower and high.tolist() == upper


def test_scaled_quantiles_round_trip_through_json(calibrated):
    fitted = calibrated["asymmetric"]
    data = json.loads(json.dumps(fitted.to_json()))
    assert data["scale"] == intervals.SCALED_QUANTILES
    assert "lower and upper quantiles" in data["method"]
    assert data["quantile"] == {key: list(value) for key, value in fitted.quantiles.items()}
    assert intervals.Calibration.from_json(data) == fitted
    by_hand = intervals.Calibration({"80": [-1.25, 2.5], "95": [-2.0, 4.125]}, intervals.SCALED_QUANTILES)
    assert intervals.Calibration.from_json(json.loads(json.dumps(by_hand.to_json()))) == by_hand

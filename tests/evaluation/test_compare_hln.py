"""The Harvey–Leybourne–Newbold correction of the Diebold–Mariano test for a forecast horizon, and Holm's
adjustment with the verdict that follows it, on numbers worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from hhforecast.evaluation import compare


@pytest.mark.parametrize(
    "n, horizon, factor",
    [
        (100, 1, math.sqrt(99 / 100)),  # (100 + 1 − 2 + 0) / 100
        (10, 1, math.sqrt(9 / 10)),
        (100, 4, math.sqrt(93.12 / 100)),  # (100 + 1 − 8 + 12/100) / 100
        (52, 13, math.sqrt(30 / 52)),  # (52 + 1 − 26 + 156/52) / 52
        (3, 3, math.sqrt(1 / 3)),  # (3 + 1 − 6 + 6/3) = 0: floored at 1
    ],
)
def test_hln_factor_by_hand(n, horizon, factor):
    assert compare.hln_factor(n, horizon) == pytest.approx(factor, rel=1e-12)


def spread_weeks(n: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """b misses by noise of SD 10; a by that plus a small, noisy extra: a real but uncertain gap."""
    rng = np.random.default_rng(5)
    actual = rng.normal(300, 30, n)
    b = actual + rng.normal(0, 10, n)
    a = actual + rng.normal(0, 10, n) + rng.normal(2, 6, n)
    return actual, a, b


@pytest.mark.parametrize("horizon", [1, 4, 13])
def test_a_horizon_widens_the_interval_and_raises_the_p_value_as_hln_says(horizon):
    """Without a horizon: mean ± z·SE against the normal. With one: SE / factor, against t(n − 1)."""
    actual, a, b = spread_weeks()
    n = len(actual)
    plain = compare.paired_abs_error(actual, a, b)
    corrected = compare.paired_abs_error(actual, a, b, horizon=horizon)
    assert corrected.mae_diff == plain.mae_diff and corrected.lags == plain.lags == compare.newey_west_lags(n)
    assert corrected.ci_low < plain.ci_low < plain.mae_diff < plain.ci_high < corrected.ci_high
    assert 0.001 < plain.p_value < corrected.p_value < 1
    z = stats.norm.ppf(0.975)
    standard_error = (plain.ci_high - plain.ci_low) / (2 * z)
    assert plain.p_value == pytest.approx(2 * stats.norm.sf(abs(plain.mae_diff) / standard_error), rel=1e-9)
    widened = standard_error / compare.hln_factor(n, horizon)
    reach = stats.t.ppf(0.975, n - 1) * widened
    assert (corrected.ci_low, corrected.ci_high) == pytest.approx(
        (plain.mae_diff - reach, plain.mae_diff + reach), rel=1e-9
    )
    assert corrected.p_value == pytest.approx(2 * stats.t.sf(abs(plain.mae_diff) / widened, n - 1), rel=1e-9)


def test_a_longer_horizon_is_a_wider_interval():
    actual, a, b = spread_weeks()
    widths = [
        np.ptp([p.ci_low, p.ci_high]) for p in (compare.paired_abs_error(actual, a, b, horizon=h) for h in (1, 4, 13))
    ]
    assert widths == sorted(widths) and widths[0] < widths[-1]


def test_an_exact_difference_stays_exact_with_a_horizon():
    actual = np.arange(10.0)
    paired = compare.paired_abs_error(actual, actual + 2, actual + 1, horizon=4)
    assert (paired.mae_diff, paired.ci_low, paired.ci_high, paired.p_value) == (1.0, 1.0, 1.0, 0.0)


@pytest.mark.parametrize(
    "p_values, adjusted",
    [
        ([0.01, 0.04, 0.03], [0.03, 0.06, 0.06]),  # sorted: 0.01·3, 0.03·2, 0.04·1 -> raised to 0.06
        ([0.5, 0.6], [1.0, 1.0]),  # 0.5·2 = 1.0, and 0.6 is raised to it
        ([0.02], [0.02]),  # one test: nothing to adjust
        ([], []),
    ],
)
def test_holm_by_hand(p_values, adjusted):
    assert compare.holm(p_values) == pytest.approx(adjusted)


@pytest.mark.parametrize(
    "ci_low, ci_high, p_holm, alpha, word",
    [
        (-3.0, -1.0, 0.01, 0.05, compare.BETTER),
        (1.0, 3.0, 0.01, 0.05, compare.WORSE),
        (-1.0, 1.0, 0.01, 0.05, compare.TIE),  # the interval holds zero
        (-3.0, -1.0, 0.05, 0.05, compare.TIE),  # the interval excludes zero, but the adjusted p is not below alpha
        (1.0, 3.0, 0.2, 0.05, compare.TIE),
        (-3.0, 0.0, 0.001, 0.05, compare.TIE),  # an interval ending at zero still holds it
        (-3.0, -1.0, 0.08, 0.1, compare.BETTER),  # a looser alpha
    ],
)
def test_verdict_after_holm(ci_low, ci_high, p_holm, alpha, word):
    assert compare.verdict_after_holm(ci_low, ci_high, p_holm, alpha) == word
    if alpha == 0.05:
        assert compare.verdict_after_holm(ci_low, ci_high, p_holm) == word  # alpha 0.05 is the default


@pytest.mark.parametrize(("folds", "horizon"), [([1, 1, 1, 2, 2, 2], 3), ([1, 1, 2, 2, 2, 3], 3), ([4] * 6, 6)])
def test_a_backtest_comparison_takes_its_horizon_and_lag_from_the_folds(folds, horizon):
    actual = np.array([10.0, 12.0, 9.0, 11.0, 13.0, 8.0])
    a, b = actual + np.array([1.0, -2.0, 1.5, -0.5, 2.5, -1.0]), actual + np.array([2.0, 3.0, -2.5, 1.0, -3.0, 2.0])
    assert compare.fold_horizon(folds) == horizon
    paired = compare.paired_backtest(actual, a, b, folds)
    assert paired == compare.paired_abs_error(actual, a, b, lags=horizon, horizon=horizon)
    assert paired.lags == horizon

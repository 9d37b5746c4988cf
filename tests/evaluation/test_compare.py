import numpy as np
import pytest

from hhforecast.evaluation import compare


def test_hac_interval_and_dm_p_value_match_a_case_worked_by_hand():
    """d = |e_a| − |e_b| = [1, −1, 2, 0], lag 1: mean 0.5; γ0 = 1.25, γ1 = −0.9375, Bartlett weight 1/2,
    long-run variance 1.25 + 2·½·(−0.9375) = 0.3125, SE = √(0.3125 / 4) = 0.279508; DM = 1.78885, p = 0.073638."""
    actual = np.zeros(4)
    a, b = np.array([1.0, 1.0, 2.0, 1.0]), np.array([0.0, 2.0, 0.0, 1.0])
    paired = compare.paired_abs_error(actual, a, b, lags=1)
    se = np.sqrt(0.3125 / 4)
    assert paired.mae_diff == pytest.approx(0.5)
    assert paired.ci_low == pytest.approx(0.5 - 1.959964 * se, abs=1e-6)
    assert paired.ci_high == pytest.approx(0.5 + 1.959964 * se, abs=1e-6)
    assert paired.p_value == pytest.approx(0.073638, abs=1e-6)
    assert paired.verdict == compare.TIE


@pytest.mark.parametrize("shift, verdict", [(-3.0, compare.BETTER), (0.0, compare.TIE), (3.0, compare.WORSE)])
def test_verdict_is_a_tie_unless_the_interval_excludes_zero(shift, verdict):
    """a misses by b's typical miss plus `shift`: a 3-HH gap over 200 weeks is real, no gap is a tie."""
    rng = np.random.default_rng(1)
    actual = rng.normal(100, 20, 200)
    b = actual + rng.normal(0, 10, 200)
    a = actual + np.maximum(np.abs(rng.normal(0, 10, 200)) + shift, 0)
    assert compare.paired_abs_error(actual, a, b).verdict == verdict


def test_sentence_says_tie_with_the_interval_and_p_value():
    paired = compare.Paired(-0.4, -1.2, 0.4, 0.33, 100, 4)
    assert paired.sentence("network", "linear") == (
        "network vs linear: tie (-0.40 HH per week, 95 % CI [-1.20, +0.40], DM p = 0.330)"
    )
    better = compare.Paired(-2.0, -3.0, -1.0, 0.001, 100, 4)
    assert better.sentence("network", "linear").startswith("network is better than linear (-2.00")


def test_identical_forecasts_are_an_exact_tie():
    actual = np.arange(10.0)
    paired = compare.paired_abs_error(actual, actual + 1, actual + 1)
    assert (paired.mae_diff, paired.ci_low, paired.ci_high, paired.p_value) == (0.0, 0.0, 0.0, 1.0)


def test_too_few_weeks_is_an_error_that_says_so():
    with pytest.raises(ValueError, match="at least 3 weeks, got 2"):
        compare.paired_abs_error(np.zeros(2), np.zeros(2), np.ones(2))


@pytest.mark.parametrize("n, lags", [(52, 3), (100, 4), (208, 4), (1000, 6)])
def test_newey_west_bandwidth(n, lags):
    assert compare.newey_west_lags(n) == lags

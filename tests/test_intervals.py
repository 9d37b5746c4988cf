import numpy as np
import pytest

from hhforecast import intervals


@pytest.mark.parametrize("n, level, rank", [(9, 0.8, 8), (19, 0.95, 19), (4, 0.95, 4), (99, 0.5, 50)])
def test_conformal_width_is_the_finite_sample_quantile(n, level, rank):
    residuals = np.arange(1, n + 1, dtype=float)
    widths = intervals.conformal_widths(residuals, np.zeros(n), [level])
    assert widths[intervals.level_key(level)] == rank


def test_coverage_on_exchangeable_noise_is_close_to_the_level():
    rng = np.random.default_rng(0)
    calibration, fresh = rng.normal(size=2000), rng.normal(size=20000)
    widths = intervals.conformal_widths(calibration, np.zeros_like(calibration), [0.8, 0.95])
    for key, level in (("80", 0.8), ("95", 0.95)):
        covered = intervals.coverage(fresh, np.full_like(fresh, -widths[key]), np.full_like(fresh, widths[key]))
        assert covered == pytest.approx(level, abs=0.02)


def test_lower_bound_never_goes_below_zero():
    lower, upper = intervals.bounds(np.array([1.0, 50.0]), 5.0)
    assert lower.tolist() == [0.0, 45.0] and upper.tolist() == [6.0, 55.0]


def test_no_residuals_is_an_error():
    with pytest.raises(ValueError, match="at least one residual"):
        intervals.conformal_widths(np.array([]), np.array([]), [0.8])

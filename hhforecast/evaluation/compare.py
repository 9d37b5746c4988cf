"""Paired comparisons that carry their noise: mean loss difference, Newey–West interval, Diebold–Mariano test.

Two forecasts of the same weeks are compared week by week: d_t = |e_a,t| − |e_b,t|.
Weekly errors are autocorrelated (fleet, season), so the mean difference's
variance is the long-run (HAC, Newey–West, Bartlett kernel) variance, and the
Diebold–Mariano statistic is that mean over its HAC standard error. With a
forecast horizon h (the backtest's weeks per fitting origin), the statistic
gets the Harvey–Leybourne–Newbold small-sample correction and is read against
Student's t with n − 1 degrees of freedom, and the interval widens to match.
A difference whose 95 % interval contains zero is a tie (no difference shown),
and is called one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

TIE, BETTER, WORSE = "tie", "better", "worse"


def verdict(ci_low: float, ci_high: float) -> str:
    """'better' or 'worse' only when the 95 % interval excludes zero; otherwise 'tie'."""
    if ci_high < 0:
        return BETTER
    if ci_low > 0:
        return WORSE
    return TIE


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment: the project's one multiplicity policy."""
    from statsmodels.stats.multitest import multipletests

    if not len(p_values):
        return []
    return [float(p) for p in multipletests(list(p_values), method="holm")[1]]


def verdict_after_holm(ci_low: float, ci_high: float, p_holm: float, alpha: float = 0.05) -> str:
    """'better' or 'worse' only when the interval excludes zero and the Holm-adjusted p-value is below alpha."""
    return verdict(ci_low, ci_high) if p_holm < alpha else TIE


def fold_horizon(folds: Sequence[int] | np.ndarray) -> int:
    """The most weeks one fitting origin serves in a backtest table's `fold` column: the forecast horizon."""
    _, counts = np.unique(np.asarray(folds), return_counts=True)
    return int(counts.max())


def paired_backtest(actual: np.ndarray, a: np.ndarray, b: np.ndarray, folds: Sequence[int] | np.ndarray) -> Paired:
    """a − b over backtest weeks, as every comparison of backtests makes it: the HAC lag covers a fold and the
    HLN correction takes the fold's length as the horizon."""
    horizon = fold_horizon(folds)
    return paired_abs_error(actual, a, b, lags=horizon, horizon=horizon)


def newey_west_lags(n: int) -> int:
    """The usual automatic bandwidth, floor(4·(n/100)^(2/9))."""
    return int(math.floor(4 * (n / 100) ** (2 / 9)))


@dataclass(frozen=True)
class Paired:
    """a − b on the same weeks: negative `mae_diff` means a is better."""

    mae_diff: float
    ci_low: float
    ci_high: float
    p_value: float
    n_weeks: int
    lags: int

    @property
    def verdict(self) -> str:
        return verdict(self.ci_low, self.ci_high)

    def as_dict(self) -> dict[str, float]:
        return {"mae_diff": self.mae_diff, "ci_low": self.ci_low, "ci_high": self.ci_high, "p_value": self.p_value}

    def sentence(self, a: str, b: str) -> str:
        span = f"{self.mae_diff:+.2f} HH per week, 95 % CI [{self.ci_low:+.2f}, {self.ci_high:+.2f}], DM p = {self.p_value:.3f}"
        if self.verdict == TIE:
            return f"{a} vs {b}: tie ({span})"
        return f"{a} is {self.verdict} than {b} ({span})"


def hln_factor(n: int, horizon: int) -> float:
    """Harvey, Leybourne & Newbold (1997): the DM statistic times sqrt((n + 1 − 2h + h(h − 1)/n) / n)."""
    return math.sqrt(max(n + 1 - 2 * horizon + horizon * (horizon - 1) / n, 1.0) / n)


def paired_abs_error(
    actual: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    lags: int | None = None,
    confidence: float = 0.95,
    horizon: int | None = None,
) -> Paired:
    """Mean of |y − a| − |y − b| with its HAC interval and the two-sided Diebold–Mariano p-value;
    with `horizon`, HLN-corrected against t(n − 1)."""
    y = np.asarray(actual, float)
    diff = np.abs(y - np.asarray(a, float)) - np.abs(y - np.asarray(b, float))
    n = len(diff)
    if n < 3:
        raise ValueError(f"a paired comparison needs at least 3 weeks, got {n}")
    lags = newey_west_lags(n) if lags is None else lags
    mean = float(diff.mean())
    if np.allclose(diff, diff[0]):  # no spread at all: the difference is exact
        return Paired(mean, mean, mean, 1.0 if mean == 0 else 0.0, n, lags)
    from statsmodels.regression.linear_model import OLS  # statsmodels only where a comparison is computed

    fit = OLS(diff, np.ones(n)).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": False})
    if horizon is None:
        low, high = fit.conf_int(alpha=1 - confidence)[0]
        return Paired(mean, float(low), float(high), float(fit.pvalues[0]), n, lags)
    from scipy import stats

    standard_error = float(fit.bse[0]) / hln_factor(n, horizon)
    statistic = mean / standard_error
    p_value = float(2 * stats.t.sf(abs(statistic), n - 1))
    reach = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * standard_error
    return Paired(mean, mean - reach, mean + reach, p_value, n, lags)

"""The exact distribution of a synthetic week's HH, and the expected errors it implies.

Given the world's state, a week's kept HH is compound Poisson: a Poisson number
of kept defects (mean `HH_expected / E[HH per defect]`) each carrying an
independent number of 0.05-h units drawn from the generator's per-defect law.
On an integer grid of units the weekly probability mass function is
`irfft(exp(λ(φ − 1)))`, φ the per-defect law's discrete Fourier transform: exact
up to the grid's wrap-around, which the grid size makes negligible (far beyond
twelve standard deviations).

Expected errors are then sums over that mass function, so a model is judged on
what it would score on average over the world's noise, not on one draw of it.

This module is the one home of the HH unit (`HH_UNITS_PER_HOUR`) and of the week's
distribution given its expected HH and the per-defect law (`weekly_hh_pmf`): the world
draws and exports in that unit, and evaluation reads the law back (`law_from_table`)
to score against the same distribution the world defines.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

HH_UNITS_PER_HOUR = 20  # the HH quantum, 0.05 h = 3 min: exact as "1,35" and "01:21"; the grid's unit
TRUTH_FILE = "weekly_truth.csv"  # per week: features, realized and expected HH, quantiles
DEFECT_LAW_FILE = "defect_hh.csv"  # the per-defect HH law (hours, probability), beside it
QUANTILES = {"HH_median": 0.5, "HH_q025": 0.025, "HH_q10": 0.1, "HH_q90": 0.9, "HH_q975": 0.975}
INTERVAL_QUANTILES = {"80": ("HH_q10", "HH_q90"), "95": ("HH_q025", "HH_q975")}
_TAIL_SDS = 12.0
_CHUNK_WEEKS = 32  # weeks transformed at once: bounded memory at any fleet scale


def grid_size(defect_pmf: np.ndarray, defects_mean: np.ndarray) -> int:
    """A power of two holding every week's mass: its mean plus 12 SDs plus one defect's largest value."""
    units = np.arange(len(defect_pmf))
    mean_units = float(np.sum(units * defect_pmf))
    second_moment = float(np.sum(units.astype(float) ** 2 * defect_pmf))
    lam = float(np.max(defects_mean, initial=0.0))
    reach = lam * mean_units + _TAIL_SDS * np.sqrt(lam * second_moment) + len(defect_pmf)
    return int(2 ** int(np.ceil(np.log2(max(reach, 2.0)))))


def weekly_pmf(defects_mean: np.ndarray, defect_pmf: np.ndarray, size: int | None = None) -> np.ndarray:
    """Mass function of each week's HH units: one row per week, column y = y units (y / 20 hours)."""
    defects_mean = np.asarray(defects_mean, float)
    defect_pmf = np.asarray(defect_pmf, float)
    if np.any(~np.isfinite(defects_mean)) or np.any(defects_mean < 0):
        raise ValueError("expected defect counts must be finite and non-negative")
    size = size or grid_size(defect_pmf, defects_mean)
    phi = np.fft.rfft(defect_pmf, n=size)
    rows = []
    for start in range(0, len(defects_mean), _CHUNK_WEEKS):
        lam = defects_mean[start : start + _CHUNK_WEEKS, None]
        rows.append(np.fft.irfft(np.exp(lam * (phi[None, :] - 1.0)), n=size, axis=1))
    pmf = np.clip(np.concatenate(rows) if rows else np.zeros((0, size)), 0.0, None)
    return pmf / pmf.sum(axis=1, keepdims=True) if len(pmf) else pmf


def hours_per_defect(defect_pmf: ArrayLike) -> float:
    """E[HH of one defect] in hours, under the per-defect law `defect_pmf` (over units)."""
    defect_pmf = np.asarray(defect_pmf, float)
    return float(np.sum(defect_pmf * np.arange(len(defect_pmf)))) / HH_UNITS_PER_HOUR


def weekly_hh_pmf(hh_expected: ArrayLike, defect_pmf: np.ndarray) -> np.ndarray:
    """Each week's exact kept-HH distribution given its expected HH and the per-defect law (`defect_pmf`, over
    units): a Poisson number of defects, HH_expected / E[HH per defect], each drawn from the law."""
    defect_pmf = np.asarray(defect_pmf, float)
    return weekly_pmf(np.asarray(hh_expected, float) / hours_per_defect(defect_pmf), defect_pmf)


def law_table(defect_pmf: np.ndarray) -> pd.DataFrame:
    """The per-defect law as DEFECT_LAW_FILE holds it: hours, probability."""
    return pd.DataFrame({"hours": hours(len(defect_pmf)), "probability": defect_pmf})


def law_from_table(table: pd.DataFrame) -> np.ndarray:
    """The per-defect law over units from its table (`law_table`'s inverse)."""
    units = np.rint(table["hours"].to_numpy(float) * HH_UNITS_PER_HOUR).astype(int)
    defect_pmf = np.zeros(units.max() + 1)
    defect_pmf[units] = table["probability"].to_numpy(float)
    return defect_pmf


def hours(size: int) -> np.ndarray:
    """The grid's values in hours."""
    return np.arange(size) / HH_UNITS_PER_HOUR


def quantiles(pmf: np.ndarray, probs: list[float]) -> np.ndarray:
    """Per week (rows) and probability (columns): the smallest y with P(Y <= y) >= p, in hours."""
    cdf = np.cumsum(pmf, axis=1)
    # A hair below p, so a cumulative sum that lands on p in exact arithmetic is not missed by rounding.
    index = np.stack([(cdf < p - 1e-12).sum(axis=1) for p in probs], axis=1)
    return index / HH_UNITS_PER_HOUR


def quantile_table(pmf: np.ndarray) -> dict[str, np.ndarray]:
    """The truth's quantile columns (HH_median, HH_q025, ...) for each week."""
    values = quantiles(pmf, list(QUANTILES.values()))
    return {name: values[:, column] for column, name in enumerate(QUANTILES)}


def mean(pmf: np.ndarray) -> np.ndarray:
    return pmf @ hours(pmf.shape[1])


def expected_abs_error(pmf: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Per week, Σ_y |y − ŷ| f(y): the absolute error a forecast makes on average over the week's noise."""
    grid = hours(pmf.shape[1])
    predicted = np.asarray(predicted, float).reshape(-1, 1)
    return np.sum(np.abs(grid[None, :] - predicted) * pmf, axis=1)


def expected_coverage(pmf: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Per week, P(lower <= Y <= upper)."""
    grid = hours(pmf.shape[1])[None, :]
    inside = (grid >= np.asarray(lower, float).reshape(-1, 1) - 1e-9) & (
        grid <= np.asarray(upper, float).reshape(-1, 1) + 1e-9
    )
    return np.sum(pmf * inside, axis=1)


def expected_interval_score(pmf: np.ndarray, lower: np.ndarray, upper: np.ndarray, level: float) -> np.ndarray:
    """Per week, the Winkler interval score's expectation: width + (2/α)·E[distance outside]."""
    grid = hours(pmf.shape[1])[None, :]
    lower, upper = np.asarray(lower, float).reshape(-1, 1), np.asarray(upper, float).reshape(-1, 1)
    alpha = 1.0 - level
    outside = np.maximum(lower - grid, 0.0) + np.maximum(grid - upper, 0.0)
    return (upper - lower).reshape(-1) + 2.0 / alpha * np.sum(outside * pmf, axis=1)

"""TEMPORARY stand-in for hhforecast.truthdist until it lands on main; deleted after the merge.

Weekly kept HH is compound Poisson in 0.05 h units: a Poisson count of kept defects with mean
HH_expected / E[HH per defect], each defect's units from the generator's per-defect law.
"""
from __future__ import annotations

import math

import numpy as np

from hhforecast import synth
from hhforecast.config import SyntheticParams


def _defect_pmf(params: SyntheticParams) -> np.ndarray:
    q = 1.0 / synth.HH_UNITS_PER_HOUR
    aog_lo, aog_hi = params.aog_hours
    t = np.arange(0, int(math.ceil(aog_hi / q)) + 2)
    edges = (t + 0.5) * q
    z = (np.log(edges) - params.hh_log_mean) / params.hh_log_sigma
    normal_cdf = 0.5 * (1.0 + np.array([math.erf(v / math.sqrt(2.0)) for v in z]))
    cdf_lognormal = np.where(edges >= aog_hi, 1.0, normal_cdf)
    cdf_aog = np.clip((edges - aog_lo) / (aog_hi - aog_lo), 0.0, 1.0)
    p = params.aog_probability
    pmf_t = np.diff(np.concatenate([[0.0], (1.0 - p) * cdf_lognormal + p * cdf_aog]))
    out = np.zeros(len(t))
    for k, w in enumerate(synth.action_weights(params.max_actions_per_defect), start=1):
        units = np.maximum(k, t)
        np.add.at(out, units, w * pmf_t)
    return out


def grid_hours(n: int) -> np.ndarray:
    return np.arange(n) / synth.HH_UNITS_PER_HOUR


def weekly_pmf(hh_expected: np.ndarray, params: SyntheticParams) -> np.ndarray:
    hh_expected = np.asarray(hh_expected, float)
    per_defect = _defect_pmf(params)
    mean_units = float(np.sum(per_defect * np.arange(len(per_defect))))
    lam = hh_expected * synth.HH_UNITS_PER_HOUR / mean_units
    top = float(hh_expected.max()) * synth.HH_UNITS_PER_HOUR * 3 + 20 * len(per_defect)
    n = 1 << int(math.ceil(math.log2(max(top, 1024))))
    phi = np.fft.rfft(per_defect, n)
    pmf = np.fft.irfft(np.exp(lam[:, None] * (phi[None, :] - 1.0)), n, axis=1)
    pmf = np.maximum(pmf, 0.0)
    return pmf / pmf.sum(axis=1, keepdims=True)


def quantiles(pmf: np.ndarray, probs) -> np.ndarray:
    cdf = np.cumsum(pmf, axis=1)
    hours = grid_hours(pmf.shape[1])
    return np.stack([hours[np.argmax(cdf >= p, axis=1)] for p in probs], axis=1)


def expected_abs_error(pmf: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    hours = grid_hours(pmf.shape[1])
    return np.sum(np.abs(hours[None, :] - np.asarray(predictions, float)[:, None]) * pmf, axis=1)

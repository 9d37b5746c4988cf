"""The per-defect HH law: what one defect's action rows add up to, drawn and in closed form.

The world draws each defect's HH with `draw_defect_hh_units`; the truth's expected HH and its
exact weekly quantiles come from `defect_units_pmf`, the same law computed instead of sampled,
so the two cannot disagree.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from hhforecast.core.config import SyntheticParams
from hhforecast.synth import truthdist
from hhforecast.synth.truthdist import HH_UNITS_PER_HOUR

KEPT_SOURCES = ("PILOT", "CABIN")  # what the truth's HH counts (clean.keep_sources default)


def action_weights(max_actions: int) -> np.ndarray:
    """P(k action rows per defect) proportional to 1/k: most defects close in one action."""
    weights = 1.0 / np.arange(1, max_actions + 1)
    return weights / weights.sum()


def kept_share(params: SyntheticParams) -> float:
    """P(a defect's source is PILOT or CABIN)."""
    total = sum(params.source_mix.values())
    return sum(params.source_mix.get(s, 0.0) for s in KEPT_SOURCES) / total


def defect_units_pmf(params: SyntheticParams) -> np.ndarray:
    """P(a kept defect's total HH is t units of 0.05 h), t = 0, 1, ...: the generator's per-defect law, exactly.

    A defect's total is max(k, round(H / 0.05)) with H the (capped) lognormal or AOG
    draw and k its action count, so the bins of H's distribution give the law in closed form.
    """
    q = 1.0 / HH_UNITS_PER_HOUR
    aog_lo, aog_hi = params.aog_hours
    t = np.arange(0, int(math.ceil(aog_hi / q)) + 2)
    edges = (t + 0.5) * q
    z = (np.log(edges) - params.hh_log_mean) / params.hh_log_sigma
    normal_cdf = 0.5 * (1.0 + np.array([math.erf(v / math.sqrt(2.0)) for v in z]))
    cdf_lognormal = np.where(edges >= aog_hi, 1.0, normal_cdf)
    cdf_aog = np.clip((edges - aog_lo) / (aog_hi - aog_lo), 0.0, 1.0)
    p = params.aog_probability
    rounded_pmf = np.diff(np.concatenate([[0.0], (1.0 - p) * cdf_lognormal + p * cdf_aog]))
    law = np.zeros(len(t))
    for k, weight in enumerate(action_weights(params.max_actions_per_defect), start=1):
        # max(k, T): the mass of T <= k collapses onto k; above k, T's own mass.
        law[k] += weight * rounded_pmf[: k + 1].sum()
        law[k + 1 :] += weight * rounded_pmf[k + 1 :]
    return law


def expected_hh_per_defect(params: SyntheticParams) -> float:
    """E[HH of a defect] after quantization and the 0.05-h-per-action minimum, computed exactly."""
    return truthdist.hours_per_defect(defect_units_pmf(params))


def draw_defect_hh_units(rng: np.random.Generator, n: int, params: SyntheticParams) -> tuple[np.ndarray, np.ndarray]:
    """Per defect: action count k and HH units per action (n, max_actions), each >= 1 when used.

    The lognormal is capped at the AOG ceiling, so a valid row never reaches the junk rows'
    `hh_above_max` range (and stays below clean.max_hh_per_row while aog_hours do).
    """
    k_max = params.max_actions_per_defect
    k = rng.choice(np.arange(1, k_max + 1), size=n, p=action_weights(k_max))
    aog = rng.random(n) < params.aog_probability
    hours = np.where(
        aog,
        rng.uniform(*params.aog_hours, size=n),
        np.minimum(rng.lognormal(params.hh_log_mean, params.hh_log_sigma, size=n), params.aog_hours[1]),
    )
    total = np.maximum(k, np.rint(hours * HH_UNITS_PER_HOUR).astype(np.int64))
    units = np.zeros((n, k_max), dtype=np.int64)
    remaining = total - k  # units beyond the one-per-action minimum
    for j in range(k_max):
        active = j < k
        last = j == k - 1
        share = np.where(active & ~last, 1.0 / np.maximum(k - j, 1), 0.0)
        extra = np.where(last, remaining, rng.binomial(remaining, share))
        units[:, j] = np.where(active, 1 + extra, 0)
        remaining = remaining - np.where(active, extra, 0)
    return k, units


def weekly_hh_pmf(hh_expected: ArrayLike, params: SyntheticParams) -> np.ndarray:
    """Each week's exact kept-HH distribution given its expected HH (truthdist.weekly_hh_pmf of this world's law)."""
    return truthdist.weekly_hh_pmf(hh_expected, defect_units_pmf(params))


def with_quantiles(truth: pd.DataFrame, params: SyntheticParams) -> pd.DataFrame:
    """The truth with each week's exact HH quantiles (truthdist), given its expected HH."""
    return truth.assign(**truthdist.quantile_table(weekly_hh_pmf(truth["HH_expected"], params)))


def defect_law(params: SyntheticParams) -> pd.DataFrame:
    """The per-defect HH law as a table (hours, probability): with HH_expected, all the truth's noise model."""
    return truthdist.law_table(defect_units_pmf(params))

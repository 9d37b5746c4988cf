"""Prediction ranges whose width follows the level, calibrated by split conformal prediction.

Weekly HH is compound Poisson: its spread grows like the square root of its
mean. So the conformity score is the residual scaled by √(prediction), on
residuals of weeks that no fitting step used (the validation window, scored by
a network that never saw it). Two shapes (`train.range_shape`):

* `symmetric`: ŷ ± q·√ŷ, q the finite-sample conformal quantile of |y − ŷ| / √ŷ;
* `asymmetric`: [ŷ + q_lo·√ŷ, ŷ + q_hi·√ŷ], the lower and upper conformal
  quantiles of the signed score (y − ŷ) / √ŷ at (1 − level) / 2 and
  (1 + level) / 2, so a right-skewed noise gets a longer upper arm.

A small fleet gets a narrow range, a large one a wide one. Bundles saved before
scaling (a constant `half_width`) still load and keep their ranges.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

# Below this many HH a week the spread stops shrinking: a zero forecast still gets a range.
SCALE_FLOOR_HH = 1.0
SCALED, CONSTANT, SCALED_QUANTILES = "scaled", "constant", "scaled_quantiles"
SHAPES = {"symmetric": SCALED, "asymmetric": SCALED_QUANTILES}


def clip_hh(values: np.ndarray) -> np.ndarray:
    """The one clipping rule for every forecast: man-hours are never negative."""
    return np.maximum(np.asarray(values, dtype="float64").reshape(-1), 0.0)


def level_key(level: float) -> str:
    """0.8 -> '80', 0.95 -> '95': the suffix used in column and metric names."""
    return f"{round(level * 100):d}"


def range_keys(columns: Iterable[str]) -> list[str]:
    """The level keys of a table's `lower_<key>` columns ('80', '95'), in level order."""
    return sorted((c[len("lower_") :] for c in columns if c.startswith("lower_")), key=float)


def ranges(table: Any) -> dict[str, tuple[Any, Any]]:
    """{key: (lower, upper)} from a table (or dict) with `lower_<key>` and `upper_<key>` columns."""
    return {key: (table[f"lower_{key}"], table[f"upper_{key}"]) for key in range_keys(table)}


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The ceil((n+1)·level)-th smallest score: finite-sample valid for exchangeable weeks."""
    scores = np.sort(np.asarray(scores, float))
    n = len(scores)
    if n == 0:
        raise ValueError("conformal calibration needs at least one residual")
    return float(scores[min(math.ceil(_rank((n + 1) * level)), n) - 1])


def lower_conformal_quantile(scores: np.ndarray, tail: float) -> float:
    """The floor((n+1)·tail)-th smallest score: a lower bound that the next exchangeable score falls below
    with probability at most `tail`. With too few scores for that (the rank is 0) it is the smallest score,
    which the next one falls below with probability 1/(n+1)."""
    scores = np.sort(np.asarray(scores, float))
    if len(scores) == 0:
        raise ValueError("conformal calibration needs at least one residual")
    return float(scores[max(math.floor(_rank((len(scores) + 1) * tail)), 1) - 1])


def _rank(value: float) -> float:
    """A rank computed in floating point, rid of its rounding error: (1 - 0.8) / 2 * 20 is 1.9999999999999996."""
    return round(value, 9)


def scale(predicted: np.ndarray) -> np.ndarray:
    return np.sqrt(np.maximum(np.asarray(predicted, float), SCALE_FLOOR_HH))


@dataclass(frozen=True)
class Calibration:
    """Per level key ('80', '95'): q, the half-width per unit of scale (√ŷ for `scaled`, 1 for `constant`);
    for `scaled_quantiles`, the lower and upper signed scores (q_lo, q_hi) per unit of √ŷ."""

    quantiles: dict[str, Any]
    method: str = SCALED

    def arms(self, predicted: np.ndarray, key: str) -> tuple[np.ndarray, np.ndarray]:
        """How far the range reaches below and above the forecast (both ≥ 0 unless the scores say otherwise)."""
        predicted = np.asarray(predicted, float)
        if self.method == SCALED_QUANTILES:
            low, high = self.quantiles[key]
            return -low * scale(predicted), high * scale(predicted)
        unit = scale(predicted) if self.method == SCALED else np.ones_like(predicted)
        width = self.quantiles[key] * unit
        return width, width

    def bounds(self, predicted: np.ndarray, key: str) -> tuple[np.ndarray, np.ndarray]:
        """The range around a (clipped) forecast, itself clipped at zero."""
        below, above = self.arms(predicted, key)
        return np.maximum(predicted - below, 0.0), predicted + above

    def keys(self) -> list[str]:
        return sorted(self.quantiles, key=float)

    def to_json(self) -> dict[str, Any]:
        described = {
            SCALED: f"split conformal on the validation window, |residual| / sqrt(max(prediction, {SCALE_FLOOR_HH:g}))",
            SCALED_QUANTILES: "split conformal on the validation window, lower and upper quantiles of "
            f"residual / sqrt(max(prediction, {SCALE_FLOOR_HH:g}))",
            CONSTANT: "split conformal on the validation window",
        }
        return {
            "method": described[self.method],
            "scale": self.method,
            "quantile": dict(self.quantiles),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibration:
        if "half_width" in data:  # bundles from before scaled ranges
            return cls({k: float(v) for k, v in data["half_width"].items()}, CONSTANT)
        method = data.get("scale", SCALED)
        if method == SCALED_QUANTILES:
            return cls({k: [float(v[0]), float(v[1])] for k, v in data["quantile"].items()}, method)
        return cls({k: float(v) for k, v in data["quantile"].items()}, method)


def calibrate(y_true: np.ndarray, y_pred: np.ndarray, levels: list[float], shape: str = "symmetric") -> Calibration:
    """Scaled split-conformal quantiles for each level, from held-out residuals; `shape` as in SHAPES."""
    signed = (np.asarray(y_true, float) - np.asarray(y_pred, float)) / scale(y_pred)
    if SHAPES[shape] == SCALED_QUANTILES:
        return Calibration(
            {
                level_key(level): [
                    lower_conformal_quantile(signed, (1 - level) / 2),
                    conformal_quantile(signed, (1 + level) / 2),
                ]
                for level in levels
            },
            SCALED_QUANTILES,
        )
    return Calibration({level_key(level): conformal_quantile(np.abs(signed), level) for level in levels})


def coverage(y_true: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    y_true = np.asarray(y_true, float)
    return float(np.mean((y_true >= lower) & (y_true <= upper)))


def coverage_interval(hits: int, n: int, confidence: float = 0.95) -> list[float]:
    """Clopper–Pearson interval for a coverage of hits / n."""
    from scipy import stats  # here, not at the top: serving and the registry import this module, not this function

    alpha = 1 - confidence
    low = 0.0 if hits == 0 else float(stats.beta.ppf(alpha / 2, hits, n - hits + 1))
    high = 1.0 if hits == n else float(stats.beta.ppf(1 - alpha / 2, hits + 1, n - hits))
    return [low, high]


def winkler_score(y_true: np.ndarray, lower: np.ndarray, upper: np.ndarray, level: float) -> float:
    """Mean interval score: width plus 2/α times how far the outcome falls outside (lower is better)."""
    y = np.asarray(y_true, float)
    alpha = 1.0 - level
    return float(np.mean((upper - lower) + 2.0 / alpha * (np.maximum(lower - y, 0.0) + np.maximum(y - upper, 0.0))))


def pinball_loss(y_true: np.ndarray, quantile: np.ndarray, tau: float) -> float:
    """Mean quantile (pinball) loss of a forecast of the tau-quantile."""
    diff = np.asarray(y_true, float) - np.asarray(quantile, float)
    return float(np.mean(np.maximum(tau * diff, (tau - 1.0) * diff)))


def interval_scores(y_true: np.ndarray, lower: np.ndarray, upper: np.ndarray, level: float) -> dict[str, object]:
    """Coverage with its binomial interval, mean width, interval score and the pinball loss at both ends."""
    key = level_key(level)
    y = np.asarray(y_true, float)
    hits = int(np.sum((y >= lower) & (y <= upper)))
    alpha = 1.0 - level
    return {
        f"coverage_{key}": hits / len(y),
        f"coverage_{key}_ci": coverage_interval(hits, len(y)),
        f"width_{key}": float(np.mean(upper - lower)),
        f"interval_score_{key}": winkler_score(y, lower, upper, level),
        f"pinball_{key}": (pinball_loss(y, lower, alpha / 2) + pinball_loss(y, upper, 1 - alpha / 2)) / 2,
    }

"""Split conformal prediction intervals: widths calibrated on held-out residuals."""
from __future__ import annotations

import math

import numpy as np


def conformal_widths(y_true: np.ndarray, y_pred: np.ndarray, levels: list[float]) -> dict[str, float]:
    """Half-width per level: the ceil((n+1)·level)-th smallest absolute residual (finite-sample valid)."""
    residuals = np.sort(np.abs(np.asarray(y_true, float) - np.asarray(y_pred, float)))
    n = len(residuals)
    if n == 0:
        raise ValueError("conformal calibration needs at least one residual")
    widths = {}
    for level in levels:
        rank = min(math.ceil((n + 1) * level), n)
        widths[level_key(level)] = float(residuals[rank - 1])
    return widths


def level_key(level: float) -> str:
    """0.8 -> '80', 0.95 -> '95': the suffix used in column and metric names."""
    return f"{round(level * 100):d}"


def bounds(y_pred: np.ndarray, width: float) -> tuple[np.ndarray, np.ndarray]:
    """Interval around the prediction, clipped at zero (man-hours are never negative)."""
    return np.maximum(y_pred - width, 0.0), y_pred + width


def coverage(y_true: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    y_true = np.asarray(y_true, float)
    return float(np.mean((y_true >= lower) & (y_true <= upper)))

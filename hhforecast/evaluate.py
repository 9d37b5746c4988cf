"""Point-forecast metrics, and the comparison that says how good a model really is."""
from __future__ import annotations

import numpy as np


def point_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """MAE, RMSE, MAPE (%, weeks with HH > 0), WAPE (%) and R²."""
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    error = y_pred - y_true
    nonzero = y_true != 0
    total = np.abs(y_true).sum()
    spread = ((y_true - y_true.mean()) ** 2).sum()
    return {
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mape": float(np.mean(np.abs(error[nonzero]) / np.abs(y_true[nonzero])) * 100) if nonzero.any() else float("nan"),
        "wape": float(np.abs(error).sum() / total * 100) if total else float("nan"),
        "r2": float(1 - (error**2).sum() / spread) if spread else float("nan"),
    }


def skill(mae: float, reference_mae: float) -> float:
    """1 − mae / reference: positive when better than the reference, 0 when equal."""
    return float(1 - mae / reference_mae)


def rounded(value: object, digits: int = 6) -> object:
    """Round floats in nested metrics so JSON output is stable and readable."""
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v, digits) for v in value]
    if isinstance(value, float):
        return round(value, digits)
    return value

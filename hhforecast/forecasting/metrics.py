"""The error measures of a point forecast, shared by training's record of a fit and by every evaluation."""

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
        "mape": float(np.mean(np.abs(error[nonzero]) / np.abs(y_true[nonzero])) * 100)
        if nonzero.any()
        else float("nan"),
        "wape": float(np.abs(error).sum() / total * 100) if total else float("nan"),
        "r2": float(1 - (error**2).sum() / spread) if spread else float("nan"),
    }

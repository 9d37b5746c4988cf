"""Simple baselines, fitted on the model's training window and scored on the same weeks."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression

from hhforecast.features import FEATURES, TARGET

SEASON_WEEKS = 52
NAMES = ("seasonal_naive", "linear", "gbm")


def seasonal_naive(history: pd.DataFrame, dates: pd.Series) -> np.ndarray:
    """HH of the same week a year (52 weeks) earlier."""
    by_date = history.set_index("date")[TARGET]
    lagged = pd.to_datetime(dates) - pd.Timedelta(weeks=SEASON_WEEKS)
    values = by_date.reindex(lagged).to_numpy(dtype="float64")
    if np.isnan(values).any():
        raise ValueError("seasonal naive needs the 52 weeks before every scored week")
    return values


def fit_linear(train: pd.DataFrame) -> LinearRegression:
    return LinearRegression().fit(train[FEATURES].to_numpy(float), train[TARGET].to_numpy(float))


def fit_gbm(train: pd.DataFrame, seed: int) -> HistGradientBoostingRegressor:
    model = HistGradientBoostingRegressor(loss="absolute_error", max_iter=300, learning_rate=0.05,
                                          early_stopping=False, random_state=seed)
    return model.fit(train[FEATURES].to_numpy(float), train[TARGET].to_numpy(float))


def fit_all(train: pd.DataFrame, seed: int) -> dict[str, object]:
    return {"linear": fit_linear(train), "gbm": fit_gbm(train, seed)}


def predict_all(fitted: dict[str, object], history: pd.DataFrame, scored: pd.DataFrame) -> dict[str, np.ndarray]:
    """Every baseline's forecast for the `scored` weeks; `history` is the full dataset (for the lag)."""
    x = scored[FEATURES].to_numpy(float)
    return {
        "seasonal_naive": seasonal_naive(history, scored["date"]),
        "linear": fitted["linear"].predict(x),
        "gbm": fitted["gbm"].predict(x),
    }

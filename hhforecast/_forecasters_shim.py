"""TEMPORARY stand-in for hhforecast.forecasters until it lands on main; deleted after the merge."""
from __future__ import annotations

import numpy as np
import pandas as pd

from hhforecast import baselines, model
from hhforecast.config import TrainParams
from hhforecast.features import xy


class Network:
    name = "network"

    def __init__(self, params: TrainParams) -> None:
        self.params = params

    def fit(self, train: pd.DataFrame, val: pd.DataFrame) -> "Network":
        (x, y), (xv, yv) = xy(train), xy(val)
        self.model, _ = model.fit(x, y, xv, yv, self.params)
        return self

    def predict(self, frame: pd.DataFrame, history: pd.DataFrame) -> np.ndarray:
        return np.maximum(model.predict(self.model, xy(frame)[0]), 0.0)


class Baseline:
    def __init__(self, name: str, gbm_seed: int) -> None:
        self.name, self.gbm_seed = name, gbm_seed

    def fit(self, train: pd.DataFrame, val: pd.DataFrame) -> "Baseline":
        self.fitted = {"linear": baselines.fit_linear(train), "gbm": baselines.fit_gbm(train, self.gbm_seed)}
        return self

    def predict(self, frame: pd.DataFrame, history: pd.DataFrame) -> np.ndarray:
        return np.maximum(baselines.predict_all(self.fitted, history, frame)[self.name], 0.0)


def build_all(train_params: TrainParams, gbm_seed: int) -> list:
    return [Network(train_params), *(Baseline(n, gbm_seed) for n in ("seasonal_naive", "linear", "gbm"))]

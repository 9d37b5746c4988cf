"""Every model behind one fit/predict interface: the network and the baselines a reviewer will ask for.

The backtest, the test-window scoring, the expected-error scorer and the results
table loop over forecasters and never name one. `fit(train, val)`: every model
learns from train + val, the same weeks. The network also needs held-out weeks:
it chooses its epoch count on the last `train.early_stopping_weeks` of `train`,
calibrates its ranges on `val` (weeks that fit never saw), then refits on all
of train + val for the chosen epochs. `predict(frame, history)`:
`history` is the full dataset, for models that look back (seasonal naive).
Every prediction leaves through `intervals.clip_hh`, the one clipping rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np
import pandas as pd

from hhforecast.core.config import TrainParams
from hhforecast.core.errors import ConfigError
from hhforecast.dataprep.weekly_dataset import FEATURES, TARGET
from hhforecast.forecasting import intervals

SEASON_WEEKS = 52
FLIGHT_HOURS = "sum_daily_hours"
NETWORK = "network"
# The study's ablation: the network under each architecture, beside the default one (`network`).
ARCHITECTURE_MODELS = ("network_hybrid", "network_mlp")
BASELINES = ("seasonal_naive", "rate_naive", "linear", "glm", "gbm", "gbm_rate")
# What reports call each model, in a sentence or a legend; tables may add how it works (results.LABELS).
LABELS = {
    NETWORK: "network",
    "network_mlp": "plain MLP network",
    "network_hybrid": "hybrid network",
    "seasonal_naive": "seasonal naive",
    "rate_naive": "rate naive",
    "linear": "linear regression",
    "glm": "Poisson GLM",
    "gbm": "gradient boosting",
    "gbm_rate": "gradient boosting on HH per FH",
}


class Forecaster(Protocol):
    name: str

    def fit(self, train: pd.DataFrame, val: pd.DataFrame) -> Forecaster: ...

    def predict(self, frame: pd.DataFrame, history: pd.DataFrame) -> np.ndarray: ...


def _x(frame: pd.DataFrame) -> np.ndarray:
    return frame[FEATURES].to_numpy(dtype="float64")


def _y(frame: pd.DataFrame) -> np.ndarray:
    return frame[TARGET].to_numpy(dtype="float64")


def _known(train: pd.DataFrame, val: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([train, val], ignore_index=True)


@dataclass
class SeasonalNaive:
    """HH of the same week a year (52 weeks) earlier."""

    name: str = "seasonal_naive"

    def fit(self, train: pd.DataFrame, val: pd.DataFrame) -> SeasonalNaive:
        return self

    def predict(self, frame: pd.DataFrame, history: pd.DataFrame) -> np.ndarray:
        by_date = history.set_index("date")[TARGET]
        lagged = pd.to_datetime(frame["date"]) - pd.Timedelta(weeks=SEASON_WEEKS)
        values = by_date.reindex(lagged).to_numpy(dtype="float64")
        if np.isnan(values).any():
            raise ValueError("seasonal naive needs the 52 weeks before every scored week")
        return intervals.clip_hh(values)


@dataclass
class RateNaive:
    """Last year's HH per flight hour (the 52 weeks before the forecast origin) × this week's flight hours."""

    name: str = "rate_naive"
    rate: float = float("nan")

    def fit(self, train: pd.DataFrame, val: pd.DataFrame) -> RateNaive:
        last_year = _known(train, val).tail(SEASON_WEEKS)
        self.rate = float(last_year[TARGET].sum() / last_year[FLIGHT_HOURS].sum())
        return self

    def predict(self, frame: pd.DataFrame, history: pd.DataFrame) -> np.ndarray:
        return intervals.clip_hh(self.rate * frame[FLIGHT_HOURS].to_numpy(dtype="float64"))


@dataclass
class Linear:
    """Ordinary least squares on the features."""

    name: str = "linear"
    model: Any = None

    def fit(self, train: pd.DataFrame, val: pd.DataFrame) -> Linear:
        from sklearn.linear_model import LinearRegression  # scikit-learn only where a baseline is fitted

        known = _known(train, val)
        self.model = LinearRegression().fit(_x(known), _y(known))
        return self

    def predict(self, frame: pd.DataFrame, history: pd.DataFrame) -> np.ndarray:
        return intervals.clip_hh(self.model.predict(_x(frame)))


def structural_terms(frame: pd.DataFrame) -> np.ndarray:
    """log flight hours, log cycles, log aircraft-weeks and fleet age: the defect rate's own terms."""
    return np.column_stack(
        [
            np.log(np.maximum(frame["sum_daily_hours"].to_numpy(float), 1e-3)),
            np.log(np.maximum(frame["Cycles"].to_numpy(float), 1e-3)),
            np.log(np.maximum(frame["acft"].to_numpy(float), 1e-3)),
            frame["age_fleet"].to_numpy(float),
        ]
    )


@dataclass
class PoissonGLM:
    """Poisson GLM, log link, on structural terms: HH ∝ FH^a · FC^b · acft^c · e^(d·age)."""

    name: str = "glm"
    model: Any = None

    def fit(self, train: pd.DataFrame, val: pd.DataFrame) -> PoissonGLM:
        from sklearn.linear_model import PoissonRegressor
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        known = _known(train, val)
        self.model = make_pipeline(StandardScaler(), PoissonRegressor(alpha=0.0, max_iter=1000))
        self.model.fit(structural_terms(known), _y(known))
        return self

    def predict(self, frame: pd.DataFrame, history: pd.DataFrame) -> np.ndarray:
        return intervals.clip_hh(self.model.predict(structural_terms(frame)))


def _gbm(seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(
        loss="absolute_error", max_iter=300, learning_rate=0.05, early_stopping=False, random_state=seed
    )


def _one_thread() -> Any:
    """Boosting a few hundred weeks gains nothing from OpenMP threads, and they spin-wait whenever the machine is
    busy (folds, tests, the study's workers side by side): one thread fits 10-30 times cheaper then, and the
    result cannot depend on how many cores the machine has."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="openmp")


@dataclass
class GBM:
    """Gradient boosting on the features (flat beyond the training range, by construction)."""

    seed: int = 0
    name: str = "gbm"
    model: Any = None

    def per(self, frame: pd.DataFrame) -> np.ndarray:
        """What the target is learned per: nothing here (HH itself)."""
        return np.ones(len(frame))

    def fit(self, train: pd.DataFrame, val: pd.DataFrame) -> GBM:
        known = _known(train, val)
        estimator = _gbm(self.seed)  # imports scikit-learn first: threadpoolctl limits only an OpenMP already loaded
        with _one_thread():
            self.model = estimator.fit(_x(known), _y(known) / self.per(known))
        return self

    def predict(self, frame: pd.DataFrame, history: pd.DataFrame) -> np.ndarray:
        with _one_thread():
            return intervals.clip_hh(self.model.predict(_x(frame)) * self.per(frame))


@dataclass
class GBMRate(GBM):
    """Gradient boosting on HH per flight hour, times the week's flight hours: it follows fleet growth."""

    name: str = "gbm_rate"

    def per(self, frame: pd.DataFrame) -> np.ndarray:
        return frame[FLIGHT_HOURS].to_numpy(float)


@dataclass
class Network:
    """The Keras ensemble (`train.*`): epochs chosen inside `train`, ranges calibrated on `val`, refit on both.

    `held_out` keeps the calibration weeks' forecasts by the network that never saw them
    (date, predicted, abs_error): out-of-sample errors for monitoring's reference.
    """

    params: TrainParams
    levels: list[float]
    name: str = NETWORK
    model: Any = None
    calibration: intervals.Calibration | None = None
    histories: list[Any] = field(default_factory=list)
    epochs: list[int] = field(default_factory=list)
    calibrations: dict[str, intervals.Calibration] = field(default_factory=dict)
    held_out: pd.DataFrame | None = None

    def fit(
        self,
        train: pd.DataFrame,
        val: pd.DataFrame,
        callbacks: Sequence[Any] = (),
        progress: str | None = None,
        final_fit: bool = True,
    ) -> Network:
        """Choose the epochs, calibrate the ranges, then (`final_fit`) refit on train + val; without the final
        fit, `model` stays unset for a caller that refits on other weeks itself (`refit`)."""
        from hhforecast.forecasting import keras_model  # TensorFlow only where a network is fitted

        stop_weeks = self.params.early_stopping_weeks
        if len(train) < stop_weeks + 52:
            raise ConfigError(
                f"train.early_stopping_weeks={stop_weeks}: the training window has {len(train)} weeks, "
                f"which leaves fewer than 52 to learn from before the weeks that choose the epoch count"
            )
        inner, stop = train.iloc[:-stop_weeks], train.iloc[-stop_weeks:]
        _, self.histories = keras_model.fit(
            _x(inner), _y(inner), _x(stop), _y(stop), self.params, callbacks=callbacks, progress=progress
        )
        self.epochs = keras_model.best_epochs(self.histories)
        # The ranges are calibrated by the same network fitted on `train` alone: `val` lies as far ahead of
        # it as the weeks after `val` lie ahead of the final fit, and no fitting step used `val`.
        calibrating = self._refit_model(train, None if progress is None else f"{progress}: calibration fit")
        predicted = intervals.clip_hh(keras_model.predict(calibrating, _x(val)))
        self.calibrations = {
            shape: intervals.calibrate(_y(val), predicted, self.levels, shape) for shape in intervals.SHAPES
        }
        self.calibration = self.calibrations[self.params.range_shape]
        self.held_out = pd.DataFrame(
            {"date": val["date"].to_numpy(), "predicted": predicted, "abs_error": np.abs(_y(val) - predicted)}
        )
        if final_fit:
            self.model = self._refit_model(_known(train, val), None if progress is None else f"{progress}: refit")
        return self

    def refit(self, frame: pd.DataFrame, progress: str | None = None) -> Network:
        """The same network, its epoch counts and ranges kept, learning from `frame`'s weeks instead."""
        return replace(self, model=self._refit_model(frame, progress))

    def _refit_model(self, frame: pd.DataFrame, progress: str | None) -> Any:
        from hhforecast.forecasting import keras_model

        model, _ = keras_model.fit(_x(frame), _y(frame), None, None, self.params, progress=progress, epochs=self.epochs)
        return model

    def predict(self, frame: pd.DataFrame, history: pd.DataFrame) -> np.ndarray:
        from hhforecast.forecasting import keras_model

        return intervals.clip_hh(keras_model.predict(self.model, _x(frame)))


def baselines(gbm_seed: int) -> list[Forecaster]:
    return [SeasonalNaive(), RateNaive(), Linear(), PoissonGLM(), GBM(seed=gbm_seed), GBMRate(seed=gbm_seed)]


def build_all(train_params: TrainParams, levels: list[float], gbm_seed: int) -> list[Forecaster]:
    """The network first, then every baseline, unfitted."""
    return [Network(train_params, levels), *baselines(gbm_seed)]

"""The REST API: forecasts from the served bundle, one or many weeks per request.

The bundle is loaded once at start-up; each request calls the model directly.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from hhforecast.bundle import Bundle
from hhforecast.contract import Monday
from hhforecast.store import PredictionLog

MAX_WEEKS = 10_000


class Week(BaseModel):
    """One planned week: the dataset's feature columns."""

    model_config = ConfigDict(extra="forbid")

    date: Monday = Field(description="Monday that starts the week")
    acft: float = Field(ge=0, description="aircraft that will fly in the week")
    sum_daily_hours: float = Field(ge=0, description="fleet flight hours in the week")
    age_fleet: float = Field(ge=0, description="mean age (years) of the flying aircraft at the Monday")
    Cycles: float = Field(ge=0, description="fleet cycles in the week")
    sum_uti_mensal: float = Field(ge=0, description="fleet flight hours in the 28 days ending on the week's Sunday")


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weeks: list[Week] = Field(min_length=1, max_length=MAX_WEEKS)


class WeekForecast(BaseModel):
    date: str
    predicted_hh: float
    lower_80: float
    upper_80: float
    lower_95: float
    upper_95: float
    model_version: str
    extrapolation: bool
    extrapolated_features: list[str]


class PredictResponse(BaseModel):
    forecasts: list[WeekForecast]


def create_app(bundle: Bundle, log_path: Path | None, served: str) -> FastAPI:
    app = FastAPI(title="hh-forecast", version=bundle.version,
                  description="Weekly unscheduled-maintenance man-hours from planned fleet utilization.")
    log = PredictionLog(log_path) if log_path is not None else None

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "model_version": bundle.version}

    @app.get("/model")
    def model_card() -> dict:
        meta = bundle.metadata
        return {
            "version": bundle.version,
            "source": bundle.source,
            "served": served,
            "features": bundle.features,
            "feature_ranges": meta.get("feature_ranges"),
            "training_window": meta.get("windows"),
            "metrics": meta.get("metrics"),
            "intervals": bundle.calibration.to_json(),
        }

    features = bundle.features

    @app.post("/predict", response_model=PredictResponse)
    def forecast(request: PredictRequest) -> dict:
        # Plain arrays on the request path: pandas costs more than the model for a single week.
        rows = [[getattr(week, name) for name in features] for week in request.weeks]
        x = np.asarray(rows, dtype="float64")
        result = bundle.predict_array(x)
        flags = bundle.extrapolated(x)
        records = [
            {"date": week.date.isoformat(), **{k: float(v[i]) for k, v in result.items()},
             "model_version": bundle.version, "extrapolation": bool(flags[i]),
             "extrapolated_features": flags[i].split(",") if flags[i] else []}
            for i, week in enumerate(request.weeks)
        ]
        if log is not None:
            log.append_records(records, [dict(zip(features, row)) for row in rows], channel="api")
        return {"forecasts": records}

    return app

"""`hh predict` as one run of the prediction log: planned weeks read, the served model loaded, the weeks
forecast, and the run recorded (failed with its reason, or succeeded with every forecast)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hhforecast.core.config import Params
from hhforecast.core.errors import HHForecastError
from hhforecast.serving import predict, registry, store


@dataclass(frozen=True)
class Batch:
    """A batch forecast made, not yet recorded as succeeded: `record()` does that once its output is written."""

    forecast: pd.DataFrame  # predict.forecast's table
    features: pd.DataFrame  # the planned weeks' features, as the log keeps them
    version: str  # the model's
    source: str  # the input file, as given
    log_path: Path | None  # None: not logged
    run_id: int | None

    @property
    def extrapolated(self) -> int:
        """How many weeks lie outside the training range."""
        return int(self.forecast["extrapolation"].sum())

    def record(self) -> None:
        """Append every forecast to the prediction log and close the run as succeeded (nothing when not logged)."""
        if self.log_path is None or self.run_id is None:
            return
        store.log_predictions(self.log_path, self.forecast, self.features, "batch")
        store.end_run(
            self.log_path, self.run_id, "succeeded", f"{len(self.forecast)} weeks from {self.source}", self.version
        )


def forecast(
    source: str, params: Params, rev: str | None, log_path: Path | None, progress: Callable[[str], None]
) -> Batch:
    """Forecast the planned weeks in `source` with the served model (`rev`, or the prod stage), as a run of the
    prediction log at `log_path` (None: no log). `progress` gets one line once the model is loaded. A bad input
    or model closes the run as failed, with the reason, and raises."""
    run_id = None if log_path is None else store.start_run(log_path, "predict")
    try:
        weeks, kind = predict.read_planned(Path(source), params)
        bundle, which_model = registry.load_served(Path("."), rev)
        progress(f"{which_model}; {len(weeks)} week(s) from {kind} input")
        table = predict.forecast(bundle, weeks)
    except HHForecastError as exc:
        if log_path is not None and run_id is not None:
            store.end_run(log_path, run_id, "failed", str(exc))
        raise
    return Batch(table, weeks[bundle.features], bundle.version, source, log_path, run_id)

"""What a trained network's metadata records: data, windows, params, per-member epochs, scores, versions.

No wall-clock time goes in, so the same training writes the same bytes.
"""

from __future__ import annotations

import hashlib
import platform
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import hhforecast
from hhforecast.core.config import Params
from hhforecast.core.io import rounded
from hhforecast.dataprep import weekly_dataset
from hhforecast.forecasting.forecasters import Network
from hhforecast.forecasting.metrics import point_metrics


def window(frame: pd.DataFrame) -> list[str]:
    return [frame["date"].iloc[0].strftime("%Y-%m-%d"), frame["date"].iloc[-1].strftime("%Y-%m-%d")]


def known_weeks(split: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every week through split.train_end (train, val and test): what the production network refits on."""
    return pd.concat([split["train"], split["val"], split["test"]], ignore_index=True)


def metadata(
    dataset_path: Path, dataset: pd.DataFrame, split: dict[str, pd.DataFrame], params: Params, network: Network
) -> dict[str, Any]:
    """model_metadata.json's content for the production `network`, refit on `known_weeks(split)` (bundle.save
    adds the files' sha256). Its validation errors are the calibration fit's, out of sample."""
    import sklearn

    # Here, not at the top: the train stage imports this module before core.stage.run turns oneDNN off.
    from hhforecast.forecasting import keras_model

    val, known = split["val"], known_weeks(split)
    best_epochs = network.epochs
    assert network.held_out is not None, "a fitted network keeps its calibration weeks' forecasts"
    val_predicted = network.held_out["predicted"].to_numpy(float)
    return {
        "dataset": {"path": dataset_path.as_posix(), "md5": hashlib.md5(dataset_path.read_bytes()).hexdigest()},
        "features": weekly_dataset.FEATURES,
        "feature_ranges": {
            name: [float(known[name].min()), float(known[name].max())] for name in weekly_dataset.FEATURES
        },
        "target": weekly_dataset.TARGET,
        "architecture": params.train.architecture,
        # What the point forecast estimates: the MAE loss fits a median, the Poisson deviance a (balanced) mean.
        "point_forecast": "mean"
        if params.train.loss == "poisson"
        else "median"
        if params.train.loss == "mae"
        else "mean-like",
        "windows": {name: window(split[name]) for name in ("train", "val", "test")} | {"fitted": window(known)},
        "trained_through": window(known)[1],
        "data_through": dataset["date"].iloc[-1].strftime("%Y-%m-%d"),
        "params": {
            "train": params.train.model_dump(),
            "split": params.split.model_dump(mode="json"),
            "intervals": params.evaluate.intervals,
        },
        "epochs_run": len(network.histories[0]["loss"]),
        "best_epoch": best_epochs[0],
        "members": [
            {"seed": params.train.seed + index, "epochs_run": len(history["loss"]), "best_epoch": best}
            for index, (history, best) in enumerate(zip(network.histories, best_epochs))
        ],
        "metrics": rounded(
            {
                "train": point_metrics(weekly_dataset.xy(known)[1], network.predict(known, dataset)),
                "val": point_metrics(weekly_dataset.xy(val)[1], val_predicted),
            }
        ),
        # The retraining test compares recent errors, scaled by the forecast, with these (monitor.error_rise):
        # the calibration fit's on the validation weeks, which it never saw.
        "validation_abs_errors": rounded([float(v) for v in network.held_out["abs_error"]]),
        "validation_predictions": rounded([float(v) for v in val_predicted]),
        "versions": {
            "python": platform.python_version(),
            **keras_model.versions(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "scikit-learn": sklearn.__version__,
            "hhforecast": hhforecast.__version__,
        },
    }

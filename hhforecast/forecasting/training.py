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


def metadata(
    dataset_path: Path, dataset: pd.DataFrame, split: dict[str, pd.DataFrame], params: Params, network: Network
) -> dict[str, Any]:
    """model_metadata.json's content (bundle.save adds the files' sha256)."""
    import sklearn

    # Here, not at the top: the train stage imports this module before core.stage.run turns oneDNN off.
    from hhforecast.forecasting import keras_model

    train, val = split["train"], split["val"]
    best_epochs = [int(np.argmin(history["val_loss"])) + 1 for history in network.histories]
    val_predicted = network.predict(val, dataset)
    return {
        "dataset": {"path": dataset_path.as_posix(), "md5": hashlib.md5(dataset_path.read_bytes()).hexdigest()},
        "features": weekly_dataset.FEATURES,
        "feature_ranges": {
            name: [float(train[name].min()), float(train[name].max())] for name in weekly_dataset.FEATURES
        },
        "target": weekly_dataset.TARGET,
        "windows": {name: window(split[name]) for name in ("train", "val", "test")},
        "trained_through": window(train)[1],
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
                "train": point_metrics(weekly_dataset.xy(train)[1], network.predict(train, dataset)),
                "val": point_metrics(weekly_dataset.xy(val)[1], val_predicted),
            }
        ),
        # The retraining test compares recent errors, scaled by the forecast, with these (monitor.error_rise).
        "validation_abs_errors": rounded([float(v) for v in np.abs(weekly_dataset.xy(val)[1] - val_predicted)]),
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

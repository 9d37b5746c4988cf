"""Fit the Keras model on the training window; save it byte-stably with its scaler, intervals and metadata."""
from __future__ import annotations

import hashlib
import platform

import keras
import numpy as np
import pandas as pd
import sklearn
import tensorflow as tf
from dvclive import Live
from dvclive.keras import DVCLiveCallback

import hhforecast
from hhforecast import bundle, config, features, intervals, model, paths
from hhforecast.evaluate import point_metrics, rounded
from hhforecast.stage import run, say


def window(frame: pd.DataFrame) -> list[str]:
    return [frame["date"].iloc[0].strftime("%Y-%m-%d"), frame["date"].iloc[-1].strftime("%Y-%m-%d")]


def main() -> None:
    params = config.load()
    dataset = features.read_dataset(paths.WEEKLY_DATASET)
    split = features.temporal_split(dataset, params.split.train_end, params.split.val_weeks, params.split.test_weeks)
    x_train, y_train = features.xy(split["train"])
    x_val, y_val = features.xy(split["val"])
    say("train", f"{len(x_train)} training weeks {window(split['train'])}, {len(x_val)} validation weeks {window(split['val'])}")

    with Live(dir=str(paths.DVCLIVE), dvcyaml=None, save_dvc_exp=False, report=None) as live:
        # dvclive draws the first member's curves; every member's epochs are in the metadata.
        fitted, histories = model.fit(x_train, y_train, x_val, y_val, params.train,
                                      callbacks=[DVCLiveCallback(live=live)], progress="train")
    widths = intervals.conformal_widths(y_val, model.predict(fitted, x_val), params.evaluate.intervals)
    best_epochs = [int(np.argmin(history["val_loss"])) + 1 for history in histories]

    metadata = {
        "dataset": {"path": paths.WEEKLY_DATASET.as_posix(), "md5": hashlib.md5(paths.WEEKLY_DATASET.read_bytes()).hexdigest()},
        "features": features.FEATURES,
        "feature_ranges": {name: [float(split["train"][name].min()), float(split["train"][name].max())]
                           for name in features.FEATURES},
        "target": features.TARGET,
        "windows": {name: window(split[name]) for name in ("train", "val", "test")},
        # The last week the weights learned from, and the last week of data there was (weeks after
        # the training data, e.g. the production period, are not part of training).
        "trained_through": window(split["train"])[1],
        "data_through": dataset["date"].max().strftime("%Y-%m-%d"),
        "params": {"train": params.train.model_dump(), "split": params.split.model_dump(mode="json"),
                   "intervals": params.evaluate.intervals},
        "epochs_run": len(histories[0]["loss"]),
        "best_epoch": best_epochs[0],
        "members": [{"seed": params.train.seed + index, "epochs_run": len(history["loss"]), "best_epoch": best}
                    for index, (history, best) in enumerate(zip(histories, best_epochs))],
        "metrics": rounded({
            "train": point_metrics(y_train, model.predict(fitted, x_train)),
            "val": point_metrics(y_val, model.predict(fitted, x_val)),
        }),
        "versions": {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
                     "numpy": np.__version__, "pandas": pd.__version__, "scikit-learn": sklearn.__version__,
                     "hhforecast": hhforecast.__version__},
    }
    metadata = bundle.save(fitted, widths, metadata)
    epochs = ", ".join(f"{member['best_epoch']} of {member['epochs_run']}" for member in metadata["members"])
    say("train", f"best epoch {epochs}; validation MAE {metadata['metrics']['val']['mae']:.2f}")


if __name__ == "__main__":
    run(main, "train")

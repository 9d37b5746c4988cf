"""The Keras regression network: build, fit, byte-stable save, safe load.

Normalization lives inside the model (a `Normalization` layer adapted on the
training window only) and so does the target's scale (a final `Rescaling`), so
the saved `.keras` file is the whole predictor: features in, HH out.
"""
from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hhforecast.config import TrainParams
from hhforecast.io import atomic_path, normalize_zip

# Set before TensorFlow is imported anywhere: the oneDNN switch changes the last bits of results.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

FIXED_SAVE_DATE = "1980-01-01@00:00:00"
LOSSES = {"mae": "mean_absolute_error", "mse": "mean_squared_error", "huber": "huber"}


def configure_determinism(seed: int) -> None:
    """Same seed, same machine -> same weights, whatever the thread count."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def build(x_train: np.ndarray, y_train: np.ndarray, params: TrainParams) -> keras.Model:
    """An MLP over the features, standardizing inputs and un-standardizing the output inside the graph."""
    normalizer = keras.layers.Normalization(axis=-1, name="standardize")
    normalizer.adapt(x_train.astype("float32"))
    inputs = keras.Input(shape=(x_train.shape[1],), name="features")
    standardized = normalizer(inputs)
    hidden = standardized
    for index in range(params.layers):
        hidden = keras.layers.Dense(params.units, activation="relu", name=f"dense_{index}")(hidden)
        if params.dropout > 0:
            hidden = keras.layers.Dropout(params.dropout, seed=params.seed + index, name=f"dropout_{index}")(hidden)
    scaled = keras.layers.Dense(1, name="scaled_hh")(hidden)
    if params.linear_skip:
        # Wide & deep: a linear path beside the MLP, so the network extrapolates like a
        # linear model where the fleet grows beyond the training range.
        linear = keras.layers.Dense(1, name="linear_path")(standardized)
        scaled = keras.layers.Add(name="wide_and_deep")([scaled, linear])
    target_mean, target_std = float(np.mean(y_train)), float(np.std(y_train) or 1.0)
    outputs = keras.layers.Rescaling(scale=target_std, offset=target_mean, name="hh")(scaled)
    model = keras.Model(inputs, outputs, name="hh_forecast")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=params.learning_rate), loss=LOSSES[params.loss],
                  metrics=["mean_absolute_error"])
    return model


class EpochProgress(keras.callbacks.Callback):
    """One line every `every` epochs on stderr; Keras' own bars are off in pipelines."""

    def __init__(self, every: int = 50, label: str = "train") -> None:
        super().__init__()
        self.every, self.label = every, label

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if (epoch + 1) % self.every == 0 and logs:
            print(f"{self.label}: epoch {epoch + 1}: loss {logs.get('loss', float('nan')):.2f}, "
                  f"val_loss {logs.get('val_loss', float('nan')):.2f}", file=sys.stderr, flush=True)


def fit(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    params: TrainParams,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> tuple[keras.Model, dict[str, list[float]]]:
    """Fit with early stopping on the validation window; the best epoch's weights are kept."""
    configure_determinism(params.seed)
    model = build(x_train, y_train, params)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=params.patience, restore_best_weights=True)
    history = model.fit(
        x_train.astype("float32"), y_train.astype("float32"),
        validation_data=(x_val.astype("float32"), y_val.astype("float32")),
        epochs=params.epochs, batch_size=params.batch_size, shuffle=True, verbose=0,
        callbacks=[stop, *callbacks],
    )
    return model, {k: [float(v) for v in values] for k, values in history.history.items()}


def predict(model: keras.Model, x: np.ndarray) -> np.ndarray:
    """Call the model directly (no `predict` loop overhead); one float per row."""
    return np.asarray(model(x.astype("float32"), training=False)).reshape(-1).astype("float64")


def compiled(model: keras.Model, n_features: int):
    """The model as one traced graph: a call costs a fraction of a millisecond instead of eager dispatch per layer."""

    @tf.function(input_signature=[tf.TensorSpec([None, n_features], tf.float32)], reduce_retracing=True)
    @tf.autograph.experimental.do_not_convert
    def infer(features):
        return model(features, training=False)

    return infer


def save(model: keras.Model, path: str | Path) -> None:
    """Save a `.keras` archive whose bytes depend only on the model (no date, stable ids and zip times)."""
    with atomic_path(path) as tmp:
        staging = tmp.with_suffix(".keras")
        model.save(staging)
        normalize_zip(staging, _pin_volatile_fields)
        os.replace(staging, tmp)


def load(path: str | Path) -> keras.Model:
    """Load with safe_mode: no arbitrary code (lambdas, pickles) is executed."""
    return keras.models.load_model(path, safe_mode=True, compile=False)


def scaler(model: keras.Model) -> dict[str, Any]:
    """The standardization the model applies, readable without Keras."""
    layer = model.get_layer("standardize")
    out = model.get_layer("hh")
    return {
        "mean": [float(v) for v in np.asarray(layer.mean).reshape(-1)],
        "variance": [float(v) for v in np.asarray(layer.variance).reshape(-1)],
        "target_mean": float(out.offset),
        "target_std": float(out.scale),
    }


def _pin_volatile_fields(name: str, data: bytes) -> bytes:
    if name == "metadata.json":
        meta = json.loads(data)
        meta["date_saved"] = FIXED_SAVE_DATE
        return json.dumps(meta, sort_keys=True).encode()
    if name == "config.json":
        return _renumber_shared_ids(data.decode()).encode()
    return data


def _renumber_shared_ids(text: str) -> str:
    """`shared_object_id` is a Python id(); replace each by its order of first appearance."""
    mapping: dict[str, str] = {}

    def renumber(match: re.Match[str]) -> str:
        mapping.setdefault(match.group(2), str(len(mapping)))
        return f"{match.group(1)}{mapping[match.group(2)]}"

    return re.sub(r'("shared_object_id":\s*)(\d+)', renumber, text)

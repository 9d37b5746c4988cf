"""The Keras networks: build, fit (early-stopped or for fixed epoch counts), byte-stable save, safe load.

Two architectures (`train.architecture`), each a whole predictor in its saved
`.keras` file, features in and HH out, built from Keras' own layers only so
that safe-mode loading runs no code of ours:

* `hybrid`, after the actuarial Combined Actuarial Neural Network (Schelldorfer
  & Wüthrich 2019): HH = skip(x) · exp(c(x̃)). The skip (`skip.py`) is a linear
  model in exposure terms, fitted first and frozen. The correction c is a small
  MLP whose output layer starts at zero, so training starts from the skip; its
  inputs x̃ are the features scaled to [0, 1] over the training weeks and
  clipped there, so beyond the training range c stays at its edge value and
  only the skip extrapolates.
* `mlp`: an MLP on standardized inputs, optionally with a linear path beside it
  (wide & deep), both fitted jointly; the target's scale is inside the graph.

Training (`fit`) stops early on held-out rows and records each member's best
epoch; given those counts (`epochs=`), `fit` trains the same members on other
rows for exactly those epochs, with nothing held out (forecasters.Network's
refits).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hhforecast.core import tensorflow_env
from hhforecast.core.config import TrainParams
from hhforecast.core.errors import ConfigError
from hhforecast.core.io import atomic_path, normalize_zip
from hhforecast.forecasting import skip

tensorflow_env.configure()  # before TensorFlow is imported: the oneDNN switch changes the last bits of results

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

FIXED_SAVE_DATE = "1980-01-01@00:00:00"
LOSSES = {
    "mae": keras.losses.MeanAbsoluteError,
    "mse": keras.losses.MeanSquaredError,
    "huber": keras.losses.Huber,
    "poisson": keras.losses.Poisson,
}
HYBRID = "hybrid"


def versions() -> dict[str, str]:
    """The TensorFlow and Keras versions in use (a training's metadata records them)."""
    return {"tensorflow": tf.__version__, "keras": keras.__version__}


def configure_determinism(seed: int) -> None:
    """Same seed, same machine -> same weights, whatever the thread count."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def build(
    x_train: np.ndarray,
    y_train: np.ndarray,
    params: TrainParams,
    seed: int | None = None,
    name: str = "hh_forecast",
    compile: bool = True,
) -> keras.Model:
    """The architecture `params.architecture` asks for, its scalings adapted on these training rows."""
    model = _build_hybrid(x_train, y_train, params, name) if params.architecture == HYBRID else None
    if model is None:
        model = _build_mlp(x_train, y_train, params, seed, name)
    if compile:
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=params.learning_rate), loss=LOSSES[params.loss]())
    return model


def training_range(x_train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each feature's minimum and span over the training rows (a constant feature gets span 1)."""
    x = np.asarray(x_train, "float32")
    low, high = x.min(axis=0), x.max(axis=0)
    return low, np.where(high > low, high - low, 1.0).astype("float32")


def _build_hybrid(x_train: np.ndarray, y_train: np.ndarray, params: TrainParams, name: str) -> keras.Model:
    terms = params.hybrid.skip_terms
    n_features = x_train.shape[1]
    inputs = keras.Input(shape=(n_features,), name="features")
    picked: dict[int, Any] = {}
    products = []
    for index, columns in enumerate(skip.term_columns(terms)):
        for column in columns:
            if column not in picked:  # a fixed one-hot Dense picks a column: no custom layer to load
                picked[column] = keras.layers.Dense(1, use_bias=False, trainable=False, name=f"pick_{column}")(inputs)
        factors = [picked[column] for column in columns]
        products.append(factors[0] if len(factors) == 1 else keras.layers.Multiply(name=f"term_{index}")(factors))
    stacked = products[0] if len(products) == 1 else keras.layers.Concatenate(name="skip_terms")(products)
    skip_out = keras.layers.Dense(1, use_bias=False, trainable=False, name="skip")(stacked)
    low, span = training_range(x_train)
    seen = skip.input_columns(params.hybrid.correction_inputs)
    unit = keras.layers.Normalization(mean=low, variance=np.square(span), name="to_training_range")(inputs)
    hidden = keras.layers.ReLU(max_value=1.0, name="clip_to_training_range")(unit)
    if len(seen) < n_features:
        hidden = keras.layers.Dense(len(seen), use_bias=False, trainable=False, name="correction_inputs")(hidden)
    for index in range(params.layers):
        hidden = keras.layers.Dense(params.units, activation="relu", name=f"dense_{index}")(hidden)
    correction = keras.layers.Dense(1, kernel_initializer="zeros", name="correction")(hidden)
    factor = keras.layers.Activation("exponential", name="exp_correction")(correction)
    model = keras.Model(inputs, keras.layers.Multiply(name="hh")([skip_out, factor]), name=name)
    for column in picked:
        one_hot = np.zeros((n_features, 1), "float32")
        one_hot[column, 0] = 1.0
        model.get_layer(f"pick_{column}").set_weights([one_hot])
    coefficients = skip.fit(x_train, y_train, terms).astype("float32").reshape(-1, 1)
    model.get_layer("skip").set_weights([coefficients])
    if len(seen) < n_features:
        selection = np.zeros((n_features, len(seen)), "float32")
        selection[seen, range(len(seen))] = 1.0
        model.get_layer("correction_inputs").set_weights([selection])
    return model


def _build_mlp(
    x_train: np.ndarray, y_train: np.ndarray, params: TrainParams, seed: int | None, name: str
) -> keras.Model:
    normalizer = keras.layers.Normalization(axis=-1, name="standardize")
    normalizer.adapt(x_train.astype("float32"))
    inputs = keras.Input(shape=(x_train.shape[1],), name="features")
    standardized = normalizer(inputs)
    hidden = standardized
    for index in range(params.layers):
        hidden = keras.layers.Dense(params.units, activation="relu", name=f"dense_{index}")(hidden)
        if params.dropout > 0:
            hidden = keras.layers.Dropout(
                params.dropout, seed=(params.seed if seed is None else seed) + index, name=f"dropout_{index}"
            )(hidden)
    scaled = keras.layers.Dense(1, name="scaled_hh")(hidden)
    if params.mlp.linear_skip:
        linear = keras.layers.Dense(1, name="linear_path")(standardized)
        scaled = keras.layers.Add(name="wide_and_deep")([scaled, linear])
    target_mean, target_std = float(np.mean(y_train)), float(np.std(y_train) or 1.0)
    outputs = keras.layers.Rescaling(scale=target_std, offset=target_mean, name="hh")(scaled)
    return keras.Model(inputs, outputs, name=name)


class EpochProgress(keras.callbacks.Callback):
    """One line every `every` epochs on stderr; Keras' own bars are off in pipelines."""

    def __init__(self, every: int = 50, label: str = "train") -> None:
        super().__init__()
        self.every, self.label = every, label

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if (epoch + 1) % self.every == 0 and logs:
            print(
                f"{self.label}: epoch {epoch + 1}: loss {logs.get('loss', float('nan')):.2f}, "
                f"val_loss {logs.get('val_loss', float('nan')):.2f}",
                file=sys.stderr,
                flush=True,
            )


def fit(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray | None,
    y_val: np.ndarray | None,
    params: TrainParams,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    progress: str | None = None,
    epochs: Sequence[int] | None = None,
) -> tuple[keras.Model, list[dict[str, list[float]]]]:
    """Fit `train.ensemble` networks (seeds `seed`, `seed + 1`, ...) and average them into one model.

    Without `epochs`, each member stops early on the held-out rows (`x_val`) and
    keeps its best epoch. With `epochs` (one count per member, as an early-stopped
    fit chose them) nothing is held out: member i trains exactly `epochs[i]`
    epochs. Averaging members that differ only in their initial weights and
    batch order removes most of the seed-to-seed spread of a single small
    network, so a change of params is judged on the params rather than on a
    lucky draw. `callbacks` watch the first member; with `progress`, every member
    prints a line every 50 epochs under that label. One history per member.
    """
    if epochs is None and (x_val is None or y_val is None):
        raise ValueError("a fit needs either held-out rows to stop early on or a fixed epoch count per member")
    if epochs is not None and len(epochs) != params.ensemble:
        raise ValueError(f"{len(epochs)} epoch counts for an ensemble of {params.ensemble}")
    if params.dropout == 0:
        members, histories = _fit_stacked(x_train, y_train, x_val, y_val, params, callbacks, progress, epochs)
    else:
        members, histories = [], []
        for index in range(params.ensemble):
            watchers = list(callbacks) if index == 0 else []
            if progress is not None:
                label = progress if params.ensemble == 1 else f"{progress}: member {index + 1}/{params.ensemble}"
                watchers.append(EpochProgress(label=label))
            member, history = _fit_member(
                x_train,
                y_train,
                x_val,
                y_val,
                params,
                params.seed + index,
                _member_name(index, params.ensemble),
                watchers,
                None if epochs is None else int(epochs[index]),
            )
            members.append(member)
            histories.append(history)
    if params.loss == "poisson":
        for member in members:
            balance(member, x_train, y_train)
    if len(members) == 1:
        return members[0], histories
    inputs = keras.Input(shape=(x_train.shape[1],), name="features")
    averaged = keras.layers.Average(name="ensemble_mean")([member(inputs) for member in members])
    return keras.Model(inputs, averaged, name="hh_forecast"), histories


def balance(member: keras.Model, x_train: np.ndarray, y_train: np.ndarray) -> None:
    """Wüthrich's balance property for a mean-fitting hybrid: shift the correction's bias by log(Σy / Σŷ),
    so that the member's forecasts over its training rows add up to the HH observed there."""
    layer = member.get_layer("correction")
    kernel, bias = layer.get_weights()
    predicted = float(np.sum(predict(member, x_train)))
    layer.set_weights([kernel, bias + np.float32(np.log(float(np.sum(y_train)) / predicted))])


def best_epochs(histories: Sequence[dict[str, list[float]]]) -> list[int]:
    """Each early-stopped member's best epoch (1-based): the epoch count its refit trains for."""
    return [int(np.nanargmin(history["val_loss"])) + 1 for history in histories]


def _member_name(index: int, ensemble: int) -> str:
    return "hh_forecast" if ensemble == 1 else f"member_{index + 1}"


def _glorot(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype("float32")


def _stacked_loss(name: str) -> Callable[[Any, Any], Any]:
    """Per-member mean loss over the batch axis (axis 1), as Keras' loss of that name computes it."""

    def loss(y: tf.Tensor, y_hat: tf.Tensor) -> tf.Tensor:
        error = y_hat - y
        if name == "mae":
            values = tf.abs(error)
        elif name == "mse":
            values = tf.square(error)
        elif name == "poisson":
            values = y_hat - y * tf.math.log(y_hat + keras.backend.epsilon())
        else:  # huber, delta 1
            absolute = tf.abs(error)
            values = tf.where(absolute <= 1.0, 0.5 * tf.square(error), absolute - 0.5)
        return tf.reduce_mean(values, axis=[1, 2])

    return loss


def _initial_weights(
    params: TrainParams, n_features: int, rngs: Sequence[np.random.Generator]
) -> dict[str, np.ndarray]:
    """Every member's starting weights, stacked on a leading member axis, each drawn from its own stream."""
    widths = [n_features] + [params.units] * params.layers
    initial: dict[str, list[np.ndarray]] = {}
    for rng in rngs:
        per_member = {}
        for layer in range(params.layers):
            per_member[f"dense_{layer}/kernel"] = _glorot(rng, widths[layer], widths[layer + 1])
            per_member[f"dense_{layer}/bias"] = np.zeros(widths[layer + 1], "float32")
        if params.architecture == HYBRID:
            # The correction starts at exactly zero: the untrained hybrid is its skip.
            per_member["correction/kernel"] = np.zeros((widths[-1], 1), "float32")
            per_member["correction/bias"] = np.zeros(1, "float32")
        else:
            per_member["scaled_hh/kernel"] = _glorot(rng, widths[-1], 1)
            per_member["scaled_hh/bias"] = np.zeros(1, "float32")
            if params.mlp.linear_skip:
                per_member["linear_path/kernel"] = _glorot(rng, n_features, 1)
                per_member["linear_path/bias"] = np.zeros(1, "float32")
        for key, value in per_member.items():
            initial.setdefault(key, []).append(value)
    return {key: np.stack(values) for key, values in initial.items()}


def _fit_stacked(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray | None,
    y_val: np.ndarray | None,
    params: TrainParams,
    callbacks: Sequence[keras.callbacks.Callback],
    progress: str | None,
    epochs: Sequence[int] | None = None,
) -> tuple[list[keras.Model], list[dict[str, list[float]]]]:
    """All `ensemble` networks trained side by side as stacked weight tensors, then copied into Keras members.

    Each member keeps its own seed (initial weights and batch order), its own Adam
    moments (Adam is elementwise, so stacking changes nothing) and its own stop:
    early stopping on the held-out rows, restoring its best epoch, or its fixed
    epoch count. One traced step updates every member, so an ensemble of five
    costs little more than one network.
    """
    ensemble, n_features = params.ensemble, x_train.shape[1]
    hybrid = params.architecture == HYBRID
    n_inputs = len(skip.input_columns(params.hybrid.correction_inputs)) if hybrid else n_features
    configure_determinism(params.seed)
    # Uncompiled: the members are trained below as stacked tensors, so they carry no optimizer of their own.
    members = [
        build(x_train, y_train, params, params.seed + index, _member_name(index, ensemble), compile=False)
        for index in range(ensemble)
    ]
    if hybrid:
        low, span = training_range(x_train)
        coefficients = skip.fit(x_train, y_train, params.hybrid.skip_terms)

        seen = skip.input_columns(params.hybrid.correction_inputs)

        def inputs_of(x: np.ndarray) -> np.ndarray:
            return np.clip((x.astype("float32") - low) / span, 0.0, 1.0)[:, seen]

        def skip_of(x: np.ndarray) -> np.ndarray:
            return skip.predict(x, params.hybrid.skip_terms, coefficients).astype("float32").reshape(-1, 1)

        scored = x_train if x_val is None else np.concatenate([x_train, x_val])
        if params.loss == "poisson" and (nonpositive := int(np.sum(skip_of(scored) <= 0))):
            raise ConfigError(
                f"train.loss poisson: the hybrid's skip forecasts no HH or less on {nonpositive} week(s) it is "
                f"trained or stopped on, where the Poisson deviance has no value; use loss mae or other "
                f"train.hybrid.skip_terms"
            )

    else:
        normalizer, rescale = members[0].get_layer("standardize"), members[0].get_layer("hh")
        mean = np.asarray(normalizer.mean, "float32").reshape(1, -1)
        spread = np.maximum(np.sqrt(np.asarray(normalizer.variance, "float32").reshape(1, -1)), keras.backend.epsilon())
        target_scale, target_offset = float(rescale.scale), float(rescale.offset)

        def inputs_of(x: np.ndarray) -> np.ndarray:
            return (x.astype("float32") - mean) / spread

        def skip_of(x: np.ndarray) -> np.ndarray:
            return np.zeros((len(x), 1), "float32")

    # One stream per member: its initial weights first, then its batch orders.
    rngs = [np.random.default_rng(params.seed + index) for index in range(ensemble)]
    initial = _initial_weights(params, n_inputs, rngs)
    weights = {key: tf.Variable(value, name=key.replace("/", "_")) for key, value in initial.items()}
    names = list(weights)
    variables = [weights[key] for key in names]
    optimizer = keras.optimizers.Adam(learning_rate=params.learning_rate)
    optimizer.build(variables)
    loss_fn = _stacked_loss(params.loss)

    def stacked(values: np.ndarray) -> tf.Tensor:
        return tf.constant(np.broadcast_to(values, (ensemble, *values.shape)).copy())

    x, y = tf.constant(inputs_of(x_train)), tf.constant(np.reshape(y_train, (-1, 1)).astype("float32"))
    base = tf.constant(skip_of(x_train))
    holdout = epochs is None
    if holdout:
        assert x_val is not None and y_val is not None
        xv, yv = stacked(inputs_of(x_val)), stacked(np.reshape(y_val, (-1, 1)).astype("float32"))
        base_v = stacked(skip_of(x_val))
    n_rows, batch_size = len(x_train), params.batch_size

    def forward(inputs: tf.Tensor, skip_values: tf.Tensor) -> tf.Tensor:
        hidden = inputs
        for layer in range(params.layers):
            hidden = tf.nn.relu(
                tf.einsum("ebi,eio->ebo", hidden, weights[f"dense_{layer}/kernel"])
                + weights[f"dense_{layer}/bias"][:, None, :]
            )
        if hybrid:
            correction = (
                tf.einsum("ebi,eio->ebo", hidden, weights["correction/kernel"]) + weights["correction/bias"][:, None, :]
            )
            return skip_values * tf.exp(correction)
        scaled = tf.einsum("ebi,eio->ebo", hidden, weights["scaled_hh/kernel"]) + weights["scaled_hh/bias"][:, None, :]
        if params.mlp.linear_skip:
            scaled += (
                tf.einsum("ebi,eio->ebo", inputs, weights["linear_path/kernel"])
                + weights["linear_path/bias"][:, None, :]
            )
        return scaled * target_scale + target_offset

    @tf.function
    def train_epoch(order: tf.Tensor) -> tf.Tensor:
        total = tf.zeros([ensemble])
        for start in tf.range(0, n_rows, batch_size):
            rows = order[:, start : start + batch_size]
            with tf.GradientTape() as tape:
                per_member = loss_fn(tf.gather(y, rows), forward(tf.gather(x, rows), tf.gather(base, rows)))
                loss = tf.reduce_sum(per_member)
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
            total += per_member * tf.cast(tf.shape(rows)[1], tf.float32)
        return total / n_rows

    @tf.function
    def validate() -> tf.Tensor:
        return loss_fn(yv, forward(xv, base_v))

    watchers = keras.callbacks.CallbackList(list(callbacks), model=members[0])
    histories: list[dict[str, list[float]]] = [{"loss": [], "val_loss": []} for _ in range(ensemble)]
    best = np.full(ensemble, np.inf)
    wait = np.zeros(ensemble, dtype=int)
    active = np.ones(ensemble, dtype=bool)
    stop_after = np.asarray(epochs if epochs is not None else [params.epochs] * ensemble, int)
    kept = {key: value.numpy().copy() for key, value in weights.items()}
    watchers.on_train_begin()
    for epoch in range(int(stop_after.max())):
        orders = np.stack([rng.permutation(n_rows) for rng in rngs])
        train_loss = train_epoch(tf.constant(orders, tf.int32)).numpy()
        val_loss = validate().numpy() if holdout else np.full(ensemble, np.nan)
        # Held out: keep each member's best epoch. Fixed counts: keep each member's state after its last epoch.
        keep = active & (val_loss < best) if holdout else active & (stop_after == epoch + 1)
        if keep.any():
            for key, value in weights.items():
                kept[key][keep] = value.numpy()[keep]
        for index in map(int, np.flatnonzero(active)):
            histories[index]["loss"].append(float(train_loss[index]))
            if holdout:
                histories[index]["val_loss"].append(float(val_loss[index]))
        if active[0]:
            logs = {"loss": float(train_loss[0])}
            if holdout:
                logs["val_loss"] = float(val_loss[0])
            watchers.on_epoch_end(epoch, logs)
        if progress is not None and (epoch + 1) % 50 == 0:
            for index in map(int, np.flatnonzero(active)):
                label = progress if ensemble == 1 else f"{progress}: member {index + 1}/{ensemble}"
                tail = f", val_loss {val_loss[index]:.2f}" if holdout else ""
                print(f"{label}: epoch {epoch + 1}: loss {train_loss[index]:.2f}{tail}", file=sys.stderr, flush=True)
        if holdout:
            best = np.where(keep, val_loss, best)
            wait = np.where(keep, 0, wait + active)
            active &= ~((wait >= params.patience) & (epoch > 0))
        else:
            active &= stop_after > epoch + 1
        if not active.any():
            break
    watchers.on_train_end()
    for index, member in enumerate(members):
        for key in names:
            layer_name, kind = key.split("/")
            layer = member.get_layer(layer_name)
            kernel, bias = layer.get_weights()
            if kind == "kernel":
                layer.set_weights([kept[key][index], bias])
            else:
                layer.set_weights([kernel, kept[key][index]])
    return members, histories


def _fit_member(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray | None,
    y_val: np.ndarray | None,
    params: TrainParams,
    seed: int,
    name: str,
    callbacks: Sequence[keras.callbacks.Callback],
    epochs: int | None = None,
) -> tuple[keras.Model, dict[str, list[float]]]:
    """One network, early-stopped on the held-out rows (best epoch's weights kept), or trained `epochs` epochs.

    A training loop of our own instead of `Model.fit`: with a few hundred weekly
    rows, `fit` spends ~100 ms per epoch building data iterators for a dozen tiny
    steps. Here one traced function runs a whole epoch (shuffled mini-batches,
    one optimizer step each) and another scores the held-out rows, over ten
    times faster per epoch. Keras callbacks (early stopping, dvclive, progress)
    get the same `logs` as under `fit`.
    """
    configure_determinism(seed)
    model = build(x_train, y_train, params, seed, name)
    loss_fn = model.loss
    x, y = tf.constant(x_train, tf.float32), tf.constant(np.reshape(y_train, (-1, 1)), tf.float32)
    holdout = epochs is None
    n_rows, batch_size = len(x_train), params.batch_size

    @tf.function
    def train_epoch(order: tf.Tensor) -> tf.Tensor:
        total = tf.constant(0.0)
        for start in tf.range(0, n_rows, batch_size):
            rows = order[start : start + batch_size]
            x_batch, y_batch = tf.gather(x, rows), tf.gather(y, rows)
            with tf.GradientTape() as tape:
                loss = loss_fn(y_batch, model(x_batch, training=True))
            gradients = tape.gradient(loss, model.trainable_variables)
            model.optimizer.apply_gradients(zip(gradients, model.trainable_variables))
            total += loss * tf.cast(tf.shape(rows)[0], tf.float32)
        return total / n_rows

    listeners_list = list(callbacks)
    if holdout:
        assert x_val is not None and y_val is not None
        xv, yv = tf.constant(x_val, tf.float32), tf.constant(np.reshape(y_val, (-1, 1)), tf.float32)

        @tf.function
        def validate() -> tf.Tensor:
            return loss_fn(yv, model(xv, training=False))

        listeners_list.insert(
            0, keras.callbacks.EarlyStopping(monitor="val_loss", patience=params.patience, restore_best_weights=True)
        )
    listeners = keras.callbacks.CallbackList(listeners_list, model=model)
    shuffle = np.random.default_rng(seed)
    history: dict[str, list[float]] = {"loss": [], "val_loss": []} if holdout else {"loss": []}
    model.stop_training = False
    listeners.on_train_begin()
    for epoch in range(params.epochs if holdout else int(epochs or 0)):
        listeners.on_epoch_begin(epoch)
        logs = {"loss": float(train_epoch(tf.constant(shuffle.permutation(n_rows), tf.int32)))}
        if holdout:
            logs["val_loss"] = float(validate())
        for key, value in logs.items():
            history[key].append(value)
        listeners.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    listeners.on_train_end()
    return model, history


def predict(model: keras.Model, x: np.ndarray) -> np.ndarray:
    """Call the model directly (no `predict` loop overhead); one float per row."""
    return np.asarray(model(x.astype("float32"), training=False)).reshape(-1).astype("float64")


def compiled(model: keras.Model, n_features: int) -> Callable[[Any], Any]:
    """The model as one traced graph: a call costs a fraction of a millisecond instead of eager dispatch per layer."""

    @tf.function(input_signature=[tf.TensorSpec([None, n_features], tf.float32)], reduce_retracing=True)
    @tf.autograph.experimental.do_not_convert
    def infer(features: Any) -> Any:
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
    """The scalings the model applies, readable without Keras: the MLP's standardization, or the hybrid's
    training range and skip coefficients."""
    # Members are adapted on the same rows, so the first one's scaling is every member's.
    member = model.get_layer("member_1") if any(layer.name == "member_1" for layer in model.layers) else model
    if any(layer.name == "skip" for layer in member.layers):
        unit = member.get_layer("to_training_range")
        return {
            "architecture": HYBRID,
            "training_min": [float(v) for v in np.asarray(unit.mean).reshape(-1)],
            "training_span": [float(v) for v in np.sqrt(np.asarray(unit.variance)).reshape(-1)],
            "skip_coefficients": [float(v) for v in member.get_layer("skip").get_weights()[0].reshape(-1)],
        }
    layer = member.get_layer("standardize")
    out = member.get_layer("hh")
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

"""The Keras model: normalization inside, deterministic fit, byte-stable save, safe load."""

import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from hhforecast.core import config
from hhforecast.forecasting import keras_model
from tests.helpers import REPO

TRAIN = config.TrainParams(
    layers=1,
    units=8,
    dropout=0.1,
    learning_rate=0.01,
    epochs=5,
    batch_size=16,
    patience=3,
    loss="mae",
    architecture="mlp",
    mlp=config.MlpParams(linear_skip=True),
    seed=7,
)
# Two members: the byte-stability test then covers the nested (averaged) model too.
PAIR = TRAIN.model_copy(update={"ensemble": 2})

FIT_AND_SAVE = """
import sys, numpy as np
from hhforecast.core import config
from hhforecast.forecasting import keras_model
rng = np.random.default_rng(1)
x = rng.uniform(0, 100, size=(120, 5)); y = x @ np.array([1.0, 2.0, 0.5, 0.1, 0.3]) + rng.normal(0, 1, 120)
params = config.TrainParams.model_validate_json(sys.argv[2])
fitted, _ = keras_model.fit(x[:90], y[:90], x[90:], y[90:], params)
keras_model.save(fitted, sys.argv[1])
"""


def fit_in_fresh_process(path) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # keras_model sets TensorFlow's environment itself
    subprocess.run(
        [sys.executable, "-c", FIT_AND_SAVE, str(path), PAIR.model_dump_json()],
        check=True,
        env=env,
        capture_output=True,
        timeout=300,
    )
    return path.read_bytes()


@pytest.mark.slow
def test_two_trainings_in_separate_processes_give_identical_model_bytes(tmp_path):
    first = fit_in_fresh_process(tmp_path / "a.keras")
    second = fit_in_fresh_process(tmp_path / "b.keras")
    assert first == second
    with zipfile.ZipFile(tmp_path / "a.keras") as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert b'"date_saved": "1980-01-01@00:00:00"' in archive.read("metadata.json")


def small_fit(params=TRAIN):
    rng = np.random.default_rng(2)
    x = rng.uniform(10, 20, size=(80, 5))
    y = x.sum(axis=1) * 3
    fitted, histories = keras_model.fit(x[:60], y[:60], x[60:], y[60:], params)
    return x, y, fitted, histories


@pytest.mark.parametrize("params", [TRAIN, PAIR], ids=["single", "ensemble"])
def test_saved_model_loads_safely_and_predicts_the_same(tmp_path, params):
    x, _, fitted, histories = small_fit(params)
    keras_model.save(fitted, tmp_path / "m.keras")
    loaded = keras_model.load(tmp_path / "m.keras")
    np.testing.assert_allclose(keras_model.predict(loaded, x), keras_model.predict(fitted, x), rtol=1e-6)
    assert len(histories) == params.ensemble
    assert all(1 <= len(history["loss"]) <= params.epochs for history in histories)


def test_ensemble_predicts_the_mean_of_its_members_which_differ():
    x, _, fitted, _ = small_fit(PAIR)
    first, second = (keras_model.predict(fitted.get_layer(f"member_{i}"), x) for i in (1, 2))
    assert np.abs(first - second).max() > 1e-3
    np.testing.assert_allclose(keras_model.predict(fitted, x), (first + second) / 2, rtol=1e-5)


def test_early_stopping_keeps_the_best_validation_epoch():
    params = TRAIN.model_copy(update={"epochs": 60, "patience": 4, "dropout": 0.0, "learning_rate": 0.05})
    x, y, fitted, (history,) = small_fit(params)
    best = int(np.argmin(history["val_loss"]))
    assert len(history["val_loss"]) in (best + 1 + params.patience, params.epochs)
    kept = np.abs(keras_model.predict(fitted, x[60:]) - y[60:]).mean()
    assert kept == pytest.approx(history["val_loss"][best], rel=1e-4)


@pytest.mark.parametrize("params", [TRAIN, PAIR], ids=["single", "ensemble"])
def test_normalization_is_adapted_on_training_rows_only(params):
    x, y, fitted, _ = small_fit(params)
    scaler = keras_model.scaler(fitted)
    np.testing.assert_allclose(scaler["mean"], x[:60].mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(scaler["variance"], x[:60].var(axis=0), rtol=1e-4)
    assert scaler["target_mean"] == pytest.approx(y[:60].mean(), rel=1e-6)


def test_shared_object_ids_are_renumbered_in_order():
    text = '{"a": {"shared_object_id": 140234}, "b": {"shared_object_id": 99}, "c": {"shared_object_id": 140234}}'
    assert keras_model._renumber_shared_ids(text) == (
        '{"a": {"shared_object_id": 0}, "b": {"shared_object_id": 1}, "c": {"shared_object_id": 0}}'
    )

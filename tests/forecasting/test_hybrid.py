"""The hybrid network, HH = skip(x) · exp(c(x̃)): its skip, its training range, the balance property, fixed-epoch
fits and safe saving; the settings that go with it; and the network forecaster's weeks (epochs chosen inside
train, ranges calibrated on val, refit on both)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from hhforecast.core import config
from hhforecast.core.errors import ConfigError
from hhforecast.dataprep.weekly_dataset import FEATURES, xy
from hhforecast.forecasting import forecasters, intervals, keras_model, skip
from tests.helpers import small_weekly_dataset

HYBRID = config.TrainParams(
    architecture="hybrid",
    layers=1,
    units=8,
    dropout=0.0,
    learning_rate=0.01,
    epochs=30,
    batch_size=16,
    patience=5,
    loss="mae",
    early_stopping_weeks=8,
    seed=3,
)
TERMS = HYBRID.hybrid.skip_terms  # the default: sum_daily_hours, sum_daily_hours*age_fleet
POISSON = HYBRID.model_copy(update={"loss": "poisson"})
PAIR = HYBRID.model_copy(update={"ensemble": 2})
N_TRAIN = 48  # of 60 weeks: the last 12 are held out


def weeks(n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    return xy(small_weekly_dataset(n))


def skip_of(x: np.ndarray, x_train: np.ndarray, y_train: np.ndarray) -> np.ndarray:
    """The skip alone, fitted by least squares on the training rows, as the hybrid fits it."""
    return skip.predict(x, TERMS, skip.fit(x_train, y_train, TERMS))


@pytest.fixture(scope="module")
def fitted() -> tuple[np.ndarray, np.ndarray, object]:
    """A hybrid early-stopped on the last 12 of 60 weeks."""
    x, y = weeks()
    model, _ = keras_model.fit(x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:], HYBRID)
    return x, y, model


@pytest.fixture(scope="module")
def pair() -> tuple[np.ndarray, np.ndarray, object, list]:
    """Two hybrids side by side, trained 3 and 6 epochs on 48 weeks, nothing held out."""
    x, y = weeks()
    model, histories = keras_model.fit(x[:N_TRAIN], y[:N_TRAIN], None, None, PAIR, epochs=[3, 6])
    return x, y, model, histories


# --- the skip ----------------------------------------------------------------------


def test_every_skip_factor_the_config_accepts_is_a_dataset_feature():
    """config cannot import the dataset's feature list (core sits below dataprep), so it keeps its own."""
    assert set(config.SKIP_FACTORS) <= set(FEATURES)


def test_the_untrained_hybrid_is_exactly_its_skip_inside_and_beyond_the_training_range():
    x, y = weeks()
    model = keras_model.build(x[:N_TRAIN], y[:N_TRAIN], HYBRID)
    beyond = x * 3.0
    for rows in (x, beyond):
        np.testing.assert_allclose(keras_model.predict(model, rows), skip_of(rows, x[:N_TRAIN], y[:N_TRAIN]), rtol=1e-5)


@pytest.mark.parametrize(
    "terms, truth, coefficients",
    [
        (  # the default: a defect rate per flight hour that grows with fleet age
            ["sum_daily_hours", "sum_daily_hours*age_fleet"],
            lambda f: f["sum_daily_hours"] * (2.0 + 0.5 * f["age_fleet"]),
            [2.0, 0.5],
        ),
        (["acft", "Cycles"], lambda f: 3.0 * f["acft"] + 0.1 * f["Cycles"], [3.0, 0.1]),
        (["Cycles*acft"], lambda f: 0.004 * f["Cycles"] * f["acft"], [0.004]),
    ],
    ids=["rate-by-age", "two-linear-terms", "one-product"],
)
def test_the_skip_recovers_a_known_rate_on_noise_free_weeks(terms, truth, coefficients):
    frame = small_weekly_dataset(60)
    x, y = frame[FEATURES].to_numpy(float), truth(frame).to_numpy(float)
    np.testing.assert_allclose(skip.fit(x, y, terms), coefficients, rtol=1e-8)
    params = HYBRID.model_copy(update={"hybrid": config.HybridParams(skip_terms=terms)})
    model = keras_model.build(x, y, params)
    np.testing.assert_allclose(keras_model.scaler(model)["skip_coefficients"], coefficients, rtol=1e-6)
    np.testing.assert_allclose(keras_model.predict(model, x), y, rtol=1e-5)


# --- the training range ------------------------------------------------------------


@pytest.mark.parametrize("side", ["above", "below"])
@pytest.mark.parametrize(
    "moved", [["age_fleet"], ["sum_daily_hours"], ["Cycles"], FEATURES], ids=["age", "hours", "cycles", "all"]
)
def test_beyond_the_training_range_only_the_skip_moves_the_forecast(fitted, moved, side):
    """x_far: features moved twice their training span above the maximum (or half of it below the minimum);
    x_edge: the same weeks clipped to the training range. The correction exp(c) = forecast / skip is the same at
    both: it stays at its edge value."""
    x, y, model = fitted
    x_train, y_train = x[:N_TRAIN], y[:N_TRAIN]
    low, high = x_train.min(axis=0), x_train.max(axis=0)
    columns = [FEATURES.index(name) for name in moved]
    x_far = x_train.copy()
    x_far[:, columns] = (high + 2 * (high - low))[columns] if side == "above" else (low - (high - low) / 2)[columns]
    x_edge = np.clip(x_far, low, high)

    def correction(rows: np.ndarray) -> np.ndarray:
        return keras_model.predict(model, rows) / skip_of(rows, x_train, y_train)

    np.testing.assert_allclose(correction(x_far), correction(x_edge), rtol=1e-5)
    # The trained correction is not flat inside the range (else the check above would be empty) ...
    assert np.ptp(correction(x_train)) > 0.01
    # ... and the forecast beyond the range moves exactly when a skip factor moved.
    moved_skip = any(factor in moved for term in TERMS for factor in term.split("*"))
    far, edge = keras_model.predict(model, x_far), keras_model.predict(model, x_edge)
    assert (np.abs(far - edge).max() > 1.0) == moved_skip


# --- the balance property ----------------------------------------------------------


def test_balance_scales_the_forecast_so_that_it_adds_up_to_the_observed_hh():
    """An untrained hybrid is its skip; balancing it on 1.5 × the skip's own forecast multiplies every forecast
    by 1.5 (a shift of log 1.5 in the correction's bias)."""
    x, y = weeks()
    model = keras_model.build(x, y, HYBRID)
    before = keras_model.predict(model, x)
    keras_model.balance(model, x, 1.5 * before)
    np.testing.assert_allclose(keras_model.predict(model, x), 1.5 * before, rtol=1e-5)
    assert model.get_layer("correction").get_weights()[1][0] == pytest.approx(np.log(1.5), rel=1e-5)


@pytest.mark.parametrize("ensemble", [1, 2])
def test_a_poisson_hybrid_forecasts_the_observed_mean_over_its_training_weeks(ensemble):
    x, y = weeks()
    params = POISSON.model_copy(update={"ensemble": ensemble})
    model, _ = keras_model.fit(x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:], params)
    assert np.mean(keras_model.predict(model, x[:N_TRAIN])) == pytest.approx(np.mean(y[:N_TRAIN]), rel=1e-4)


# --- fixed-epoch fits --------------------------------------------------------------


def test_a_fixed_epoch_fit_trains_each_member_exactly_its_count(pair):
    _, _, _, histories = pair
    assert [len(h["loss"]) for h in histories] == [3, 6]
    assert all(h["val_loss"] == [] for h in histories)  # nothing held out, nothing scored


@pytest.mark.parametrize("member, seed, count", [(1, HYBRID.seed, 3), (2, HYBRID.seed + 1, 6)])
def test_each_stacked_member_is_the_lone_network_of_its_seed_and_count(pair, member, seed, count):
    x, y, model, _ = pair
    alone, (history,) = keras_model.fit(
        x[:N_TRAIN], y[:N_TRAIN], None, None, HYBRID.model_copy(update={"seed": seed}), epochs=[count]
    )
    assert len(history["loss"]) == count
    np.testing.assert_allclose(
        keras_model.predict(model.get_layer(f"member_{member}"), x), keras_model.predict(alone, x), rtol=1e-5
    )


@pytest.mark.parametrize("params", [PAIR, PAIR.model_copy(update={"architecture": "mlp"})], ids=["hybrid", "mlp"])
def test_a_fixed_epoch_fit_for_the_best_epochs_is_the_early_stopped_fit(params):
    """Same rows, same seeds: training each member for its best epoch count gives exactly the weights early
    stopping kept, so the refits' epoch counts mean what the early-stopped fit meant by them."""
    x, y = weeks()
    stopped, histories = keras_model.fit(x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:], params)
    best = keras_model.best_epochs(histories)
    counted, _ = keras_model.fit(x[:N_TRAIN], y[:N_TRAIN], None, None, params, epochs=best)
    np.testing.assert_array_equal(keras_model.predict(counted, x), keras_model.predict(stopped, x))
    # The run was long enough for early stopping to keep an epoch before the last.
    assert any(b < len(h["loss"]) for b, h in zip(best, histories))


@pytest.mark.parametrize(
    "params, held_out, epochs, message",
    [
        (HYBRID, False, None, "a fit needs either held-out rows to stop early on or a fixed epoch count per member"),
        (HYBRID, True, [3, 4], "2 epoch counts for an ensemble of 1"),
        (PAIR, False, [5], "1 epoch counts for an ensemble of 2"),
    ],
    ids=["nothing-held-out-no-epochs", "two-counts-one-member", "one-count-two-members"],
)
def test_a_fit_without_a_way_to_stop_is_refused(params, held_out, epochs, message):
    x, y = weeks()
    x_val, y_val = (x[N_TRAIN:], y[N_TRAIN:]) if held_out else (None, None)
    with pytest.raises(ValueError, match=message):
        keras_model.fit(x[:N_TRAIN], y[:N_TRAIN], x_val, y_val, params, epochs=epochs)


# --- saving and the scaler ---------------------------------------------------------


@pytest.mark.parametrize("which", ["single", "ensemble"])
def test_the_hybrid_saves_loads_in_safe_mode_and_predicts_the_same(tmp_path, fitted, pair, which):
    x, _, model = fitted if which == "single" else pair[:3]
    keras_model.save(model, tmp_path / "hybrid.keras")
    loaded = keras_model.load(tmp_path / "hybrid.keras")
    np.testing.assert_allclose(keras_model.predict(loaded, x * 2), keras_model.predict(model, x * 2), rtol=1e-6)
    assert keras_model.scaler(loaded) == keras_model.scaler(model)


@pytest.mark.parametrize("which", ["single", "ensemble"])
def test_the_scaler_of_a_hybrid_is_its_training_range_and_skip(fitted, pair, which):
    x, y, model = fitted if which == "single" else pair[:3]
    scaler = keras_model.scaler(model)
    assert scaler["architecture"] == "hybrid"
    assert set(scaler) == {"architecture", "training_min", "training_span", "skip_coefficients"}
    x_train = x[:N_TRAIN]
    np.testing.assert_allclose(scaler["training_min"], x_train.min(axis=0), rtol=1e-6)
    np.testing.assert_allclose(scaler["training_span"], np.ptp(x_train, axis=0), rtol=1e-5)
    np.testing.assert_allclose(scaler["skip_coefficients"], skip.fit(x_train, y[:N_TRAIN], TERMS), rtol=1e-6)


# --- the settings ------------------------------------------------------------------

SETTINGS = HYBRID.model_dump(exclude={"hybrid", "mlp"})


@pytest.mark.parametrize(
    "update, message",
    [
        ({"loss": "poisson", "architecture": "mlp"}, "loss poisson needs architecture hybrid"),
        ({"dropout": 0.1, "architecture": "hybrid"}, "dropout is an mlp setting"),
        ({"hybrid": {"skip_terms": ["sum_daily_hours*wingspan"]}}, r"skip term 'sum_daily_hours\*wingspan'"),
        ({"hybrid": {"skip_terms": ["sum_uti_mensal"]}}, "skip term 'sum_uti_mensal': a term is one or two of"),
        ({"hybrid": {"skip_terms": ["acft*age_fleet*Cycles"]}}, r"skip term 'acft\*age_fleet\*Cycles'"),
        ({"hybrid": {"skip_terms": []}}, "at least 1 item"),
    ],
    ids=["poisson-mlp", "dropout-hybrid", "unknown-factor", "feature-not-a-factor", "three-factors", "no-terms"],
)
def test_settings_that_do_not_fit_the_architecture_are_refused(update, message):
    with pytest.raises(ValidationError, match=message):
        config.TrainParams.model_validate({**SETTINGS, **update})


@pytest.mark.parametrize(
    "update",
    [
        {"loss": "poisson", "architecture": "hybrid"},
        {"dropout": 0.1, "architecture": "mlp"},
        {"hybrid": {"skip_terms": ["Cycles*acft", "age_fleet"]}},
    ],
    ids=["poisson-hybrid", "dropout-mlp", "known-factors"],
)
def test_settings_that_fit_the_architecture_are_accepted(update):
    config.TrainParams.model_validate({**SETTINGS, **update})


# --- the network forecaster: which weeks do what ------------------------------------

LEVELS = [0.8, 0.95]
NETWORK = HYBRID.model_copy(update={"epochs": 20, "patience": 3})


def windows() -> tuple[pd.DataFrame, pd.DataFrame]:
    """64 training weeks (at least early_stopping_weeks 8 + 52) and 16 validation weeks."""
    data = small_weekly_dataset(80)
    return data.iloc[:64].reset_index(drop=True), data.iloc[64:].reset_index(drop=True)


@pytest.fixture(scope="module")
def network() -> forecasters.Network:
    return forecasters.Network(NETWORK, LEVELS).fit(*windows())


def test_the_epoch_count_is_chosen_on_the_last_weeks_of_train(network):
    train, _ = windows()
    inner, stop = train.iloc[:-8], train.iloc[-8:]
    _, histories = keras_model.fit(*xy(inner), *xy(stop), NETWORK)
    assert network.histories == histories


def test_the_final_network_is_a_fixed_epoch_fit_on_train_and_val(network):
    train, val = windows()
    x_known, y_known = xy(pd.concat([train, val], ignore_index=True))
    reference, (history,) = keras_model.fit(x_known, y_known, None, None, NETWORK, epochs=network.epochs)
    assert len(history["loss"]) == network.epochs[0]
    expected = keras_model.predict(reference, x_known)
    np.testing.assert_allclose(keras_model.predict(network.model, x_known), expected, rtol=1e-6)
    refit = network.refit(pd.concat([train, val], ignore_index=True))
    np.testing.assert_allclose(keras_model.predict(refit.model, x_known), expected, rtol=1e-6)


def test_fit_without_its_final_fit_leaves_the_model_to_a_refit():
    """The train stage refits production on every known week itself, so it skips the train + val fit."""
    train, val = windows()
    partial = forecasters.Network(NETWORK, LEVELS).fit(train, val, final_fit=False)
    assert partial.model is None and partial.epochs and partial.calibration is not None


def test_the_ranges_are_calibrated_on_val_by_a_fit_on_train_alone(network):
    train, val = windows()
    x_val, y_val = xy(val)
    on_train, _ = keras_model.fit(*xy(train), None, None, NETWORK, epochs=network.epochs)
    predicted = intervals.clip_hh(keras_model.predict(on_train, x_val))
    held_out = network.held_out
    assert held_out is not None and len(held_out) == len(val)
    assert list(held_out.columns) == ["date", "predicted", "abs_error"]
    assert (pd.to_datetime(held_out["date"]) == val["date"]).all()
    np.testing.assert_allclose(held_out["predicted"], predicted, rtol=1e-6)
    np.testing.assert_allclose(held_out["abs_error"], np.abs(y_val - held_out["predicted"]), rtol=1e-12)
    for shape in intervals.SHAPES:
        assert network.calibrations[shape] == intervals.calibrate(y_val, held_out["predicted"], LEVELS, shape)
    assert network.calibration == network.calibrations[NETWORK.range_shape]


@pytest.mark.parametrize("stop_weeks, train_weeks", [(8, 59), (26, 77), (4, 20)])
def test_a_training_window_too_short_for_its_stopping_weeks_is_refused(stop_weeks, train_weeks):
    data = small_weekly_dataset(train_weeks + 10)
    params = NETWORK.model_copy(update={"early_stopping_weeks": stop_weeks})
    with pytest.raises(
        ConfigError,
        match=rf"train\.early_stopping_weeks={stop_weeks}: the training window has {train_weeks} weeks, "
        "which leaves fewer than 52",
    ):
        forecasters.Network(params, LEVELS).fit(data.iloc[:train_weeks], data.iloc[train_weeks:])

"""Rolling-origin backtest: refit at several origins and score the weeks that follow each."""
from __future__ import annotations

import multiprocessing as mp
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hhforecast import baselines, intervals, model
from hhforecast.config import TrainParams
from hhforecast.errors import ConfigError
from hhforecast.evaluate import point_metrics
from hhforecast.features import xy


@dataclass(frozen=True)
class Fold:
    number: int
    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame


def make_folds(known: pd.DataFrame, n_folds: int, step_weeks: int, val_weeks: int) -> list[Fold]:
    """Folds whose test windows tile the last n_folds × step weeks of `known`, oldest first.

    `known` is everything before the test window, so the backtest can guide model
    choices without touching the weeks the final test scores. Each fold trains on
    everything before its validation window, which sits just before its own test
    weeks: the same layout as the main split, at earlier origins.
    """
    folds = []
    for number in range(1, n_folds + 1):
        test_end = len(known) - (n_folds - number) * step_weeks
        test_start = test_end - step_weeks
        val_start = test_start - val_weeks
        if val_start < 52:
            raise ConfigError(f"evaluate.backtest_folds: fold {number} would train on {val_start} weeks (fewer than 52); "
                              f"fewer folds or a shorter evaluate.backtest_step_weeks")
        folds.append(Fold(number, known.iloc[:val_start], known.iloc[val_start:test_start], known.iloc[test_start:test_end]))
    return folds


def run_fold(fold: Fold, history: pd.DataFrame, train_params: TrainParams, levels: list[float],
             gbm_seed: int) -> dict[str, object]:
    """Refit at one origin; the model's MAE and interval coverage, and each baseline's MAE."""
    x_train, y_train = xy(fold.train)
    x_val, y_val = xy(fold.val)
    x_test, y_test = xy(fold.test)
    fitted, _ = model.fit(x_train, y_train, x_val, y_val, train_params)
    widths = intervals.conformal_widths(y_val, model.predict(fitted, x_val), levels)
    predicted = model.predict(fitted, x_test)
    row: dict[str, object] = {
        "fold": fold.number,
        "test_start": fold.test["date"].iloc[0].strftime("%Y-%m-%d"),
        "test_end": fold.test["date"].iloc[-1].strftime("%Y-%m-%d"),
        "n_weeks": len(fold.test),
        "mae": point_metrics(y_test, predicted)["mae"],
    }
    for key, width in widths.items():
        row[f"coverage_{key}"] = intervals.coverage(y_test, *intervals.bounds(predicted, width))
    for name, values in baselines.predict_all(baselines.fit_all(fold.train, gbm_seed), history, fold.test).items():
        row[f"mae_{name}"] = point_metrics(y_test, values)["mae"]
    print(f"backtest: fold {fold.number} ({row['test_start']}..{row['test_end']}): MAE {row['mae']:.1f}",
          file=sys.stderr, flush=True)
    return row


def run(
    folds: list[Fold], history: pd.DataFrame, train_params: TrainParams, levels: list[float], gbm_seed: int,
    workers: int = 1,
) -> pd.DataFrame:
    """One row per fold. Folds are independent, so `workers` processes fit them side by side;
    each fit is seeded and deterministic, so the result does not depend on `workers`."""
    args = [(fold, history, train_params, levels, gbm_seed) for fold in folds]
    if workers <= 1 or len(folds) <= 1:
        return pd.DataFrame([run_fold(*a) for a in args])
    # spawn, not fork: TensorFlow's runtime is not fork-safe once imported.
    with ProcessPoolExecutor(max_workers=min(workers, len(folds)), mp_context=mp.get_context("spawn")) as pool:
        rows = list(pool.map(run_fold, *zip(*args)))
    return pd.DataFrame(rows)


def summary(folds: pd.DataFrame) -> dict[str, float]:
    return {
        "folds": int(len(folds)),
        "mae_mean": float(folds["mae"].mean()),
        "mae_std": float(folds["mae"].std(ddof=0)),
        "coverage_80_mean": float(folds["coverage_80"].mean()) if "coverage_80" in folds else float(np.nan),
    }

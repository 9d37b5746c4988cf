"""Rolling-origin backtest over the whole history before the test window, every model on the same weeks.

The training window expands: the first origin has `min_train_weeks` of training
data plus the validation window, and each later origin adds one 13-week fold.
Folds tile the weeks before the test window back from its start, so the 2020
collapse and recovery are scored. Every model is refitted at every origin; the
per-week errors are kept, so any two models can be compared week by week.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import joblib
import numpy as np
import pandas as pd

from hhforecast.core.config import TrainParams
from hhforecast.core.errors import ConfigError
from hhforecast.dataprep.weekly_dataset import TARGET
from hhforecast.forecasting import forecasters, intervals


@dataclass(frozen=True)
class Fold:
    number: int
    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame


def make_folds(known: pd.DataFrame, step_weeks: int, val_weeks: int, min_train_weeks: int) -> list[Fold]:
    """As many `step_weeks` folds as fit after `min_train_weeks` + `val_weeks`, ending where `known` ends.

    `known` is everything before the test window, so the backtest can guide model
    choices without touching the weeks the final test scores.
    """
    n_folds = (len(known) - min_train_weeks - val_weeks) // step_weeks
    if n_folds < 1:
        raise ConfigError(
            f"backtest: {len(known)} weeks before the test window leave no {step_weeks}-week fold after "
            f"{min_train_weeks} training and {val_weeks} validation weeks; lower evaluate.backtest_min_train_weeks"
        )
    folds = []
    for number in range(1, n_folds + 1):
        test_end = len(known) - (n_folds - number) * step_weeks
        test_start = test_end - step_weeks
        val_start = test_start - val_weeks
        folds.append(
            Fold(number, known.iloc[:val_start], known.iloc[val_start:test_start], known.iloc[test_start:test_end])
        )
    return folds


def run_fold(
    fold: Fold, history: pd.DataFrame, train_params: TrainParams, levels: list[float], gbm_seed: int
) -> pd.DataFrame:
    """Refit every model at one origin: one row per test week with each model's forecast and the network's ranges."""
    weeks = pd.DataFrame(
        {
            "fold": fold.number,
            "date": fold.test["date"].dt.strftime("%Y-%m-%d").to_numpy(),
            "actual": fold.test[TARGET].to_numpy(float),
        }
    )
    for forecaster in forecasters.build_all(train_params, levels, gbm_seed):
        forecaster.fit(fold.train, fold.val)
        predicted = forecaster.predict(fold.test, history)
        weeks[forecaster.name] = predicted
        if isinstance(forecaster, forecasters.Network) and (calibration := forecaster.calibration) is not None:
            for key in calibration.keys():
                weeks[f"lower_{key}"], weeks[f"upper_{key}"] = calibration.bounds(predicted, key)
    mae = float(np.mean(np.abs(weeks["actual"] - weeks[forecasters.NETWORK])))
    print(
        f"backtest: fold {fold.number} ({weeks['date'].iloc[0]}..{weeks['date'].iloc[-1]}): network MAE {mae:.1f}",
        file=sys.stderr,
        flush=True,
    )
    return weeks


def run(
    folds: list[Fold],
    history: pd.DataFrame,
    train_params: TrainParams,
    levels: list[float],
    gbm_seed: int,
    workers: int = 1,
) -> pd.DataFrame:
    """Per-week forecasts of every fold, oldest first. Folds are independent and each fit is seeded, so
    `workers` processes fit them side by side and the result does not depend on `workers`."""
    jobs = (joblib.delayed(run_fold)(fold, history, train_params, levels, gbm_seed) for fold in folds)
    tables = joblib.Parallel(n_jobs=max(1, min(workers, len(folds))), backend="loky")(jobs)
    return pd.concat(tables, ignore_index=True)


def model_names(weeks: pd.DataFrame) -> list[str]:
    return [name for name in (forecasters.NETWORK, *forecasters.BASELINES) if name in weeks]


def per_fold(weeks: pd.DataFrame) -> pd.DataFrame:
    """One row per fold: its window, the network's MAE and coverage, every baseline's MAE."""
    rows = []
    for fold, table in weeks.groupby("fold", sort=True):
        y = table["actual"].to_numpy(float)
        row: dict[str, object] = {
            "fold": int(str(fold)),
            "test_start": table["date"].iloc[0],
            "test_end": table["date"].iloc[-1],
            "n_weeks": len(table),
            "mae": float(np.mean(np.abs(y - table[forecasters.NETWORK]))),
        }
        for key, (lower, upper) in intervals.ranges(table).items():
            row[f"coverage_{key}"] = intervals.coverage(y, lower, upper)
        for name in model_names(table)[1:]:
            row[f"mae_{name}"] = float(np.mean(np.abs(y - table[name])))
        rows.append(row)
    return pd.DataFrame(rows)

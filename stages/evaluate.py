"""Score the network on the test window against every baseline and the oracle; run the long backtest."""

from __future__ import annotations

import joblib
import pandas as pd

from hhforecast.core import config, io, paths
from hhforecast.core.stage import run, say
from hhforecast.dataprep import weekly_dataset
from hhforecast.evaluation import backtest, evaluate
from hhforecast.forecasting import forecasters


def main() -> None:
    params = config.load()
    dataset = weekly_dataset.read_dataset(paths.WEEKLY_DATASET)
    split = weekly_dataset.temporal_split(
        dataset, params.split.train_end, params.split.val_weeks, params.split.test_weeks
    )
    test = split["test"]
    y = evaluate.target(test)
    # Every model learns from the same weeks (train + validation); the network as the train stage fits it
    # before its production refit, so the weeks scored here are ones it never saw.
    say("evaluate", f"fitting the network ({params.train.architecture}) and every baseline on the same weeks")
    network = forecasters.Network(params.train, params.evaluate.intervals).fit(
        split["train"], split["val"], progress="evaluate: network"
    )
    predictions = {forecasters.NETWORK: network.predict(test, dataset)}
    assert network.calibration is not None
    network_bounds = {
        key: network.calibration.bounds(predictions[forecasters.NETWORK], key) for key in network.calibration.keys()
    }
    fitted = [
        forecaster.fit(split["train"], split["val"]) for forecaster in forecasters.baselines(params.evaluate.gbm_seed)
    ]
    for forecaster in fitted:
        predictions[forecaster.name] = forecaster.predict(test, dataset)
    truth = evaluate.read_truth(params.data.truth_dir, test["date"])
    results = evaluate.score_test_window(y, predictions, network_bounds, truth)

    known = pd.concat([split["train"], split["val"]], ignore_index=True)
    folds = backtest.make_folds(
        known, params.evaluate.backtest_step_weeks, params.split.val_weeks, params.evaluate.backtest_min_train_weeks
    )
    say(
        "evaluate",
        f"backtest: {len(folds)} folds of {params.evaluate.backtest_step_weeks} weeks, "
        f"{params.evaluate.backtest_workers} worker(s)",
    )
    weeks = backtest.run(
        folds,
        dataset,
        params.train,
        params.evaluate.intervals,
        params.evaluate.gbm_seed,
        workers=params.evaluate.backtest_workers,
    )
    per_fold = backtest.per_fold(weeks)
    results["backtest"] = evaluate.score_backtest(weeks, per_fold)

    paths.BASELINES.mkdir(parents=True, exist_ok=True)
    for forecaster in fitted:
        with io.atomic_path(paths.BASELINES / f"{forecaster.name}.joblib") as tmp:
            joblib.dump(forecaster, tmp)
    io.write_csv_atomic(
        evaluate.test_frame(test["date"], y, predictions, network_bounds, truth), paths.TEST_PREDICTIONS
    )
    io.write_csv_atomic(per_fold, paths.BACKTEST)
    io.write_csv_atomic(weeks, paths.BACKTEST_WEEKS)
    io.write_json_atomic(io.rounded(results), paths.EVAL)
    ratio = results.get("expected_mae_ratio", {}).get(forecasters.NETWORK)
    say(
        "evaluate",
        f"test MAE {results['test']['mae']:.2f}"
        + (f"; expected MAE ratio to the median oracle {ratio:.3f}" if ratio is not None else "")
        + f"; backtest MAE {results['backtest']['mae'][forecasters.NETWORK]:.2f} over {results['backtest']['weeks']} weeks",
    )


if __name__ == "__main__":
    run(main, "evaluate")

"""Score the model on the test window against baselines and the oracle; backtest; write eval.json and plots."""
from __future__ import annotations

from pathlib import Path

import joblib
import pandas as pd

from hhforecast import backtest, baselines, bundle, config, evaluate, features, intervals, io, paths
from hhforecast.stage import run, say


def oracle(truth_dir: str, weeks: pd.Series) -> pd.Series | None:
    """The synthetic truth's expected HH for the scored weeks; None for real data."""
    path = Path(truth_dir) / "weekly_truth.csv" if truth_dir else None
    if path is None or not path.exists():
        return None
    truth = pd.read_csv(path, parse_dates=["date"]).set_index("date")["HH_expected"]
    return truth.reindex(pd.to_datetime(weeks))


def main() -> None:
    params = config.load()
    dataset = features.read_dataset(paths.WEEKLY_DATASET)
    split = features.temporal_split(dataset, params.split.train_end, params.split.val_weeks, params.split.test_weeks)
    test = split["test"]
    x_test, y_test = features.xy(test)
    # Scored through the bundle loader: the test window sees exactly what predict and serve would return.
    served = bundle.load_workspace()
    forecast = served.predict_array(x_test)
    predicted = forecast.pop("predicted_hh")

    scores = evaluate.point_metrics(y_test, predicted)
    predictions = pd.DataFrame({"date": test["date"].dt.strftime("%Y-%m-%d"), "actual": y_test, "predicted": predicted,
                                **forecast})
    for key in served.widths:
        scores[f"coverage_{key}"] = intervals.coverage(y_test, forecast[f"lower_{key}"], forecast[f"upper_{key}"])
    scores["n_weeks"] = len(test)

    fitted_baselines = baselines.fit_all(split["train"], params.evaluate.gbm_seed)
    baseline_scores = {}
    for name, values in baselines.predict_all(fitted_baselines, dataset, test).items():
        predictions[name] = values
        metrics = evaluate.point_metrics(y_test, values)
        baseline_scores[name] = {k: metrics[k] for k in ("mae", "rmse", "mape")}
    best_baseline = min(baseline_scores.values(), key=lambda m: m["mae"])["mae"]

    results = {
        "test": scores,
        "baselines": baseline_scores,
        "skill_vs_best_baseline": evaluate.skill(scores["mae"], best_baseline),
    }
    expected = oracle(params.data.truth_dir, test["date"])
    if expected is not None:
        predictions["oracle"] = expected.to_numpy()
        oracle_metrics = evaluate.point_metrics(y_test, expected.to_numpy())
        results["oracle"] = {k: oracle_metrics[k] for k in ("mae", "rmse")}
        results["mae_ratio_to_oracle"] = scores["mae"] / oracle_metrics["mae"]

    known = pd.concat([split["train"], split["val"]], ignore_index=True)
    folds = backtest.make_folds(known, params.evaluate.backtest_folds, params.evaluate.backtest_step_weeks,
                                params.split.val_weeks)
    per_fold = backtest.run(folds, dataset, params.train, params.evaluate.intervals, params.evaluate.gbm_seed,
                            workers=params.evaluate.backtest_workers)
    results["backtest"] = backtest.summary(per_fold)

    paths.BASELINES.mkdir(parents=True, exist_ok=True)
    for name, estimator in fitted_baselines.items():
        with io.atomic_path(paths.BASELINES / f"{name}.joblib") as tmp:
            joblib.dump(estimator, tmp)
    predictions["residual"] = predictions["actual"] - predictions["predicted"]
    io.write_csv_atomic(predictions, paths.TEST_PREDICTIONS)
    io.write_csv_atomic(per_fold, paths.BACKTEST)
    io.write_json_atomic(evaluate.rounded(results), paths.EVAL)
    say("evaluate", f"test MAE {scores['mae']:.2f}; best baseline {best_baseline:.2f}"
        + (f"; oracle {results['oracle']['mae']:.2f} (ratio {results['mae_ratio_to_oracle']:.3f})" if expected is not None else "")
        + f"; backtest MAE {results['backtest']['mae_mean']:.2f}")


if __name__ == "__main__":
    run(main, "evaluate")

"""Forecast the weeks after the training data (the production period) with the workspace model."""
from __future__ import annotations

from hhforecast import bundle, config, features, io, paths, predict
from hhforecast.stage import run, say


def main() -> None:
    params = config.load()
    dataset = features.read_dataset(paths.WEEKLY_DATASET)
    production = features.production_weeks(dataset, params.split.train_end)
    if production.empty:
        say("predict", f"no weeks after split.train_end={params.split.train_end}: nothing to forecast")
    served = bundle.load_workspace()
    result = predict.forecast(served, production[["date", *features.FEATURES]])
    result["actual_hh"] = production[features.TARGET].to_numpy()
    io.write_csv_atomic(result, paths.PRODUCTION_PREDICTIONS)
    say("predict", f"{len(result)} production weeks forecast with {served.version}; "
        f"{int(result['extrapolation'].sum())} outside the training range")


if __name__ == "__main__":
    run(main, "predict")

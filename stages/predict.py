"""Forecast the weeks after the training data (the production period) with the workspace model."""

from __future__ import annotations

from hhforecast.core import config, io, paths
from hhforecast.core.stage import run, say
from hhforecast.dataprep import weekly_dataset
from hhforecast.serving import bundle, predict


def main() -> None:
    params = config.load()
    dataset = weekly_dataset.read_dataset(paths.WEEKLY_DATASET)
    production = weekly_dataset.production_weeks(dataset, params.split.train_end)
    if production.empty:
        say("predict", f"no weeks after split.train_end={params.split.train_end}: nothing to forecast")
    model = bundle.load_workspace()
    result = predict.forecast(model, production[["date", *weekly_dataset.FEATURES]])
    result["actual_hh"] = production[weekly_dataset.TARGET].to_numpy()
    io.write_csv_atomic(result, paths.PRODUCTION_PREDICTIONS)
    say(
        "predict",
        f"{len(result)} production weeks forecast with {model.version}; "
        f"{int(result['extrapolation'].sum())} outside the training range",
    )


if __name__ == "__main__":
    run(main, "predict")

"""Fit the network as evaluation does (epochs chosen, ranges calibrated), refit it on every week through
split.train_end for production, and save that byte-stably with its scaler, ranges and metadata."""

from __future__ import annotations

from dvclive import Live
from hhforecast.core import config, paths
from hhforecast.core.stage import run, say
from hhforecast.dataprep import weekly_dataset
from hhforecast.forecasting import forecasters, training
from hhforecast.serving import bundle


def main() -> None:
    from dvclive.keras import DVCLiveCallback  # imports Keras, and so TensorFlow: here, after run() configured it

    params = config.load()
    dataset = weekly_dataset.read_dataset(paths.WEEKLY_DATASET)
    split = weekly_dataset.temporal_split(
        dataset, params.split.train_end, params.split.val_weeks, params.split.test_weeks
    )
    say(
        "train",
        f"{len(split['train'])} training weeks {training.window(split['train'])}, "
        f"{len(split['val'])} validation weeks {training.window(split['val'])}",
    )
    network = forecasters.Network(params.train, params.evaluate.intervals)
    with Live(dir=str(paths.DVCLIVE), dvcyaml=None, save_dvc_exp=False, report=None) as live:
        # dvclive draws the first member's early-stopping curves; every member's epochs are in the metadata.
        # No refit on train + validation here: production refits on every known week below.
        network.fit(
            split["train"], split["val"], callbacks=[DVCLiveCallback(live=live)], progress="train", final_fit=False
        )
    known = training.known_weeks(split)
    say("train", f"production refit on all {len(known)} weeks {training.window(known)}")
    production = network.refit(known, progress="train: production refit")
    metadata = bundle.save(
        production.model,
        production.calibration,
        training.metadata(paths.WEEKLY_DATASET, dataset, split, params, production),
    )
    epochs = ", ".join(f"{member['best_epoch']} of {member['epochs_run']}" for member in metadata["members"])
    say(
        "train",
        f"{params.train.architecture}: best epoch {epochs}; out-of-sample validation MAE {metadata['metrics']['val']['mae']:.2f}",
    )


if __name__ == "__main__":
    run(main, "train")

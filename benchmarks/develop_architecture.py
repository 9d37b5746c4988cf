"""Compare network settings on development worlds: seeds the simulation study never reports.

    python benchmarks/develop_architecture.py [--families baseline shock] [--worlds 101 102 103 104]
        [--variant NAME KEY=VALUE ...] ...

Each world is built as the study builds world k of a family (study.families, seeds from k), and every
variant of `train` is fitted on its train + validation weeks as the study fits the network. Printed per
world and as the family mean: each variant's expected MAE on the test window as a ratio to the median
oracle's, beside linear regression's and the hybrid's skip alone, and each variant's expected 80 %
coverage. The architecture and its settings are chosen here; the study's worlds 1-20 only confirm.

A variant is a name and `train` overrides, e.g. `--variant mlp architecture=mlp` or
`--variant es52 early_stopping_weeks=52` (values are YAML). Without `--variant`: the default network
and the other architecture.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from hhforecast import synth
from hhforecast.core import config, tensorflow_env
from hhforecast.core.config import TrainParams
from hhforecast.dataprep import weekly_dataset
from hhforecast.synth import truthdist

REPO = Path(__file__).resolve().parents[1]


def variants(requested: list[list[str]] | None, train: TrainParams) -> dict[str, TrainParams]:
    if not requested:
        other = "mlp" if train.architecture == "hybrid" else "hybrid"
        requested = [[train.architecture], [other, f"architecture={other}"]]
    out = {}
    for name, *overrides in requested:
        settings: dict[str, Any] = train.model_dump()
        for item in overrides:
            key, _, value = item.partition("=")
            target = settings
            *parents, leaf = key.split(".")
            for parent in parents:
                target = target[parent]
            target[leaf] = yaml.safe_load(value)
        out[name] = TrainParams.model_validate(settings)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", nargs="+", default=None, help="default: every study family")
    parser.add_argument("--worlds", nargs="+", type=int, default=[101, 102, 103, 104])
    parser.add_argument("--variant", nargs="+", action="append", metavar=("NAME", "KEY=VALUE"))
    args = parser.parse_args()
    tensorflow_env.configure()
    from hhforecast.forecasting import forecasters, skip
    from hhforecast.simulation import worlds

    params = config.load(REPO / "params.yaml")
    families = args.families or list(config.study_section(params).families)
    tried = variants(args.variant, params.train)
    rows = []
    for family in families:
        for number in args.worlds:
            spec = worlds.world_spec(params, family, number)
            dataset, truth = worlds.weekly_frames(synth.build_world(spec.synthetic))
            parts = weekly_dataset.temporal_split(
                dataset, params.split.train_end, params.split.val_weeks, params.split.test_weeks
            )
            test = parts["test"]
            _, pmf, oracle = worlds._exact(truth, test["date"], spec.synthetic)

            def ratio(predicted: np.ndarray, pmf: np.ndarray = pmf, oracle: float = oracle) -> float:
                return float(np.mean(truthdist.expected_abs_error(pmf, np.maximum(predicted, 0.0)))) / oracle

            known = pd.concat([parts["train"], parts["val"]], ignore_index=True)
            terms = params.train.hybrid.skip_terms
            x_known, y_known = weekly_dataset.xy(known)
            row: dict[str, Any] = {"family": family, "world": number}
            row["skip"] = ratio(skip.predict(weekly_dataset.xy(test)[0], terms, skip.fit(x_known, y_known, terms)))
            row["linear"] = ratio(forecasters.Linear().fit(parts["train"], parts["val"]).predict(test, dataset))
            for name, train in tried.items():
                seeded = train.model_copy(update={"seed": spec.train.seed})
                network = forecasters.Network(seeded, list(spec.levels)).fit(parts["train"], parts["val"])
                predicted = network.predict(test, dataset)
                row[name] = ratio(predicted)
                assert network.calibration is not None
                low, high = network.calibration.bounds(predicted, "80")
                row[f"{name} coverage"] = float(np.mean(truthdist.expected_coverage(pmf, low, high)))
            rows.append(row)
            print(
                ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()),
                file=sys.stderr,
            )
    table = pd.DataFrame(rows)
    print(table.drop(columns="world").groupby("family", sort=False).mean().round(3).to_string())


if __name__ == "__main__":
    main()

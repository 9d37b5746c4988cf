"""What the report stage reads: the pipeline's outputs in the working tree, and their md5s for the thesis's
provenance (as dvc.lock records them, else computed from the files)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from hhforecast.core import io, paths
from hhforecast.dataprep import weekly_dataset

# The production forecasts' columns, named as the test window's (the figures draw both alike).
PRODUCTION_COLUMNS = {"predicted_hh": "predicted", "actual_hh": "actual"}


@dataclass(frozen=True)
class ReportInputs:
    dataset: pd.DataFrame  # the weekly dataset
    test: pd.DataFrame  # the test window's forecasts: date, actual, predicted, lower_/upper_80/95, ...
    production: pd.DataFrame  # the production period's, with the test window's column names
    folds: pd.DataFrame  # metrics/backtest.csv: one row per fold
    train_loss: pd.DataFrame  # the first network's loss per epoch (step, loss)
    val_loss: pd.DataFrame
    drift: pd.DataFrame  # metrics/drift.csv
    monitor_weekly: pd.DataFrame  # metrics/monitor_weekly.csv
    quality: dict[str, Any]  # metrics/data_quality.json
    evaluation: dict[str, Any]  # metrics/eval.json
    monitor: dict[str, Any]  # metrics/monitor.json
    metadata: dict[str, Any]  # models/model_metadata.json


def read(root: Path = Path(".")) -> ReportInputs:
    """Every file the report and the thesis are made from, under `root`."""
    return ReportInputs(
        dataset=weekly_dataset.read_dataset(root / paths.WEEKLY_DATASET),
        test=pd.read_csv(root / paths.TEST_PREDICTIONS),
        production=pd.read_csv(root / paths.PRODUCTION_PREDICTIONS).rename(columns=PRODUCTION_COLUMNS),
        folds=pd.read_csv(root / paths.BACKTEST),
        train_loss=pd.read_csv(root / paths.TRAIN_LOSS, sep="\t"),
        val_loss=pd.read_csv(root / paths.VAL_LOSS, sep="\t"),
        drift=pd.read_csv(root / paths.DRIFT),
        monitor_weekly=pd.read_csv(root / paths.MONITOR_WEEKLY),
        quality=io.read_json(root / paths.DATA_QUALITY),
        evaluation=io.read_json(root / paths.EVAL),
        monitor=io.read_json(root / paths.MONITOR),
        metadata=io.read_json(root / paths.MODEL_METADATA),
    )


def read_lock(root: Path = Path(".")) -> dict[str, Any]:
    """dvc.lock as a mapping; empty where there is none (a tree the pipeline has not run in)."""
    lock = root / paths.DVC_LOCK
    return (yaml.safe_load(lock.read_text(encoding="utf-8")) or {}) if lock.exists() else {}


def input_hashes(lock: dict[str, Any], names: Sequence[str]) -> dict[str, str]:
    """md5 of each path as dvc.lock records it among the stages' outputs (paths it lacks are left out)."""
    recorded = {
        out["path"]: out.get("md5", "")
        for stage in lock.get("stages", {}).values()
        for out in stage.get("outs", [])
        if isinstance(out, dict) and "path" in out
    }
    return {name: recorded[name] for name in names if name in recorded}


def file_md5(path: Path) -> str:
    """md5 of a file (as dvc records it), or of a folder's files in sorted order, for inputs dvc.lock lacks."""
    digest = hashlib.md5()
    for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
        if file.is_file():
            digest.update(file.read_bytes())
    return digest.hexdigest()


def md5s(names: Sequence[str], lock: dict[str, Any], root: Path = Path(".")) -> dict[str, str]:
    """The md5 of every path in `names`: dvc.lock's record, else computed from the file or folder under `root`."""
    hashes = input_hashes(lock, names)
    hashes.update({name: file_md5(root / name) for name in names if name not in hashes})
    return hashes

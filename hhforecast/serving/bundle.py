"""One loader for the model bundle, used by batch prediction, the API, monitoring and tests.

A bundle is the four files `train` writes: `model.keras`, `scaler.json`,
`intervals.json` and `model_metadata.json`. Each file's sha256 is checked against
the metadata before anything is used, and the model is loaded with
`safe_mode=True`. No pickle is ever loaded here.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hhforecast.core import io, paths
from hhforecast.core.errors import HHForecastError
from hhforecast.forecasting import intervals

BUNDLE_FILES = (paths.MODEL, paths.SCALER, paths.INTERVALS)


class BundleError(HHForecastError):
    """The model bundle is missing, altered, or does not match the request's schema."""


@dataclass(frozen=True)
class Bundle:
    model: Any  # keras.Model; typed loosely so importing this module does not import TensorFlow
    calibration: intervals.Calibration
    metadata: dict[str, Any]
    version: str
    source: str  # where it came from: "workspace" or a git revision
    infer: Callable[[np.ndarray], Any]  # the model as one compiled graph call: features -> HH

    @property
    def features(self) -> list[str]:
        return list(self.metadata["features"])

    @property
    def feature_ranges(self) -> dict[str, tuple[float, float]]:
        return {name: (float(lo), float(hi)) for name, (lo, hi) in self.metadata["feature_ranges"].items()}

    def check_schema(self, columns: list[str]) -> None:
        """The request's feature columns must be the training features, in training order."""
        if columns != self.features:
            raise BundleError(f"feature columns {columns} do not match the model's training schema {self.features}")

    def predict_array(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Point forecast and conformal ranges for rows of features in training order."""
        predicted = intervals.clip_hh(np.asarray(self.infer(x.astype("float32"))))
        out = {"predicted_hh": predicted}
        for key in self.calibration.keys():
            out[f"lower_{key}"], out[f"upper_{key}"] = self.calibration.bounds(predicted, key)
        return out

    def extrapolated_features(self, x: np.ndarray) -> list[str]:
        """Per row of features in training order, those outside the training window's range, comma-separated
        ('' when none): a forecast's `extrapolated_features`; it extrapolates when this is not ''."""
        ranges = self.feature_ranges
        flags = np.full(len(x), "", dtype=object)
        for column, name in enumerate(self.features):
            low, high = ranges[name]
            flags = flags + np.where((x[:, column] < low) | (x[:, column] > high), name + ",", "")
        return [f[:-1] for f in flags]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_bytes(read: Callable[[Path], bytes], version: str, source: str) -> Bundle:
    """Build a bundle from a reader of repository paths (the workspace, or a git revision via DVC)."""
    from hhforecast.forecasting import keras_model

    try:
        metadata = json.loads(read(paths.MODEL_METADATA))
        blobs = {path: read(path) for path in BUNDLE_FILES}
    except FileNotFoundError as exc:
        raise BundleError(f"model bundle incomplete ({source}): {exc}; run `dvc repro` to train the model") from None
    for path, data in blobs.items():
        expected = metadata.get("files", {}).get(path.name)
        if expected != sha256(data):
            raise BundleError(
                f"{path} ({source}) does not match the sha256 recorded in {paths.MODEL_METADATA}; "
                "the bundle was altered or mixed from different trainings"
            )
    with tempfile.TemporaryDirectory(prefix="hh-bundle-") as scratch:
        model_path = Path(scratch) / "model.keras"
        model_path.write_bytes(blobs[paths.MODEL])
        model = keras_model.load(model_path)
    calibration = intervals.Calibration.from_json(json.loads(blobs[paths.INTERVALS]))
    infer = keras_model.compiled(model, len(metadata["features"]))
    return Bundle(model, calibration, metadata, version, source, infer)


def save(
    model: Any, calibration: intervals.Calibration, metadata: dict[str, Any], root: Path = Path(".")
) -> dict[str, Any]:
    """Write the four bundle files; the metadata gets each file's sha256. Returns the metadata written."""
    from hhforecast.forecasting import keras_model

    keras_model.save(model, root / paths.MODEL)
    io.write_json_atomic(io.rounded(keras_model.scaler(model), 9), root / paths.SCALER)
    io.write_json_atomic(io.rounded(calibration.to_json(), 9), root / paths.INTERVALS)
    metadata = {**metadata, "files": {p.name: sha256((root / p).read_bytes()) for p in BUNDLE_FILES}}
    io.write_json_atomic(metadata, root / paths.MODEL_METADATA)
    return metadata


def workspace_version(root: Path = Path(".")) -> str | None:
    """The name the working tree's model goes by (`workspace-` and its sha256's start); None without a model."""
    model = root / paths.MODEL
    return f"workspace-{sha256(model.read_bytes())[:12]}" if model.exists() else None


def load_workspace(root: Path = Path(".")) -> Bundle:
    """The bundle in the working tree (what `dvc repro` last trained)."""
    version = workspace_version(root)
    if version is None:
        raise BundleError(f"no model at {root / paths.MODEL}; run `make repro` first")
    return load_bytes(lambda path: (root / path).read_bytes(), version, "workspace")

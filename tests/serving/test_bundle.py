import json

import pytest

from hhforecast.core import paths
from hhforecast.dataprep import weekly_dataset
from hhforecast.serving import bundle
from tests.helpers import small_weekly_dataset


def test_workspace_bundle_loads_and_predicts_with_ranges(bundle_root):
    loaded = bundle.load_workspace(bundle_root)
    out = loaded.predict_array(small_weekly_dataset(5)[weekly_dataset.FEATURES].to_numpy(dtype="float64"))
    assert list(out) == ["predicted_hh", "lower_80", "upper_80", "lower_95", "upper_95"]
    assert (out["lower_95"] <= out["lower_80"]).all() and (out["lower_80"] <= out["predicted_hh"]).all()
    assert (out["predicted_hh"] <= out["upper_80"]).all() and (out["upper_80"] <= out["upper_95"]).all()
    assert loaded.version.startswith("workspace-")


@pytest.mark.parametrize("altered", [paths.MODEL, paths.SCALER, paths.INTERVALS])
def test_an_altered_file_is_refused_by_its_sha256(tmp_path, bundle_root, altered):
    for path in (*bundle.BUNDLE_FILES, paths.MODEL_METADATA):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes((bundle_root / path).read_bytes())
    target = tmp_path / altered
    target.write_bytes(target.read_bytes() + b" ")
    with pytest.raises(bundle.BundleError, match=rf"{altered.as_posix()} \(workspace\) does not match the sha256"):
        bundle.load_workspace(tmp_path)


def test_missing_model_says_how_to_get_one(tmp_path):
    with pytest.raises(bundle.BundleError, match="no model at .*model.keras; run `make repro` first"):
        bundle.load_workspace(tmp_path)


@pytest.mark.parametrize(
    "columns", [list(reversed(weekly_dataset.FEATURES)), weekly_dataset.FEATURES[:-1], [*weekly_dataset.FEATURES, "x"]]
)
def test_feature_columns_must_be_the_training_schema(bundle_root, columns):
    loaded = bundle.load_workspace(bundle_root)
    loaded.check_schema(weekly_dataset.FEATURES)
    with pytest.raises(bundle.BundleError, match="do not match the model's training schema"):
        loaded.check_schema(columns)


def test_extrapolation_names_the_features_outside_the_training_range(bundle_root):
    loaded = bundle.load_workspace(bundle_root)
    frame = small_weekly_dataset()[weekly_dataset.FEATURES].iloc[[10, 20, 30]].reset_index(drop=True)
    frame.loc[1, "acft"] = 500
    frame.loc[2, ["acft", "Cycles"]] = -1
    assert loaded.extrapolated_features(frame.to_numpy(dtype="float64")) == ["", "acft", "acft,Cycles"]


def test_metadata_records_every_file_hash(bundle_root):
    metadata = json.loads((bundle_root / paths.MODEL_METADATA).read_text())
    assert set(metadata["files"]) == {"model.keras", "scaler.json", "intervals.json"}

"""A per-fleet run: data.fleets selects aircraft types, and the truth follows the selection."""

import pandas as pd
import pytest

from hhforecast.core import paths
from hhforecast.dataprep import weekly_dataset
from tests.helpers import project_copy, run_stage, small_world

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("fleet", ["E190"])
def test_one_fleet_dataset_equals_that_fleets_truth(params, tmp_path, fleet):
    work = project_copy(tmp_path, "data/synthetic/raw", data={"fleets": [fleet]}, synthetic=small_world(params))
    for stage in ("generate", "ingest", "clean", "aggregate", "join"):
        result = run_stage(work, stage)
        assert result.returncode == 0, f"{stage}: {result.stderr}"
    dataset = pd.read_csv(work / paths.WEEKLY_DATASET)
    truth = pd.read_csv(work / "data/synthetic/truth/weekly_truth.csv")
    assert dataset["date"].tolist() == truth["date"].tolist()
    for column in weekly_dataset.FEATURES + [weekly_dataset.TARGET]:
        assert (dataset[column] - truth[column]).abs().max() <= 1e-6, column
    rejects = pd.read_csv(work / paths.REJECTS, dtype=str)
    other = rejects[rejects["reason"] == "fleet_not_selected"]
    assert set(other["table"]) == {"events", "utilization"}
    assert set(other.loc[other["table"] == "utilization", "value"]) == {"E195"}

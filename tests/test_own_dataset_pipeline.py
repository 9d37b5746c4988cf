"""End to end from a weekly dataset file (data.source: dataset, no synthetic truth): a clone of the committed
repository, `dvc repro` with a small network, and outputs complete without the sections a truth makes possible.

The clone is of HEAD, so this checks what is committed: commit before running it.
"""

from __future__ import annotations

import html
import json
import subprocess

import pytest
import yaml

from hhforecast.core import paths
from hhforecast.evaluation import results
from hhforecast.ops import monitor
from tests.helpers import REPO, dvc

pytestmark = pytest.mark.slow

SMALL_NETWORK = {"ensemble": 1, "epochs": 30, "patience": 10}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    work = tmp_path_factory.mktemp("own-dataset") / "repo"
    subprocess.run(["git", "clone", "-q", str(REPO), str(work)], check=True)
    values = yaml.safe_load((work / "params.yaml").read_text(encoding="utf-8"))
    values["data"].update({"source": "dataset", "truth_dir": ""})
    values["train"].update(SMALL_NETWORK)
    values["evaluate"]["backtest_step_weeks"] = 52
    (work / "params.yaml").write_text(yaml.safe_dump(values, sort_keys=False), encoding="utf-8")
    dvc(work, "repro")
    return work


def test_the_pipeline_runs_from_the_dataset_file_and_keeps_it_as_join_would(project):
    quality = json.loads((project / paths.DATA_QUALITY).read_text())
    assert quality["source"] == "dataset" and quality["dataset_path"] == "examples/dataset_uti_vs_hh_semanal.csv"
    assert quality["schema_failures"] == 0 and "rows" not in quality
    evaluation = json.loads((project / paths.EVAL).read_text())
    assert not results.has_truth(evaluation) and "expected_mae_ratio" not in evaluation
    assert evaluation["backtest"]["dm"] and evaluation["test"]["n_weeks"] == 52


def test_every_report_is_complete_and_names_what_needs_a_truth_once(project):
    markdown = (project / paths.RESULTS).read_text()
    assert markdown.count(results.NO_TRUTH) == 1 and "oracle (exact quantiles)" not in markdown
    page = (project / "reports" / "report.html").read_text()
    assert "(data.source: dataset): no raw rows were read" in page and html.escape(results.NO_TRUTH) in page
    for section in ("Forecast vs actual", "Against baselines (test window", "Monitoring the production period"):
        assert section in page
    thesis = project / "reports" / "thesis"
    assert not (thesis / "rejects_by_reason.tex").exists() and (thesis / "backtest.tex").exists()
    assert "Sem verdade sintética" in (thesis / "model_comparison.tex").read_text()


def test_monitoring_keeps_errors_and_drift_and_skips_the_volume_check_saying_so(project):
    summary = json.loads((project / paths.MONITOR).read_text())
    assert summary["skipped"] == [monitor.VOLUME_SKIPPED] and summary["volume"] == {}
    assert summary["production_weeks"] == 39 and summary["drift"]["age_fleet"]["status"] == "alert"

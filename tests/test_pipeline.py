"""End to end: a temporary clone of the committed repository, `dvc repro`, checked against the truth.

The clone is of HEAD, so these tests check what is committed: commit before running them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from hhforecast.core import paths
from hhforecast.dataprep import weekly_dataset
from tests.helpers import REPO, clone_env, dvc

pytestmark = pytest.mark.slow


def hh(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed `hh`, in its own process, on the clone (the `hh` helper in tests/helpers.py runs it in this one instead)."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "hh"), *args],
        cwd=work,
        env={**clone_env(), "PYTHONPATH": str(work)},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A fresh clone of the committed repository with the whole pipeline run once."""
    work = tmp_path_factory.mktemp("clone") / "repo"
    subprocess.run(["git", "clone", "-q", str(REPO), str(work)], check=True)
    dvc(work, "repro")
    return work


# Stages whose outputs hold no network arithmetic: the same bytes on any machine. The model's numbers move in
# their last digits between CPUs of one machine kind (vector units), so they are held to `verify`'s tolerance
# here, and to the byte on one machine by test_repro_is_byte_stable.
DATA_STAGES = ("generate", "ingest", "clean", "aggregate", "join")


def _committed(project: Path, path: str) -> str:
    return subprocess.run(
        ["git", "show", f"HEAD:{path}"], cwd=project, capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize("stage", DATA_STAGES)
def test_a_clean_clone_rebuilds_the_committed_data_byte_for_byte(project, stage):
    committed = yaml.safe_load(_committed(project, "dvc.lock"))["stages"][stage]["outs"]
    assert yaml.safe_load((project / "dvc.lock").read_text())["stages"][stage]["outs"] == committed


def test_a_clean_clone_reproduces_the_committed_metrics_within_verify_tolerance(project, params):
    tolerance = params.verify
    assert_close(
        json.loads((project / paths.EVAL).read_text()),
        json.loads(_committed(project, "metrics/eval.json")),
        lambda expected: max(tolerance.abs_tolerance, tolerance.rel_tolerance * abs(expected)),
    )


def assert_close(actual: object, expected: object, tolerance: Callable[[float], float], where: str = "") -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys(), where
        for key in expected:
            assert_close(actual[key], expected[key], tolerance, f"{where}.{key}")
    elif isinstance(expected, float):
        assert isinstance(actual, float) and abs(actual - expected) <= tolerance(expected), (
            f"{where}: {actual} != {expected}"
        )
    else:
        assert actual == expected, where


def test_weekly_hh_and_features_equal_the_truth(project):
    dataset = pd.read_csv(project / paths.WEEKLY_DATASET)
    truth = pd.read_csv(project / "data/synthetic/truth/weekly_truth.csv")
    assert list(dataset.columns) == weekly_dataset.DATASET_COLUMNS
    assert dataset["date"].tolist() == truth["date"].tolist()
    for column in weekly_dataset.FEATURES + [weekly_dataset.TARGET]:
        diff = (dataset[column] - truth[column]).abs().max()
        assert diff <= 1e-6, f"{column} differs from the truth by {diff}"


def test_every_reject_reason_counts_what_generate_planted(project):
    planted = json.loads((project / "data/synthetic/truth/planted.json").read_text())
    quality = json.loads((project / paths.DATA_QUALITY).read_text())
    by_reason = quality["rows"]["rejected_by_reason"]
    for table in ("events", "utilization"):
        expected = {reason: n for reason, n in planted[table].items() if n}
        assert by_reason.get(table, {}) == expected, table
    rows = quality["rows"]
    assert rows["events_read"] == rows["events_kept"] + sum(by_reason["events"].values())
    assert rows["utilization_read"] == rows["utilization_kept"] + sum(by_reason["utilization"].values())
    assert rows["events_read"] == planted["events_rows_written"]
    assert rows["total_rows_skipped"] == planted["total_rows"]
    assert quality["missing_weeks"] == 0
    rejects = pd.read_csv(project / paths.REJECTS)
    assert len(rejects) == rows["rejected"]
    assert rejects[["file", "row", "reason"]].notna().all().all()


def test_repro_is_byte_stable(project):
    """The clone's run is another process on another day than the committed one, and every output it wrote hashes
    as dvc.lock recorded (test_a_clean_clone_...): same params, same bytes. So nothing is left to run, and
    `dvc repro` leaves the lock alone."""
    lock = (project / "dvc.lock").read_text()
    assert "up to date" in dvc(project, "status").stdout
    result = dvc(project, "repro")
    assert "didn't change" in result.stdout or "up to date" in result.stdout
    assert (project / "dvc.lock").read_text() == lock


def test_monitoring_finds_the_planted_drift_and_the_cli_asks_for_retraining(project):
    summary = json.loads((project / paths.MONITOR).read_text())
    assert {f: d["status"] for f, d in summary["drift"].items()} == {
        "acft": "ok",
        "sum_daily_hours": "ok",
        "age_fleet": "alert",
        "Cycles": "ok",
        "sum_uti_mensal": "ok",
    }
    assert summary["retrain_recommended"] is True
    assert any(r.startswith("feature age_fleet drifted") for r in summary["reasons"])
    result = hh(project, "monitor")
    assert result.returncode == 2, result.stderr
    assert "RETRAIN: feature age_fleet drifted" in result.stdout


def test_model_metadata_says_through_which_week_it_trained_and_saw_data(project):
    metadata = json.loads((project / paths.MODEL_METADATA).read_text())
    dataset = pd.read_csv(project / paths.WEEKLY_DATASET)
    assert metadata["trained_through"] == metadata["windows"]["fitted"][1] == metadata["windows"]["test"][1]
    assert metadata["data_through"] == dataset["date"].iloc[-1]
    assert metadata["trained_through"] < metadata["data_through"]


def test_verify_passes_on_a_clean_clone(project):
    result = hh(project, "verify", "--no-repro", "--failures-only")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS  all metrics:" in result.stdout


def test_verify_fails_when_a_committed_metric_differs(project, tmp_path):
    saved = (project / paths.EVAL).read_text()
    try:
        (project / paths.EVAL).write_text(saved.replace('"n_weeks": 52', '"n_weeks": 53'))
        result = hh(project, "verify", "--no-repro", "--failures-only")
    finally:
        (project / paths.EVAL).write_text(saved)
    assert result.returncode == 1
    assert "test.n_weeks" in result.stdout and "FAIL  metrics/eval.json" in result.stdout


def test_the_thesis_outputs_are_written_in_the_configured_language(project):
    thesis = project / "reports/thesis"
    names = {p.name for p in thesis.iterdir()}
    assert {
        "predicted_vs_actual.pdf",
        "predicted_vs_actual.png",
        "model_comparison.tex",
        "dataset_summary.tex",
        "rejects_by_reason.tex",
        "backtest.tex",
        "figures.tex",
    } <= names
    table = (thesis / "model_comparison.tex").read_text()
    assert "% input metrics/eval.json md5 " in table and "\\toprule" in table
    assert "Comparação dos modelos" in table  # report.language: pt


def test_the_notebooks_run_on_the_pipeline_outputs(project):
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbmake", "-p", "no:cacheprovider", "-q", "notebooks/"],
        cwd=project,
        env=clone_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]

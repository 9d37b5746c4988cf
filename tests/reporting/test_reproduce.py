"""`hh verify` on a temporary repository: the committed metrics against the workspace's, and its errors."""

import json
import shutil
import subprocess

import pytest

from hhforecast.reporting import reproduce
from tests.helpers import REPO, git_repo, hh

EVALUATION = {"test": {"mae": 37.46, "wape": 10.1}}


@pytest.mark.parametrize(
    "name, listed",
    [
        ("metrics/eval.json", True),
        ("metrics/backtest_weeks.csv", True),
        ("dvclive/metrics.json", True),
        ("metrics/study/baseline_1.json", False),  # the study's own pipeline writes these; verify does not re-run it
        ("dvclive/plots/metrics/train/loss.tsv", False),
        ("metrics/notes.txt", False),
    ],
)
def test_verify_compares_the_files_it_re_runs_and_no_others(name, listed):
    assert reproduce.is_metric(name) == listed


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """Committed metrics (and files verify must leave alone), params.yaml for the tolerance; the test's cwd."""
    root = git_repo(tmp_path)
    shutil.copy(REPO / "params.yaml", root / "params.yaml")
    (root / "metrics/study").mkdir(parents=True)
    (root / "metrics/eval.json").write_text(json.dumps(EVALUATION))
    (root / "metrics/backtest.csv").write_text("fold,mae\n1,30.5\n2,31.0\n")
    (root / "metrics/study/baseline_1.json").write_text("{}")
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", "metrics"], cwd=root, check=True)
    monkeypatch.chdir(root)
    return root


def test_committed_and_workspace_metrics_are_the_metric_files_by_path(repo):
    expected = {"metrics/backtest.csv", "metrics/eval.json"}
    assert set(reproduce.committed_metrics()) == expected
    assert set(reproduce.workspace_metrics()) == expected
    assert reproduce.committed_metrics()["metrics/eval.json"] == json.dumps(EVALUATION)


@pytest.mark.parametrize(
    ("revision", "message"),
    [
        ("no-such-rev", "cannot read the committed metrics at no-such-rev: fatal: "),
        ("HEAD~5", "cannot read the committed metrics at HEAD~5: fatal: "),  # the repository has one commit
    ],
)
def test_a_revision_git_cannot_read_is_an_error_naming_it(repo, revision, message):
    with pytest.raises(reproduce.VerifyError, match=message):
        reproduce.committed_metrics(revision)


def test_a_revision_without_metric_files_is_an_error_naming_the_patterns(repo):
    subprocess.run(["git", "rm", "-rq", "metrics"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "no metrics"], cwd=repo, check=True)
    with pytest.raises(
        reproduce.VerifyError,
        match=r"no committed metric files at HEAD \(metrics/\*\.json, metrics/\*\.csv, dvclive/metrics\.json\)",
    ):
        reproduce.committed_metrics()


def test_hh_verify_passes_the_same_metrics_and_fails_a_changed_one(repo):
    result = hh(repo, "verify", "--no-repro", "--exact")
    assert result.returncode == 0, result.stderr
    assert "PASS  all metrics: 6 values, 6 exact, 0 within tolerance, 0 failed" in result.stdout
    assert "exact (no tolerance)" in result.stdout
    (repo / "metrics/eval.json").write_text(json.dumps({"test": {"mae": 37.47, "wape": 10.1}}))
    result = hh(repo, "verify", "--no-repro", "--failures-only")
    assert result.returncode == 1
    assert "metrics/eval.json  test.mae  37.46      37.47       2.7e-04    FAIL" in result.stdout
    assert "wape" not in result.stdout.split("\n\n")[0]  # --failures-only


def test_hh_verify_says_why_it_cannot_compare(repo, monkeypatch):
    result = hh(repo, "verify", "--no-repro", "--rev", "no-such-rev")
    assert result.returncode == 1 and result.stderr.startswith("verify: error: cannot read the committed metrics")
    monkeypatch.setattr(reproduce, "rerun_pipeline", lambda: False)
    result = hh(repo, "verify")
    assert result.returncode == 1 and result.stderr == "verify: FAIL: dvc repro failed (its output is above)\n"

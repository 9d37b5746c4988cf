"""`hh release` on a temporary repository: it tags only a clean, verified tree."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hhforecast.reporting import release
from tests.helpers import REPO, git_dvc_repo, git_repo, hh

EVALUATION = {
    "test": {"mae": 37.460667, "coverage_80": 0.903846},
    "backtest": {"mae_mean": 44.634298},
    "baselines": {"gbm": {"mae": 35.788451}},
    "mae_ratio_to_oracle": 0.983371,
}
QUALITY = {"weeks": 380, "first_week": "2017-01-02", "last_week": "2024-04-01"}


# `dvc status --json` of a clean project, without dvc's start-up time; one test runs the real dvc.
CLEAN_DVC = f"{sys.executable} -c \"print('{{}}')\""
REAL_DVC = str(Path(sys.executable).parent / "dvc")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = git_repo(tmp_path)
    (root / "metrics").mkdir()
    (root / "metrics/eval.json").write_text(json.dumps(EVALUATION))
    (root / "metrics/data_quality.json").write_text(json.dumps(QUALITY))
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", "metrics"], cwd=root, check=True)
    return root


def run_release(
    root: Path, version: str, verify: str = "true", dvc: str = CLEAN_DVC
) -> subprocess.CompletedProcess[str]:
    return hh(root, "release", version, "--verify", verify, "--dvc", dvc)


def tags(root: Path) -> list[str]:
    return subprocess.run(["git", "tag"], cwd=root, capture_output=True, text=True, check=True).stdout.split()


def test_a_clean_verified_tree_gets_an_annotated_tag_with_the_headline_numbers(repo):
    result = run_release(repo, "1.0.0")
    assert result.returncode == 0, result.stderr
    assert tags(repo) == ["tcc-v1.0.0"]
    kind = subprocess.run(["git", "cat-file", "-t", "tcc-v1.0.0"], cwd=repo, capture_output=True, text=True).stdout
    assert kind.strip() == "tag"  # annotated, not lightweight
    message = subprocess.run(
        ["git", "tag", "-l", "--format=%(contents)", "tcc-v1.0.0"], cwd=repo, capture_output=True, text=True
    ).stdout
    assert "test MAE (HH per week): 37.46" in message
    assert "test MAE, baseline gbm: 35.79" in message
    assert "weeks in the dataset: 380 (2017-01-02 – 2024-04-01)" in message


def test_a_dirty_tree_is_refused_and_nothing_is_tagged(repo):
    (repo / "metrics/eval.json").write_text("{}")
    result = run_release(repo, "1.0.0")
    assert result.returncode == 1
    assert "release: refused: the git tree is not clean before verification" in result.stderr
    assert tags(repo) == []


def test_an_untracked_file_makes_the_tree_dirty(repo):
    (repo / "notes.txt").write_text("draft")
    result = run_release(repo, "1.0.0")
    assert result.returncode == 1 and "notes.txt" in result.stderr
    assert tags(repo) == []


def test_a_failing_verify_is_refused_and_nothing_is_tagged(repo):
    result = run_release(repo, "1.0.0", verify="false")
    assert result.returncode == 1
    assert "`false` failed: the re-run metrics differ from the committed ones" in result.stderr
    assert tags(repo) == []


def test_a_verify_that_changes_committed_files_is_refused(repo):
    result = run_release(repo, "1.0.0", verify=f"{sys.executable} -c \"open('metrics/eval.json','w').write('{{}}')\"")
    assert result.returncode == 1 and "not clean after verification" in result.stderr
    assert tags(repo) == []


@pytest.mark.slow
def test_dvc_status_must_be_clean(tmp_path):
    root = git_dvc_repo(tmp_path)
    (root / "metrics").mkdir()
    (root / "metrics/eval.json").write_text(json.dumps(EVALUATION))
    (root / "metrics/data_quality.json").write_text(json.dumps(QUALITY))
    (root / "data.txt").write_text("v1")
    subprocess.run([REAL_DVC, "add", "-q", "data.txt"], cwd=root, check=True, capture_output=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", "data"], cwd=root, check=True)
    (root / "data.txt").write_text("v2")  # git ignores it (dvc add wrote .gitignore); dvc does not
    result = run_release(root, "1.0.0", dvc=REAL_DVC)
    assert result.returncode == 1 and "dvc status is not clean" in result.stderr
    assert tags(root) == []
    (root / "data.txt").write_text("v1")
    result = run_release(root, "1.0.0", dvc=REAL_DVC)
    assert result.returncode == 0, result.stderr
    assert tags(root) == ["tcc-v1.0.0"]


def test_an_existing_tag_and_a_bad_version_are_refused(repo):
    assert run_release(repo, "1.0.0").returncode == 0
    again = run_release(repo, "1.0.0")
    assert again.returncode == 1 and "tag tcc-v1.0.0 already exists" in again.stderr
    bad = run_release(repo, "v1.0")
    assert bad.returncode == 1 and "VERSION must look like 1.2.3" in bad.stderr


def test_headline_skips_absent_keys_and_speaks_portuguese():
    lines = dict(release.headline({"test": {"mae": 40.0}}, None, language="pt"))
    assert lines == {"MAE no teste (HH por semana)": "40.00"}
    assert release.tag_name("2.10.0") == "tcc-v2.10.0"


@pytest.mark.parametrize(
    ("page", "language"), [("docs/reproducibility.md", "en"), ("docs/pt-BR/reproducibility.md", "pt")]
)
def test_the_reviewers_numbers_to_expect_are_the_tag_messages_lines(page, language):
    """The docs' table and the tag message come from the same headline of the committed metrics."""
    evaluation = json.loads((REPO / "metrics/eval.json").read_text(encoding="utf-8"))
    quality = json.loads((REPO / "metrics/data_quality.json").read_text(encoding="utf-8"))
    table = release.markdown_table(release.headline(evaluation, quality, language), language)
    assert table in (REPO / page).read_text(encoding="utf-8"), f"{page}: run `make docs-numbers`"
    lines = release.headline(evaluation, quality)
    message = release.tag_message("1.0.0", "0" * 40, lines)
    assert all(f"  {label}: {value}\n" in message for label, value in lines)


@pytest.mark.parametrize(
    ("language", "head", "label"),
    [
        ("en", "| figure | value |\n|---|---|\n", "test MAE (HH per week)"),
        ("pt", "| número | valor |\n|---|---|\n", "MAE no teste (HH por semana)"),
    ],
)
def test_the_table_of_numbers_speaks_the_pages_language(language, head, label):
    table = release.markdown_table(release.headline({"test": {"mae": 40.0}}, None, language), language)
    assert table == f"{head}| {label} | 40.00 |\n"

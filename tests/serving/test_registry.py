"""Promote, refuse, roll back and serve-after-rollback, in a temporary git + DVC repository."""

import json
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest

from hhforecast.core import paths
from hhforecast.serving import bundle, decisions, registry
from tests.helpers import REPO, WEEK, git_dvc_repo, hh, make_bundle, request, serving, sh

pytestmark = pytest.mark.slow

FOLDS = [("2022-04-11", "2022-07-04"), ("2022-07-11", "2022-10-03")]


def backtest_weeks(mae, coverage=0.8, seed=0, n=104):
    """Per-week backtest: the network misses each week by about `mae` (±20 %, a pattern drawn from `seed`),
    its 80 % range covers the first `coverage` share of the weeks."""
    rng = np.random.default_rng(seed)
    actual = 300 + 50 * np.sin(np.arange(n) / 8)
    miss = mae * (1 + 0.2 * rng.standard_normal(n))
    predicted = actual + np.where(np.arange(n) % 2, miss, -miss)
    covered = np.arange(n) < round(coverage * n)
    half = np.where(covered, np.abs(miss) + 1, np.abs(miss) / 2)
    dates = pd.date_range("2019-01-07", periods=n, freq="7D").strftime("%Y-%m-%d")
    return pd.DataFrame(
        {
            "fold": np.arange(n) // 13 + 1,
            "date": dates,
            "actual": actual,
            "network": predicted,
            "lower_80": predicted - half,
            "upper_80": predicted + half,
        }
    )


def commit_model(repo, seed, backtest_mae, coverage=0.8, trained_through=None):
    """A trained bundle tracked by DVC and its backtest tables in git, committed."""
    make_bundle(repo, seed=seed, epochs=2, trained_through=trained_through)
    table = pd.DataFrame(
        [
            {
                "fold": i + 1,
                "test_start": a,
                "test_end": b,
                "n_weeks": 13,
                "mae": backtest_mae,
                "coverage_80": coverage,
                "coverage_95": 0.95,
            }
            for i, (a, b) in enumerate(FOLDS)
        ]
    )
    (repo / "metrics").mkdir(exist_ok=True)
    table.to_csv(repo / paths.BACKTEST, index=False)
    backtest_weeks(backtest_mae, coverage, seed).to_csv(repo / paths.BACKTEST_WEEKS, index=False)
    (repo / paths.EVAL).write_text(json.dumps({"test": {"mae": backtest_mae}, "backtest": {"mae_mean": backtest_mae}}))
    import dvc.repo  # here, not at the top: collecting the fast tests need not import DVC

    with warnings.catch_warnings(), dvc.repo.Repo(str(repo)) as tracked:  # `dvc add`, in this interpreter
        # DVC's dependencies' deprecations, which `dvc add` does not show either
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"dvc\.")
        tracked.add([str(repo / p) for p in (*bundle.BUNDLE_FILES, paths.MODEL_METADATA)])
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-qm", f"model seed {seed}")
    return (repo / paths.MODEL).read_bytes()


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    root = git_dvc_repo(tmp_path_factory.mktemp("registry"))
    shutil.copy(REPO / "params.yaml", root / "params.yaml")
    (root / ".gitignore").write_text("mlops.db*\n")
    return root


def test_promote_refuse_rollback_and_serve_after_rollback(repo, tmp_path):
    first_bytes = commit_model(repo, seed=0, backtest_mae=40.0)
    result = hh(repo, "promote", "--reason", "first model")
    assert result.returncode == 0, result.stderr
    assert "promoted hh-model@v1.0.0" in result.stdout
    assert registry.production(repo).version == "v1.0.0"

    commit_model(repo, seed=1, backtest_mae=35.0)
    result = hh(repo, "promote", "--reason", "better backtest")
    assert result.returncode == 0, result.stderr
    assert "backtest MAE" in result.stdout
    assert "paired over 104 backtest weeks: candidate is better than production (-" in result.stdout
    assert registry.production(repo).version == "v1.1.0"

    commit_model(repo, seed=2, backtest_mae=34.9)  # lower, but by far less than the week-to-week noise
    tags_before = sh(repo, "git", "tag")
    result = hh(repo, "promote")
    assert result.returncode == 1
    assert "refused: not better than production beyond the noise: candidate vs production: tie (" in result.stderr
    assert sh(repo, "git", "tag") == tags_before

    commit_model(repo, seed=3, backtest_mae=20.0, coverage=0.5)
    result = hh(repo, "promote")
    assert result.returncode == 1 and "refused: coverage 0.500" in result.stderr

    result = hh(repo, "rollback", "--reason", "v1.1.0 overshoots on the new fleet")
    assert result.returncode == 0, result.stderr
    assert "prod is now hh-model@v1.0.0 (was v1.1.0)" in result.stdout
    assert registry.production(repo).version == "v1.0.0"

    served, how = registry.load_served(repo)
    assert served.version == "v1.0.0" and "stage prod" in how
    with serving(repo, "--no-log") as base:
        status, card = request(base, "/model")
        assert status == 200 and card["version"] == "v1.0.0" and "stage prod" in card["served"]
        status, body = request(base, "/predict", {"weeks": [WEEK]})
        assert status == 200 and body["forecasts"][0]["model_version"] == "v1.0.0"
    planned = tmp_path / "planned.csv"
    planned.write_text("date,acft,sum_daily_hours,age_fleet,Cycles,sum_uti_mensal\n2018-03-05,12,750,5.5,550,3000\n")
    result = hh(repo, "predict", str(planned), "--no-log")
    assert result.returncode == 0, result.stderr
    assert ",v1.0.0," in result.stdout and "serving hh-model@v1.0.0 (stage prod)" in result.stderr
    assert registry.read_at(repo, registry.production(repo).commit, paths.MODEL) == first_bytes

    result = hh(repo, "rollback")
    assert result.returncode == 1 and "nothing to roll back to" in result.stderr

    lines = decisions.read(repo)
    assert [line.split("**")[1] for line in lines] == ["promote", "promote", "rollback"]

    assert "v1.1.0 overshoots on the new fleet" in lines[-1]
    listing = hh(repo, "models")
    assert listing.returncode == 0
    rows = {line.split()[0]: line.split()[1] for line in listing.stdout.splitlines()[1:]}
    assert rows == {"v1.0.0": "prod", "v1.1.0": "-"}

    commit_model(repo, seed=4, backtest_mae=40.1)  # a tie with prod (v1.0.0, 40.0): refused unless forced with a reason
    assert hh(repo, "promote").returncode == 1
    result = hh(repo, "promote", "--force")
    assert result.returncode == 1 and "--force needs --reason" in result.stderr
    result = hh(repo, "promote", "--force", "--reason", "trained on the new fleet's first year")
    assert result.returncode == 0, result.stderr
    assert "refused: not better than production beyond the noise" in result.stderr
    last = decisions.read(repo)[-1]
    assert "promoted despite the gate" in last and "trained on the new fleet's first year" in last
    messages = sh(repo, "git", "for-each-ref", "refs/tags", "--format=%(contents)")
    assert "promoted despite the gate" in messages


def test_a_revisions_dvc_output_is_read_from_the_cache_as_dvc_would_read_it(repo, tmp_path):
    import dvc.api

    if registry.production(repo) is None:
        commit_model(repo, seed=0, backtest_mae=40.0)
    commit = sh(repo, "git", "rev-parse", "HEAD").strip()
    expected = dvc.api.read(str(paths.MODEL), repo=str(repo), rev=commit, mode="rb")
    assert registry._cached_output(repo, commit, paths.MODEL) == expected
    assert registry._cached_output(repo, commit, paths.BACKTEST_WEEKS) is None  # in git, not in DVC
    objects = repo / ".dvc" / "cache" / "files"
    local = repo / ".dvc" / "config.local"
    try:
        for cache_dir, where in (
            ("elsewhere", repo / ".dvc" / "elsewhere"),
            (str(tmp_path / "cache"), tmp_path / "cache"),
        ):
            local.write_text(f"[cache]\n    dir = {cache_dir}\n")
            assert registry._cached_output(repo, commit, paths.MODEL) is None  # a cache without the object
            shutil.copytree(objects, where / "files")  # a relative dir is relative to .dvc/, as DVC reads it
            assert registry._cached_output(repo, commit, paths.MODEL) == expected
    finally:
        local.unlink()


def test_a_refresh_with_newer_weeks_replaces_a_tied_production_model_and_the_log_says_why(tmp_path):
    repo = git_dvc_repo(tmp_path)
    shutil.copy(REPO / "params.yaml", repo / "params.yaml")
    commit_model(repo, seed=0, backtest_mae=40.0, trained_through="2019-07-08")
    assert hh(repo, "promote", "--reason", "first model").returncode == 0

    commit_model(repo, seed=4, backtest_mae=40.1, trained_through="2019-07-08")  # a tie, and no newer weeks
    result = hh(repo, "promote")
    assert result.returncode == 1 and "rule: improvement: the candidate learned no newer weeks" in result.stdout

    commit_model(repo, seed=4, backtest_mae=40.1, trained_through="2019-10-07")  # the same tie, with newer weeks
    result = hh(repo, "promote")
    assert result.returncode == 0, result.stderr
    assert "rule: refresh: the candidate learned newer weeks (through 2019-10-07; production through 2019-07-08)" in (
        result.stdout
    )
    assert "[refresh: the candidate learned newer weeks" in decisions.read(repo)[-1]

    commit_model(repo, seed=5, backtest_mae=48.0, trained_through="2020-01-06")  # newer, but far worse
    result = hh(repo, "promote")
    assert result.returncode == 1
    assert "refused: worse than production by more than the refresh margin: candidate is worse" in result.stderr
    assert registry.production(repo).version == "v1.1.0"


def test_promote_refuses_an_uncommitted_model(repo):
    (repo / paths.EVAL).write_text("{}")
    result = hh(repo, "promote")
    assert result.returncode == 1 and "uncommitted changes to the pipeline state" in result.stderr
    sh(repo, "git", "checkout", "--", str(paths.EVAL))


def test_compare_pairs_two_revisions_and_calls_a_tie_a_tie(tmp_path):
    repo = git_dvc_repo(tmp_path)
    shutil.copy(REPO / "params.yaml", repo / "params.yaml")
    (repo / "metrics").mkdir()
    for seed, mae in ((0, 40.0), (1, 35.0), (2, 35.1)):
        backtest_weeks(mae, seed=seed).to_csv(repo / paths.BACKTEST_WEEKS, index=False)
        sh(repo, "git", "add", "-A")
        sh(repo, "git", "commit", "-qm", f"backtest {mae}")
    result = hh(repo, "compare", "HEAD~1", "HEAD~2")
    assert result.returncode == 0, result.stderr
    assert "backtest MAE HEAD~1: " in result.stdout and "HEAD~1 is better than HEAD~2 (-" in result.stdout
    result = hh(repo, "compare", "HEAD", "HEAD~1")
    assert "HEAD vs HEAD~1: tie (" in result.stdout
    result = hh(repo, "compare", "no-such-run")
    assert (
        result.returncode != 0
        and "'no-such-run' is neither a git revision nor one DVC experiment's name" in result.stderr
    )

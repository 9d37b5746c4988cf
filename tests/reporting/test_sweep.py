"""A sweep run's record: what the docs' sweep table needs, read from a working copy or a git revision."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from hhforecast.reporting import sweep

EVALUATION = {"test": {"mae": 33.55}, "backtest": {"mae": {"network": 49.145}}, "expected_mae_ratio": {"network": 1.17}}
WEEKS = pd.DataFrame(
    {"fold": [1, 2], "date": ["2019-04-15", "2019-04-22"], "actual": [309.65, 188.15], "network": [207.6, 208.6]}
)


def working_copy(root: Path, ensemble: int = 1) -> Path:
    (root / "metrics").mkdir(parents=True)
    (root / "params.yaml").write_text(yaml.safe_dump({"train": {"ensemble": ensemble, "units": 16}}), encoding="utf-8")
    (root / "metrics/eval.json").write_text(json.dumps(EVALUATION), encoding="utf-8")
    WEEKS.to_csv(root / "metrics/backtest_weeks.csv", index=False)
    return root


def test_a_record_keeps_the_params_the_scores_and_the_weekly_forecasts():
    record = sweep.record("ensemble-1", {"ensemble": 1}, EVALUATION, WEEKS)
    assert record == {
        "name": "ensemble-1",
        "train": {"ensemble": 1},
        "test_mae": 33.55,
        "expected_mae_ratio": 1.17,
        "backtest_mae": 49.145,
        "backtest": {
            "fold": [1, 2],
            "date": ["2019-04-15", "2019-04-22"],
            "actual": [309.65, 188.15],
            "network": [207.6, 208.6],
        },
    }


@pytest.mark.parametrize("dropped", ["fold", "date", "actual", "network"])
def test_a_backtest_without_a_needed_column_is_refused(dropped):
    with pytest.raises(
        sweep.SweepError, match=rf"run 'units-32': the per-week backtest lacks the column\(s\) {dropped}"
    ):
        sweep.record("units-32", {}, EVALUATION, WEEKS.drop(columns=dropped))


def test_a_run_is_recorded_from_another_working_copy(tmp_path, monkeypatch, capsys):
    other = working_copy(tmp_path / "copy")
    monkeypatch.chdir(tmp_path)
    assert sweep.main(["ensemble-1", "--workdir", str(other)]) == 0
    written = json.loads((tmp_path / "metrics/sweep/ensemble-1.json").read_text(encoding="utf-8"))
    assert written["train"] == {"ensemble": 1, "units": 16} and written["backtest_mae"] == 49.145
    assert "`make docs-numbers` rebuilds the table" in capsys.readouterr().out


def test_a_working_copy_without_metrics_is_named(tmp_path, monkeypatch, capsys):
    (tmp_path / "copy").mkdir()
    monkeypatch.chdir(tmp_path)
    assert sweep.main(["ensemble-1", "--workdir", "copy"]) == 1
    assert "sweep: copy: no params.yaml, metrics/eval.json, metrics/backtest_weeks.csv" in capsys.readouterr().err
    assert not (tmp_path / "metrics/sweep").exists()


def test_a_run_is_recorded_from_a_git_revision(tmp_path, monkeypatch, capsys):
    root = working_copy(tmp_path, ensemble=10)
    for command in (
        ["git", "init", "-q"],
        ["git", "-c", "user.email=a@b.c", "-c", "user.name=a", "commit", "-qm", "run", "--allow-empty"],
        ["git", "add", "-A"],
        ["git", "-c", "user.email=a@b.c", "-c", "user.name=a", "commit", "-qm", "metrics"],
        ["git", "tag", "ensemble-10"],
    ):
        subprocess.run(command, cwd=root, check=True, capture_output=True)
    (root / "params.yaml").write_text(yaml.safe_dump({"train": {"ensemble": 99}}), encoding="utf-8")  # not committed
    monkeypatch.chdir(root)
    assert sweep.main(["ensemble-10", "--rev", "ensemble-10"]) == 0
    assert json.loads((root / "metrics/sweep/ensemble-10.json").read_text())["train"]["ensemble"] == 10
    assert sweep.main(["lost", "--rev", "no-such-run"]) == 1
    assert "'no-such-run' is neither a git revision nor one DVC experiment's name" in capsys.readouterr().err

import sys

import pytest

from hhforecast.core.errors import HHForecastError
from hhforecast.ops import runlog
from hhforecast.serving import store


@pytest.mark.parametrize(
    ("command", "code", "status", "detail", "problem"),
    [
        ([sys.executable, "-c", "pass"], 0, "succeeded", "-c pass", None),
        ([sys.executable, "-c", "raise SystemExit(4)"], 4, "failed", "raise SystemExit(4) (exit status 4)", None),
        (["/no/such/command"], 127, "failed", "/no/such/command (exit status 127)", "cannot run /no/such/command: "),
    ],
)
def test_every_run_is_recorded_with_its_status_and_a_command_that_cannot_run_says_why(
    tmp_path, monkeypatch, command, code, status, detail, problem
):
    monkeypatch.chdir(tmp_path)  # no model here: the run records no model version
    done = runlog.run(tmp_path / "mlops.db", "pipeline", command, [])
    assert done.exit_status == code
    assert (done.problem or "").startswith(problem or "") and (done.problem is None) == (problem is None)
    [run] = store.read_runs(tmp_path / "mlops.db").itertuples()
    assert (run.kind, run.status) == ("pipeline", status) and run.detail.endswith(detail)


def test_no_command_is_refused_before_anything_is_recorded(tmp_path):
    with pytest.raises(HHForecastError, match="runlog: give the command to run after --"):
        runlog.run(tmp_path / "mlops.db", "pipeline", [], [])
    assert not (tmp_path / "mlops.db").exists()

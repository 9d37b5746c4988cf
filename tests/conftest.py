"""Shared fixtures and helpers: the repository's params, tiny raw exports written on the fly, a small synthetic
world, throwaway git + DVC repositories, and `hh` run in the test's own process."""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

# gto (the model registry) configures logging when imported: logging.config.dictConfig closes every handler
# open in the process, and absl's (TensorFlow's) then closes its stream, pytest's capture of stderr, unless
# that is sys.stderr at that moment (not so while a test redirects it, or after DVC's colorama wrapped it).
# Imported here, before anything imports TensorFlow, as `hh` imports it before loading a model.
import gto.api  # noqa: F401
import openpyxl
import pytest
import yaml

from hhforecast import cli, config

REPO = Path(__file__).resolve().parents[1]

EVENTS_HEADER = ["WO Defect No", "Action", "Registration", "Defect Type", "Date Raised", "HH Actual"]
UTILIZATION_HEADER = ["Date", "Registration", "Flight Hours", "Cycles", "Manufacture Date"]


@pytest.fixture(scope="session")
def params() -> config.Params:
    return config.load(REPO / "params.yaml")


def write_workbook(path: Path, rows: Sequence[Sequence[object]], sheet: str = "Defects") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = openpyxl.Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    for row in rows:
        worksheet.append(list(row))
    workbook.save(path)
    return path


def event_rows(n: int = 3, start: dt.datetime = dt.datetime(2020, 2, 3, 8, 0)) -> list[list[object]]:
    return [[f"D{i}", 1, "PR-AXA", "PILOT", start + dt.timedelta(days=i), 1.5] for i in range(n)]


def utilization_lines(days: int = 35, start: dt.date = dt.date(2020, 1, 6)) -> list[str]:
    return [f"{start + dt.timedelta(days=i):%Y-%m-%d},PR-AXA,9.5,7,2012-05-01" for i in range(days)]


def write_raw(
    root: Path,
    events: Sequence[Sequence[object]] | None = None,
    events_header: Sequence[str] = EVENTS_HEADER,
    utilization: Sequence[str] | None = None,
) -> Path:
    """A minimal valid raw folder: one workbook of events and one CSV of utilization."""
    write_workbook(root / "events_unscheduled" / "events_2020.xlsx", [events_header, *(events or event_rows())])
    csv_path = root / "aircraft_utilization" / "utilization_2020.csv"
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(UTILIZATION_HEADER), *(utilization if utilization is not None else utilization_lines())]
    csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


# A world of 70 weeks and 4-6 aircraft (a second to generate), for tests that run stages on a whole world.
SMALL_WORLD = {"start": dt.date(2016, 10, 3), "weeks": 70, "fleet_start": 4, "fleet_end": 6, "retirements": 1,
               "plateau_weeks": 20, "overlap_days": 7}
SMALL_DRIFT = {"weeks": 8, "used_aircraft": 1}


def small_world(params: config.Params, **update: object) -> dict:
    """params.yaml's synthetic section, as project_copy writes it, for the small world."""
    return {**params.synthetic.model_dump(mode="json"), **SMALL_WORLD, "start": SMALL_WORLD["start"].isoformat(),
            "drift": {**params.synthetic.drift.model_dump(), **SMALL_DRIFT}, **update}


def project_copy(tmp_path: Path, raw_dir: Path, **overrides: dict) -> Path:
    """A working folder with params.yaml pointing at `raw_dir`, where stage scripts can run."""
    values = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    values["data"]["raw_dir"] = str(raw_dir)
    for section, update in overrides.items():
        values[section].update(update)
    work = tmp_path / "project"
    work.mkdir(exist_ok=True)
    (work / "params.yaml").write_text(yaml.safe_dump(values, sort_keys=False), encoding="utf-8")
    return work


@contextlib.contextmanager
def cli_process_state(cwd):
    """What `hh` would get from a fresh process: `cwd` as the working directory (the CLI's repository is
    Path(".")), and the environment and SIGPIPE handler it sets put back afterwards."""
    before, environ, sigpipe = os.getcwd(), dict(os.environ), signal.getsignal(signal.SIGPIPE)
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(before)
        for name in set(os.environ) - set(environ):
            del os.environ[name]
        os.environ.update(environ)
        signal.signal(signal.SIGPIPE, sigpipe)


def hh(cwd, *args) -> subprocess.CompletedProcess[str]:
    """`hh args...` run in this process: a new interpreter per call re-imports pandas, DVC and TensorFlow.
    (The pipeline test runs the installed `hh` in its own process.)"""
    out, err = io.StringIO(), io.StringIO()
    with cli_process_state(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return subprocess.CompletedProcess(["hh", *args], code, out.getvalue(), err.getvalue())


def run_stage(work: Path, stage: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(
        [sys.executable, str(REPO / "stages" / f"{stage}.py")],
        cwd=work, env=env, capture_output=True, text=True, timeout=600,
    )


def weekly_dataset(n: int = 120, seed: int = 0):
    """A small weekly dataset in the pipeline's format, HH linear in the features plus noise."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "date": pd.date_range("2018-01-01", periods=n, freq="7D"),
        "acft": np.linspace(10, 20, n).round(), "sum_daily_hours": rng.uniform(600, 900, n),
        "age_fleet": np.linspace(5, 8, n), "Cycles": rng.integers(400, 700, n).astype(float),
        "sum_uti_mensal": rng.uniform(2500, 3500, n),
    })
    frame["HH"] = 0.2 * frame["sum_daily_hours"] + 3 * frame["acft"] + rng.normal(0, 5, n)
    return frame


def make_bundle(root: Path, seed: int = 0, epochs: int = 3) -> Path:
    """Train a tiny model and write a real bundle under root/models (what `train` writes)."""
    from hhforecast import bundle, features, intervals, model

    data = weekly_dataset(seed=seed)
    x, y = features.xy(data)
    params = config.TrainParams(layers=1, units=8, dropout=0.0, learning_rate=0.01, epochs=epochs, batch_size=16,
                                patience=2, loss="mae", linear_skip=True, seed=seed)
    fitted, _ = model.fit(x[:80], y[:80], x[80:], y[80:], params)
    calibration = intervals.calibrate(y[80:], model.predict(fitted, x[80:]), [0.8, 0.95])
    metadata = {
        "features": features.FEATURES,
        "feature_ranges": {n: [float(data[n].iloc[:80].min()), float(data[n].iloc[:80].max())] for n in features.FEATURES},
        "windows": {"train": ["2018-01-01", "2019-07-08"]},
        "metrics": {"val": {"mae": 1.0}},
    }
    bundle.save(fitted, calibration, metadata, root)
    return root


@pytest.fixture(scope="session")
def bundle_root(tmp_path_factory) -> Path:
    return make_bundle(tmp_path_factory.mktemp("bundle"))


def git_dvc_repo(root: Path) -> Path:
    """An empty git repository with DVC initialized and a committer set."""
    dvc = str(Path(sys.executable).parent / "dvc")
    for command in (["git", "init", "-q"], ["git", "config", "user.email", "ops@example.com"],
                    ["git", "config", "user.name", "ops"], [dvc, "init", "-q"]):
        subprocess.run(command, cwd=root, check=True, capture_output=True)
    # As the project's own .dvc/config: no usage report, which DVC otherwise sends from a daemon after every command.
    (root / ".dvc" / "config").write_text("[core]\n    analytics = false\n", encoding="utf-8")
    return root

"""Shared helpers: the repository's params, tiny raw exports written on the fly, a small synthetic
world, throwaway git + DVC repositories, and `hh` run in the test's own process."""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import importlib.util
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

# gto (the model registry) configures logging when imported: logging.config.dictConfig closes every handler
# open in the process, and absl's (TensorFlow's) then closes its stream, pytest's capture of stderr, unless
# that is sys.stderr at that moment (not so while a test redirects it, or after DVC's colorama wrapped it).
# Imported here, before anything imports TensorFlow, as `hh` imports it before loading a model.
import gto.api  # noqa: F401
import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml

from hhforecast import cli
from hhforecast.core import config

REPO = Path(__file__).resolve().parents[1]

EVENTS_HEADER = ["WO Defect No", "Action", "Registration", "Defect Type", "Date Raised", "HH Actual"]
UTILIZATION_HEADER = ["Date", "Registration", "Flight Hours", "Cycles", "Manufacture Date"]


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
SMALL_WORLD = {
    "start": dt.date(2016, 10, 3),
    "weeks": 70,
    "fleet_start": 4,
    "fleet_end": 6,
    "retirements": 1,
    "plateau_weeks": 20,
    "overlap_days": 7,
}
SMALL_DRIFT = {"weeks": 8, "used_aircraft": 1}


def small_world(params: config.Params, **update: object) -> dict:
    """params.yaml's synthetic section, as project_copy writes it, for the small world."""
    return {
        **params.synthetic.model_dump(mode="json"),
        **SMALL_WORLD,
        "start": SMALL_WORLD["start"].isoformat(),
        "drift": {**params.synthetic.drift.model_dump(), **SMALL_DRIFT},
        **update,
    }


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
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, str(REPO / "stages" / f"{stage}.py")],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def small_weekly_dataset(n: int = 120, seed: int = 0):
    """A small weekly dataset in the pipeline's format, HH linear in the features plus noise."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2018-01-01", periods=n, freq="7D"),
            "acft": np.linspace(10, 20, n).round(),
            "sum_daily_hours": rng.uniform(600, 900, n),
            "age_fleet": np.linspace(5, 8, n),
            "Cycles": rng.integers(400, 700, n).astype(float),
            "sum_uti_mensal": rng.uniform(2500, 3500, n),
        }
    )
    frame["HH"] = 0.2 * frame["sum_daily_hours"] + 3 * frame["acft"] + rng.normal(0, 5, n)
    return frame


def make_bundle(root: Path, seed: int = 0, epochs: int = 3, trained_through: str | None = None) -> Path:
    """Train a tiny model and write a real bundle under root/models (what `train` writes); `trained_through`,
    when given, is recorded as the last week it learned."""
    from hhforecast.dataprep import weekly_dataset
    from hhforecast.forecasting import intervals, keras_model
    from hhforecast.serving import bundle

    data = small_weekly_dataset(seed=seed)
    x, y = weekly_dataset.xy(data)
    params = config.TrainParams(
        layers=1,
        units=8,
        dropout=0.0,
        learning_rate=0.01,
        epochs=epochs,
        batch_size=16,
        patience=2,
        loss="mae",
        architecture="mlp",
        mlp=config.MlpParams(linear_skip=True),
        seed=seed,
    )
    fitted, _ = keras_model.fit(x[:80], y[:80], x[80:], y[80:], params)
    calibration = intervals.calibrate(y[80:], keras_model.predict(fitted, x[80:]), [0.8, 0.95])
    metadata = {
        "features": weekly_dataset.FEATURES,
        "feature_ranges": {
            n: [float(data[n].iloc[:80].min()), float(data[n].iloc[:80].max())] for n in weekly_dataset.FEATURES
        },
        "windows": {"train": ["2018-01-01", "2019-07-08"]},
        "metrics": {"val": {"mae": 1.0}},
    }
    if trained_through is not None:
        metadata["trained_through"] = trained_through
    bundle.save(fitted, calibration, metadata, root)
    return root


def sh(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """A command (git, dvc, ...) run in `cwd`: its stdout; a non-zero exit fails the test with the command and
    what it printed."""
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, f"{' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def git_repo(root: Path) -> Path:
    """An empty git repository with a committer set."""
    for command in (
        ["git", "init", "-q"],
        ["git", "config", "user.email", "ops@example.com"],
        ["git", "config", "user.name", "ops"],
    ):
        subprocess.run(command, cwd=root, check=True, capture_output=True)
    return root


def git_dvc_repo(root: Path) -> Path:
    """An empty git repository with DVC initialized and a committer set."""
    git_repo(root)
    subprocess.run([str(Path(sys.executable).parent / "dvc"), "init", "-q"], cwd=root, check=True, capture_output=True)
    # As the project's own .dvc/config: no usage report, which DVC otherwise sends from a daemon after every command.
    (root / ".dvc" / "config").write_text("[core]\n    analytics = false\n", encoding="utf-8")
    return root


WEEK = {
    "date": "2018-03-05",
    "acft": 12,
    "sum_daily_hours": 750.0,
    "age_fleet": 5.5,
    "Cycles": 550,
    "sum_uti_mensal": 3000.0,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(base: str, path: str, body: object | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@contextlib.contextmanager
def serving(cwd: Path, *args: str, startup_seconds: float = 180):
    """`hh serve` in its own process on a free loopback port, yielding its base URL once /health answers 200.
    A server that exits or does not answer in time fails the test with what it wrote on stderr."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    log = Path(tempfile.mkstemp(prefix="hh-serve-", suffix=".log")[1])
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "hhforecast.cli", "serve", "--port", str(port), *args],
            cwd=cwd,
            env=env,
            stderr=stderr,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            if process.poll() is not None:
                pytest.fail(f"hh serve exited with status {process.returncode}:\n{log.read_text()}")
            try:
                if request(base, "/health")[0] == 200:
                    break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"hh serve did not answer /health within {startup_seconds:g} s:\n{log.read_text()}")
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a server that ignores SIGTERM must not outlive its test
            process.kill()
            process.wait()
        log.unlink(missing_ok=True)


def predictions(start: str, n: int) -> pd.DataFrame:
    """A test window's predictions in the pipeline's format: actual, predicted and both ranges."""
    rng = np.random.default_rng(0)
    predicted = 300 + rng.normal(0, 10, n)
    frame = pd.DataFrame(
        {
            "date": pd.date_range(start, periods=n, freq="7D").strftime("%Y-%m-%d"),
            "actual": predicted + rng.normal(0, 20, n),
            "predicted": predicted,
        }
    )
    for key, width in (("80", 25), ("95", 40)):
        frame[f"lower_{key}"], frame[f"upper_{key}"] = predicted - width, predicted + width
    return frame


# The import walk shared by the stage-deps and layering tests: which hhforecast files a file loads.
PACKAGE = "hhforecast"


def _module_file(name: str) -> Path | None:
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    path = REPO.joinpath(*parts)
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return None


def absolute_module(path: Path, level: int, module: str | None) -> str:
    """The module a `from` import names; a relative one (`from .x import y`) counts from the file's package."""
    if level == 0:
        return module or ""
    return importlib.util.resolve_name("." * level + (module or ""), ".".join(path.parent.relative_to(REPO).parts))


def run_order(body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements of `body` in the order they run: those inside if/with/try/for/while/match blocks and class
    bodies included, those under `if TYPE_CHECKING:` (never run) and inside a function (run when it is called)
    left out."""
    found: list[ast.stmt] = []
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        found.append(node)
        type_checking = isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
        for field in ("orelse", "finalbody") if type_checking else ("body", "orelse", "finalbody"):
            found += run_order(getattr(node, field, []))
        for handler in getattr(node, "handlers", []):
            found += run_order(handler.body)
        for case in getattr(node, "cases", []):
            found += run_order(case.body)
    return found


def imported_modules(path: Path, on_import: bool = False) -> set[str]:
    """Module names a file imports, anywhere in it (imports inside functions count: they run too); with
    `on_import`, only those that importing the file runs (none inside a function)."""
    names: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in run_order(tree.body) if on_import else ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (module := absolute_module(path, node.level, node.module)):
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return names


def package_files(script: Path, on_import: bool = False) -> set[str]:
    """Every hhforecast file a script loads, transitively, as repository paths (each package's __init__ too);
    with `on_import`, those that importing it loads (imports inside functions left out)."""
    seen: set[Path] = set()
    todo = [script]
    while todo:
        for name in imported_modules(todo.pop(), on_import):
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__ first
                found = _module_file(".".join(parts[:depth]))
                if found is not None and found not in seen:
                    seen.add(found)
                    todo.append(found)
    return {p.relative_to(REPO).as_posix() for p in seen}


def report_inputs(**replaced: object):
    """What the report stage reads (`inputs.ReportInputs`), made small: 60 weeks of data, 10 test and 6 production
    weeks, 2 backtest folds, 5 epochs, the drift and monitoring tables and the metric dicts (the evaluation is
    tests/data/eval_example.json). Keyword arguments replace fields."""
    import dataclasses

    from hhforecast.reporting.inputs import ReportInputs

    test, production = predictions("2023-01-02", 10), predictions("2023-03-13", 6)
    curve = pd.DataFrame({"step": range(5), "loss": [50.0, 40, 35, 33, 32]})
    made = ReportInputs(
        dataset=small_weekly_dataset(60),
        test=test,
        production=production,
        folds=pd.DataFrame(
            {
                "fold": [1, 2],
                "test_start": ["2022-01-03", "2022-04-04"],
                "test_end": ["2022-03-28", "2022-06-27"],
                "mae": [30.0, 35.0],
                "mae_linear": [32.0, 33.0],
                "mae_gbm": [50.0, 55.0],
            }
        ),
        train_loss=curve,
        val_loss=curve.assign(loss=curve["loss"] + 5),
        drift=pd.DataFrame(
            {
                "feature": ["acft", "age_fleet"],
                "psi": [0.1, 7.0],
                "ks_pvalue": [0.5, 1e-9],
                "mean_shift_sd": [0.1, 5.0],
                "std_ratio": [1.0, 1.0],
                "status": ["ok", "alert"],
            }
        ),
        monitor_weekly=pd.DataFrame(
            {
                "date": production["date"],
                "abs_error": [10.0, 20, 30, 25, 15, 40],
                "mae_4w": [np.nan] * 3 + [21.25, 22.5, 27.5],
                "mae_13w": [np.nan] * 6,
            }
        ),
        quality={
            "weeks": 60,
            "first_week": "2018-01-01",
            "last_week": "2019-02-18",
            "missing_weeks": 0,
            "rows": {
                "events_kept": 90,
                "events_read": 100,
                "utilization_kept": 500,
                "rejected_by_reason": {
                    "events": {"duplicate": 10, "source_not_kept": 31},
                    "utilization": {"superseded": 2},
                },
            },
        },
        evaluation=json.loads((REPO / "tests" / "data" / "eval_example.json").read_text(encoding="utf-8")),
        monitor={
            "status": "retrain_recommended",
            "retrain_recommended": True,
            "reasons": ["feature age_fleet drifted"],
            "warnings": [],
            "performance": {"mae": 50.0, "validation_mae": 30.0, "coverage_80": 0.6, "coverage_95": 0.8},
            "drift": {
                "age_fleet": {"psi": 7.0, "ks_pvalue": 1e-9, "mean_shift_sd": 5.0, "std_ratio": 1.0, "status": "alert"}
            },
        },
        metadata={
            "windows": {
                "train": ["2018-01-01", "2021-12-27"],
                "val": ["2022-01-03", "2022-12-26"],
                "test": ["2023-01-02", "2023-03-06"],
            },
            "params": {
                "train": {
                    "architecture": "hybrid",
                    "layers": 1,
                    "units": 16,
                    "ensemble": 5,
                    "hybrid": {"skip_terms": ["sum_daily_hours", "sum_daily_hours*age_fleet"]},
                }
            },
            "features": ["acft"],
            "dataset": {"md5": "abc"},
            "best_epoch": 4,
            "members": [{}, {}, {}, {}, {}],
        },
    )
    return dataclasses.replace(made, **replaced)


def tiny_weekly_dataset(n: int = 5, **cells: dict[int, float]) -> pd.DataFrame:
    """A valid weekly (or daily, with n days) dataset of 2 aircraft; `cells` puts values into rows by position."""
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2020-01-06", periods=n, freq="7D").astype("datetime64[us]"),
            "acft": 2.0,
            "sum_daily_hours": 140.0,
            "age_fleet": 8.0,
            "Cycles": 98.0,
            "sum_uti_mensal": 560.0,
            "HH": 12.5,
        }
    )
    for column, values in cells.items():
        for row, value in values.items():
            frame.loc[row, column] = value
    return frame


def clone_env() -> dict[str, str]:
    """The environment for the project's tools run on a clone: this venv's bin first, no inherited PYTHONPATH."""
    bin_dir = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "PYTHONPATH": "",
        "DVC_NO_ANALYTICS": "1",
    }


def dvc(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dvc"), *args],
        cwd=work,
        env=clone_env(),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, f"dvc {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


# Monitoring settings for the report's and the thesis's figures (the drift figure's thresholds among them).
MONITOR_PARAMS = config.MonitorParams.model_validate(
    {
        "reference_weeks": 52,
        "window_weeks": 8,
        "min_drift_weeks": 8,
        "false_alarm_rate": 0.05,
        "horizon_weeks": 52,
        "error_rise_warn": 0.05,
        "psi_bins": 10,
        "psi_warn": 0.75,
        "psi_alert": 1.5,
        "ks_pvalue": 0.01,
        "max_model_age_weeks": 52,
        "volume_drop_ratio": 0.5,
    }
)

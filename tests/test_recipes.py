"""The scheduling recipes of deploy/ for `hh weekly`: each parsed with the standard library (Airflow and Prefect
are not installed, so their files are read with `ast`, never imported), and each must run `hh weekly` from the
checkout every Monday at 06:00 without counting WARNING (1) or CRITICAL (2) as a failure."""

from __future__ import annotations

import ast
import configparser
import contextlib
import datetime as dt
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.helpers import REPO

DEPLOY = REPO / "deploy"
SCHEDULE = "0 6 * * 1"  # cron: minute 0, hour 6, any day of the month, any month, Monday
LINUX_ROOT, WINDOWS_ROOT = "/srv/hh-forecast", "C:\\hh-forecast"

CRON = "cron/hh-weekly.cron"
SERVICE, TIMER = "systemd/hh-weekly.service", "systemd/hh-weekly.timer"
TASK = "windows/hh-weekly.xml"
DAG = "airflow/hh_weekly_dag.py"
FLOW = "prefect/hh_weekly_flow.py"
TESTED = {CRON, SERVICE, TIMER, TASK, DAG, FLOW}

TASK_NS = "http://schemas.microsoft.com/windows/2004/02/mit/task"
NS = {"t": TASK_NS}


def test_every_recipe_is_tested():
    found = {
        p.relative_to(DEPLOY).as_posix()
        for p in DEPLOY.rglob("*")
        if p.is_file() and p.name != "README.md" and "__pycache__" not in p.parts
    }
    assert found == TESTED


# --- cron -------------------------------------------------------------------------------------------------


def test_cron_line():
    lines = [line for line in (DEPLOY / CRON).read_text(encoding="utf-8").splitlines() if line.strip()]
    entries = [line for line in lines if not line.lstrip().startswith("#")]
    assert len(entries) == 1
    fields = entries[0].split(None, 5)
    assert fields[:5] == SCHEDULE.split()
    command = fields[5]
    assert command.startswith(f"cd {LINUX_ROOT} && ")  # params.yaml is read from the checkout
    assert "flock" in command and "hh weekly" in command
    assert command.index("flock") < command.index(".venv/bin/hh weekly")  # the lock is held around the run
    assert "%" not in command  # cron turns % into a newline


# --- systemd ----------------------------------------------------------------------------------------------


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / name).read_text(encoding="utf-8"), source=name)
    return parser


def test_systemd_service():
    service = unit(SERVICE)["Service"]
    assert service["Type"] == "oneshot"
    assert service["WorkingDirectory"] == LINUX_ROOT
    assert service["ExecStart"] == f"{LINUX_ROOT}/.venv/bin/hh weekly"
    assert service.get("User")
    success = service["SuccessExitStatus"].split()
    assert "1" in success and "2" in success and "3" not in success
    assert service.get("TimeoutStartSec", "").lower() not in ("", "0", "infinity")
    assert "Restart" not in service or service["Restart"] == "no"


def test_systemd_timer():
    timer = unit(TIMER)
    assert timer["Timer"]["OnCalendar"] == "Mon *-*-* 06:00:00"
    assert timer["Timer"]["Persistent"].lower() in ("true", "yes", "on", "1")
    started = timer["Timer"].get("Unit", Path(TIMER).stem + ".service")
    assert started == Path(SERVICE).name
    assert timer["Install"]["WantedBy"] == "timers.target"


# --- Windows Task Scheduler -------------------------------------------------------------------------------


def test_windows_task():
    raw = (DEPLOY / TASK).read_bytes()
    assert raw.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    raw.decode("utf-8")
    task = ET.fromstring(raw)
    assert task.tag == f"{{{TASK_NS}}}Task"

    trigger = task.find("t:Triggers/t:CalendarTrigger", NS)
    assert trigger is not None
    days = trigger.find("t:ScheduleByWeek/t:DaysOfWeek", NS)
    assert days is not None and [day.tag for day in days] == [f"{{{TASK_NS}}}Monday"]
    assert trigger.findtext("t:ScheduleByWeek/t:WeeksInterval", namespaces=NS) == "1"
    start = trigger.findtext("t:StartBoundary", namespaces=NS) or ""
    assert start.endswith("T06:00:00")
    assert dt.datetime.fromisoformat(start).weekday() == 0  # the first run is a Monday too

    action = task.find("t:Actions/t:Exec", NS)
    assert action is not None
    command = action.findtext("t:Command", namespaces=NS) or ""
    assert command.endswith("hh.exe") and command == WINDOWS_ROOT + "\\.venv\\Scripts\\hh.exe"
    assert (action.findtext("t:Arguments", namespaces=NS) or "").strip() == "weekly"
    assert action.findtext("t:WorkingDirectory", namespaces=NS) == WINDOWS_ROOT

    settings = task.find("t:Settings", NS)
    assert settings is not None
    assert settings.findtext("t:MultipleInstancesPolicy", namespaces=NS) == "IgnoreNew"
    assert settings.findtext("t:ExecutionTimeLimit", namespaces=NS) not in (None, "", "PT0S")
    assert settings.find("t:RestartOnFailure", NS) is None  # an exit status is never retried


# --- Airflow and Prefect, read with ast -------------------------------------------------------------------


def parse(name: str) -> ast.Module:
    return ast.parse((DEPLOY / name).read_text(encoding="utf-8"), filename=name)


def constants(tree: ast.Module) -> dict[str, object]:
    """The module's literal top-level assignments (NAME = "...")."""
    found: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            with contextlib.suppress(ValueError, TypeError, SyntaxError):
                found[node.targets[0].id] = ast.literal_eval(node.value)
    return found


def value(node: ast.expr, names: dict[str, object]) -> object:
    return names[node.id] if isinstance(node, ast.Name) else ast.literal_eval(node)


def calls(tree: ast.AST, name: str) -> list[ast.Call]:
    """Calls of `name(...)` or `something.name(...)`."""
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == name)
            or (isinstance(node.func, ast.Attribute) and node.func.attr == name)
        )
    ]


def keyword(call: ast.Call, name: str, names: dict[str, object]) -> object:
    [found] = [k.value for k in call.keywords if k.arg == name]
    return value(found, names)


def has_constant(tree: ast.AST, wanted: object) -> bool:
    return any(isinstance(node, ast.Constant) and node.value == wanted for node in ast.walk(tree))


def airflow_command() -> str:
    tree = parse(DAG)
    [operator] = calls(tree, "BashOperator")
    command = keyword(operator, "bash_command", constants(tree))
    assert isinstance(command, str)
    return command


def test_airflow_dag():
    tree = parse(DAG)
    names = constants(tree)
    assert has_constant(tree, SCHEDULE)
    [dag] = calls(tree, "DAG")
    assert keyword(dag, "schedule", names) == SCHEDULE
    assert keyword(dag, "catchup", names) is False
    assert keyword(dag, "max_active_runs", names) == 1
    [operator] = calls(tree, "BashOperator")
    assert keyword(operator, "retries", names) == 0
    command = airflow_command()
    assert "hh weekly" in command and f"cd {LINUX_ROOT}" in command


@pytest.mark.skipif(sys.platform == "win32" or shutil.which("bash") is None, reason="the DAG's command is bash")
@pytest.mark.parametrize(("status", "passes"), [(0, True), (1, True), (2, True), (3, False)])
def test_airflow_command_fails_the_task_only_on_unknown(tmp_path, status, passes):
    """The DAG's command, run by bash against a stand-in `hh` that exits `status`: only 3 fails the task."""
    fake = tmp_path / ".venv" / "bin" / "hh"
    fake.parent.mkdir(parents=True)
    fake.write_text(f'#!/bin/sh\n[ "$*" = weekly ] || exit 99\nexit {status}\n')
    fake.chmod(0o755)
    command = airflow_command().replace(LINUX_ROOT, str(tmp_path))
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30)
    assert (done.returncode == 0) == passes, done.stdout + done.stderr


@pytest.mark.skipif(sys.platform == "win32" or shutil.which("bash") is None, reason="the DAG's command is bash")
def test_airflow_command_fails_without_the_checkout(tmp_path):
    command = airflow_command().replace(LINUX_ROOT, str(tmp_path / "missing"))
    assert subprocess.run(["bash", "-c", command], capture_output=True, timeout=30).returncode != 0


def test_prefect_flow():
    tree = parse(FLOW)
    names = constants(tree)
    assert has_constant(tree, SCHEDULE)

    # served on the schedule from the __main__ block
    [main] = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test) and "__name__" in ast.unparse(node.test)
    ]
    [serve] = calls(main, "serve")
    assert isinstance(serve.func, ast.Attribute) and isinstance(serve.func.value, ast.Name)
    assert keyword(serve, "cron", names) == SCHEDULE
    assert keyword(serve, "name", names) == "hh-weekly"
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    flow = functions[serve.func.value.id]
    assert "flow" in {ast.unparse(d).split("(")[0] for d in flow.decorator_list}
    assert any("task" in {ast.unparse(d).split("(")[0] for d in f.decorator_list} for f in functions.values())

    # the command, from the checkout, and no check=True (it would raise on WARNING and CRITICAL)
    [popen] = calls(tree, "Popen")
    command = value(popen.args[0], names)
    assert isinstance(command, list) and " ".join(command) == f"{LINUX_ROOT}/.venv/bin/hh weekly"
    assert keyword(popen, "cwd", names) == LINUX_ROOT
    assert not any(k.arg == "check" for call in calls(tree, "run") for k in call.keywords)

    # every raise is guarded by a test of the exit status, true for 3 (and a killed run), false for 0, 1, 2
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    raises = [node for node in ast.walk(tree) if isinstance(node, ast.Raise)]
    assert raises
    for node in raises:
        guard = parents[node]
        assert isinstance(guard, ast.If) and node in guard.body
        compares = [c for c in ast.walk(guard.test) if isinstance(c, ast.Compare)]
        assert any(
            isinstance(op, ast.Eq) and value(right, names) == 3
            for c in compares
            for op, right in zip(c.ops, c.comparators)
            if isinstance(right, ast.Constant | ast.Name)
        )
        [status] = {n.id for n in ast.walk(guard.test) if isinstance(n, ast.Name)} - names.keys()
        check = compile(ast.Expression(guard.test), FLOW, "eval")
        raised = {code for code in (-15, 0, 1, 2, 3) if eval(check, {}, {**names, status: code})}
        assert raised == {3, -15}

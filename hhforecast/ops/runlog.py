"""`hh runlog KIND -- COMMAND`: run a command and record it in the run log (start, end, status, the model
version it left), alerting monitor.notify when it fails, so `hh monitor` sees failed runs."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from hhforecast.core.errors import HHForecastError
from hhforecast.ops import alerts
from hhforecast.serving import bundle, store

CANNOT_RUN = 127  # the shell's exit status for a command that cannot be run


@dataclass(frozen=True)
class Run:
    exit_status: int
    problem: str | None = None  # why the command could not run at all (exit status CANNOT_RUN)


def run(log_path: Path, kind: str, command: list[str], notify: list[str]) -> Run:
    """Run `command`, record it as a run of `kind` in the run log at `log_path`, alert `notify` if it fails."""
    if not command:
        raise HHForecastError("runlog: give the command to run after --")
    run_id = store.start_run(log_path, kind)
    problem = None
    try:
        code = subprocess.call(command)
    except OSError as exc:  # the command does not exist or cannot run: a failed run, not a crash
        code, problem = CANNOT_RUN, f"cannot run {command[0]}: {exc.strerror}"
    line = " ".join(command)
    store.end_run(
        log_path,
        run_id,
        "succeeded" if code == 0 else "failed",
        line + ("" if code == 0 else f" (exit status {code})"),
        bundle.workspace_version(),
    )
    if code != 0 and notify:
        alerts.send(notify, *alerts.run_message(kind, run_id, line, code), "failure")
    return Run(code, problem)

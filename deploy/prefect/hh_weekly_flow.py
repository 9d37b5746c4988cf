"""hh-forecast: the weekly job (`hh weekly`) as a Prefect flow, every Monday at 06:00.

Adapt:
- the path: `REPO` (the checkout: params.yaml at its root, the virtualenv in .venv); the job must start there.
- the user: the account that runs this script (`python hh_weekly_flow.py`, a long-lived process that serves
  the schedule); it must own the checkout.
- the time: the `cron` of `serve` below, in the server's time zone; keep it after the weekly exports land.
- `TIMEOUT_SECONDS`: longer than a week's run with a retrain on this machine.

Exit statuses: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. hh weekly sends its own alerts (monitor.notify in
params.yaml), so the task returns the status for 0, 1 and 2, and raises (the flow run fails) only on 3 (the job
did not do its work) or when the run was killed (a negative status: the timeout, or a signal). No retries.

Prefect is not a dependency of hh-forecast: run this file with a Python that has Prefect installed.
"""

from __future__ import annotations

import os
import signal
import subprocess

from prefect import flow, get_run_logger, task

REPO = "/srv/hh-forecast"
COMMAND = ["/srv/hh-forecast/.venv/bin/hh", "weekly"]
UNKNOWN = 3
TIMEOUT_SECONDS = 4 * 3600


@task(retries=0)
def run_weekly() -> int:
    """`hh weekly` from the checkout; its output into the task's log; the exit status back."""
    logger = get_run_logger()
    with subprocess.Popen(
        COMMAND,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: a hung run is stopped with the dvc it started
    ) as job:
        try:
            output, _ = job.communicate(timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(job.pid, signal.SIGTERM)
            output, _ = job.communicate()
    for line in output.splitlines():
        logger.info(line)
    status = job.returncode
    if status == UNKNOWN or status < 0:
        raise RuntimeError(f"hh weekly did not do its work (exit status {status}); see the log above")
    logger.info("hh weekly: exit status %s (0 OK, 1 WARNING, 2 CRITICAL: alerts sent by hh weekly)", status)
    return status


@flow(name="hh-weekly")
def hh_weekly() -> int:
    return run_weekly()


if __name__ == "__main__":
    hh_weekly.serve(name="hh-weekly", cron="0 6 * * 1")

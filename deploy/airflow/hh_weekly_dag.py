"""hh-forecast: the weekly job (`hh weekly`) as an Airflow DAG, every Monday at 06:00.

Adapt:
- the path: in `COMMAND` (the checkout: params.yaml at its root, the virtualenv in .venv); the job must start there.
- the user: the Airflow worker's account runs the command; it must own the checkout (or use `run_as_user`).
- the time: `SCHEDULE` (minute hour day-of-month month day-of-week), in the time zone of `start_date`; keep it
  after the weekly exports land.

Exit statuses: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. hh weekly sends its own alerts (monitor.notify in
params.yaml), so the task succeeds on 0, 1 and 2: `[ "$s" -le 2 ]` turns them into 0. Exit 3 (the job did not
do its work), a checkout that is not there, a missing `hh` (127) or a run killed by `execution_timeout` fails
the task. retries=0: a failed week is not rerun by Airflow (set retries to change that).

Copy this file to the DAGs folder of an Airflow (2.4 or later) that runs on the machine holding the checkout.
Airflow is not a dependency of hh-forecast: this file imports it, and is only ever loaded by Airflow.
"""

from __future__ import annotations

import datetime as dt

import pendulum

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.operators.bash import BashOperator

SCHEDULE = "0 6 * * 1"
# `cd ... || exit 3`: a missing checkout fails the task (with `&&`, cd's status 1 would pass the check below).
COMMAND = 'cd /srv/hh-forecast || exit 3; .venv/bin/hh weekly; s=$?; echo "hh weekly: exit status $s"; [ "$s" -le 2 ]'

with DAG(
    dag_id="hh_weekly",
    description="hh-forecast weekly job: exports, dataset, forecast, monitoring, retrain when due, alerts",
    doc_md=__doc__,
    schedule=SCHEDULE,
    start_date=pendulum.datetime(2025, 1, 6, tz="UTC"),  # adapt: the site's time zone
    catchup=False,
    max_active_runs=1,
    tags=["hh-forecast"],
) as dag:
    BashOperator(
        task_id="hh_weekly",
        bash_command=COMMAND,
        retries=0,
        execution_timeout=dt.timedelta(hours=4),
    )

"""`hh weekly`: the week's whole job, for cron, systemd, Task Scheduler, Airflow or Prefect.

1. check the raw folder against the contract (skipped, and said so, when data.source is dataset);
2. rebuild the weekly dataset (`dvc repro` up to `join`);
3. forecast the planned weeks (`serve.planned_utilization`) with the production model, logged;
4. score production's logged forecasts on the weeks whose actuals arrived (`hh monitor --from-log`);
5. decide: the monitoring verdict, with the availability checks;
6. retrain, gate and promote when the verdict recommends it, or when the production model's data is
   `monitor.retrain_every_weeks` old, never within `monitor.retrain_cooldown_weeks` of its last week;
7. alert `monitor.notify` through Apprise.

Each step is a run in the run log (kind `weekly:<step>`), inside the job's own run (kind `weekly`, which
`hh monitor`'s availability check looks for). The exit status is monitoring's: 0 OK, 1 WARNING,
2 CRITICAL, 3 UNKNOWN, the last also for a step that could not run. After a promotion the new model is
assessed again, so a healthy refreshed model exits 0. The side effects (dvc, git, the registry) are the
`Steps` a caller hands in, so the job's decisions are tested without running them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hhforecast.core.config import Params
from hhforecast.core.errors import HHForecastError
from hhforecast.ops import checkraw
from hhforecast.ops import status as monitoring
from hhforecast.serving import store

# Who commits a retrain when the repository has no identity of its own (git config user.name / user.email).
GIT_NAME, GIT_EMAIL = "hh-forecast weekly job", "hh-weekly@localhost"


FORECAST_STEP = "forecast"  # the step after which a replay kills a job (ops.replay)


def step_kind(name: str) -> str:
    """The run log's kind for one step of the job."""
    return f"{monitoring.WEEKLY}:{name}"


class StepFailed(HHForecastError):
    """A step of the weekly job could not run: the job stops and exits UNKNOWN, with this reason."""


@dataclass
class Steps:
    """The side effects, one callable each (`default_steps` for the real ones)."""

    check_raw: Callable[[], list[str]]  # problems that would stop the pipeline ([] when the folder is fine)
    rebuild_dataset: Callable[[], None]
    forecast_planned: Callable[[], int | None]  # weeks forecast, None when there is no planned file
    assess: Callable[[], monitoring.Status]
    trained_through: Callable[[], str | None]  # the production model's last learned week
    retrain_and_promote: Callable[[str], str]  # the reason in, what happened out ("promoted v1.2.0 (...)")
    notify: Callable[[monitoring.Status], None]


@dataclass
class Outcome:
    exit_status: int
    steps: list[tuple[str, str, str]] = field(default_factory=list)  # (step, status, detail)
    action: str = ""  # what the job changed: retrained, promoted, refused
    status: monitoring.Status | None = None


def last_retrain(log_path: Path) -> str | None:
    """The data's last week when the job last retrained (the history's newest row whose action says so)."""
    if not log_path.exists():
        return None
    history = store.read_history(log_path)
    done = history.loc[
        history["action"].fillna("").str.startswith(monitoring.RETRAINED) & history["data_through"].notna()
    ]
    return None if done.empty else str(done["data_through"].max())


def retrain_reason(
    status: monitoring.Status, trained_through: str | None, params: Params, retrained: str | None = None
) -> str | None:
    """Why the job retrains this week, or None: the verdict recommends it, or the model's data is
    `retrain_every_weeks` old; never within `retrain_cooldown_weeks` of the production model's last week nor
    of the job's last retrain (`retrained`, its data's last week), so a refused candidate or an alarm that
    stays up does not retrain every week."""
    data_through = status.summary.get("data_through")

    def weeks_since(week: str | None) -> int | None:
        if week is None or data_through is None:
            return None
        return (dt.date.fromisoformat(data_through) - dt.date.fromisoformat(week)).days // 7

    age, since_retrain = weeks_since(trained_through), weeks_since(retrained)
    cooldown = params.monitor.retrain_cooldown_weeks
    if any(weeks is not None and weeks < cooldown for weeks in (age, since_retrain)):
        return None
    if status.summary.get("retrain_recommended"):
        return "monitor: " + ("; ".join(status.summary.get("reasons", [])) or "retrain recommended")
    if age is not None and age >= params.monitor.retrain_every_weeks:
        return f"scheduled: the production model's data ends {age} weeks before the newest week"
    return None


def run(log_path: Path, params: Params, steps: Steps, comment: str | None = None) -> Outcome:
    """The week's job; every step recorded in the run log at `log_path`, the check in the monitoring history.
    Whatever goes wrong, the job's run is ended (failed, with the reason), never left `running`."""
    retrained = last_retrain(log_path)
    job = store.start_run(log_path, monitoring.WEEKLY)
    outcome = Outcome(monitoring.EXIT_UNKNOWN)

    def step(name: str, action: Callable[[], Any], describe: Callable[[Any], str]) -> Any:
        run_id = store.start_run(log_path, step_kind(name))
        try:
            result = action()
        except Exception as exc:
            detail = str(exc) if isinstance(exc, HHForecastError) else f"{type(exc).__name__}: {exc}"
            store.end_run(log_path, run_id, "failed", detail)
            outcome.steps.append((name, "failed", detail))
            raise StepFailed(f"{name}: {detail}") from None
        detail = describe(result)
        store.end_run(log_path, run_id, "succeeded", detail)
        outcome.steps.append((name, "succeeded", detail))
        return result

    def check_raw() -> None:
        problems = steps.check_raw()
        if problems:
            raise StepFailed("; ".join(problems))

    try:
        if params.data.from_dataset:
            step("check-raw", lambda: None, lambda _: checkraw.SKIPPED_FOR_DATASET)
        else:
            step("check-raw", check_raw, lambda _: "the raw folder is fine")
        step("rebuild-dataset", steps.rebuild_dataset, lambda _: "dataset rebuilt")
        step(
            FORECAST_STEP,
            steps.forecast_planned,
            lambda weeks: (
                "no planned utilization file: nothing forecast"
                if weeks is None
                else f"{weeks} planned week(s) forecast and logged"
            ),
        )
        assessed = step("monitor", steps.assess, lambda found: found.name)
        trained_through = step("model", steps.trained_through, lambda week: f"production learned through {week}")
        reason = retrain_reason(assessed, trained_through, params, retrained)
        if reason is not None:
            outcome.action = step("retrain", lambda: steps.retrain_and_promote(reason), lambda done: done)
            if outcome.action.startswith(monitoring.PROMOTED):  # the new model, judged again
                assessed = step("monitor-after-promotion", steps.assess, lambda found: found.name)
        outcome.status, outcome.exit_status = assessed, assessed.exit_status
        row = monitoring.history_row(assessed.summary, assessed.name, assessed.summary.get("model_version"), comment)
        if reason is not None:  # the check after a promotion has no production week yet: keep why it retrained
            row["reasons"] = "; ".join(filter(None, [f"retrained because {reason}", row["reasons"]]))
        store.append_history(log_path, row | {"action": outcome.action or None})
        step("alert", lambda: steps.notify(assessed), lambda _: f"{assessed.name} sent to monitor.notify")
        store.end_run(log_path, job, "succeeded", f"{assessed.name}; {outcome.action or 'no retrain'}")
    except Exception as exc:
        problem = str(exc) if isinstance(exc, HHForecastError) else f"{type(exc).__name__}: {exc}"
        store.end_run(log_path, job, "failed", problem)
        if outcome.status is None:  # the week's check never got its row
            store.append_history(
                log_path,
                {
                    "verdict": monitoring.EXIT_NAMES[monitoring.EXIT_UNKNOWN],
                    "reasons": problem,
                    "action": outcome.action or None,
                    "comment": comment,
                },
            )
        outcome.exit_status = monitoring.EXIT_UNKNOWN
        outcome.steps.append(("job", "failed", problem))
        try:
            monitoring.notify_unknown(params.monitor.notify, f"hh weekly: {problem}")
        except Exception as alert_error:  # the alert path is broken too: the exit status still says UNKNOWN
            outcome.steps.append(("alert", "failed", str(alert_error)))
    return outcome


# --- the real side effects ------------------------------------------------------------------------------

# What a retrain commits: the pipeline's state (the DVC cache holds the model's bytes).
RETRAIN_FILES = ["dvc.lock", "params.yaml", "metrics", "reports", "dvclive"]


def _dvc(repo: Path, *args: str) -> None:
    import subprocess
    import sys

    dvc = str(Path(sys.executable).parent / "dvc")
    done = subprocess.run([dvc, *args], cwd=repo, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise StepFailed(f"dvc {' '.join(args)} failed (exit status {done.returncode}): {' / '.join(tail)}")


def default_steps(repo: Path, params: Params, log_path: Path, say: Callable[[str], None]) -> Steps:
    """The job as it runs in an operated repository: dvc, the registry, git and Apprise."""
    import json

    from hhforecast.core import io, paths
    from hhforecast.serving import batch, bundle, git, lifecycle, registry

    def check_raw() -> list[str]:
        found = checkraw.check_folder(Path(params.data.raw_dir), params)
        if found["verdict"] == "ok":
            return []
        fatal = [f"{f['file']}: {f['error']}" for f in found["files"] if f.get("fatal")]
        return [*found["problems"], *fatal] or [f"{params.data.raw_dir} fails the data contract (hh check-raw)"]

    def forecast_planned() -> int | None:
        planned = repo / params.serve.planned_utilization
        if not planned.exists():
            return None
        made = batch.forecast(str(planned), params, None, log_path, progress=say)
        io.write_csv_atomic(made.forecast, repo / paths.PLANNED_FORECASTS, float_format="%.3f")
        made.record()
        return len(made.forecast)

    def assess() -> monitoring.Status:
        # Production's model is judged, with its own reference errors and last week: after a refused
        # candidate the workspace holds that candidate, not what is served.
        logged = log_path.exists() and not store.read_predictions(log_path).empty
        current = registry.production(repo)
        metadata = None if current is None else json.loads(registry.read_at(repo, current.commit, paths.MODEL_METADATA))
        found = monitoring.assess(params, log_path, from_log=logged, metadata=metadata)
        found.summary["model_version"] = current.version if current else bundle.workspace_version(repo)
        return found

    def trained_through() -> str | None:
        current = registry.production(repo)
        return registry.trained_through_at(repo, current.commit if current else None)

    def retrain_and_promote(reason: str) -> str:
        say(f"retraining: {reason}")
        _dvc(repo, "repro")
        git.commit(repo, RETRAIN_FILES, f"Weekly retrain: {reason}", GIT_NAME, GIT_EMAIL)
        proposal = lifecycle.propose(
            repo,
            params.registry.coverage_tolerance,
            refresh_margin=params.registry.refresh_margin,
        )
        if not proposal.gate.passed:
            return f"{monitoring.RETRAINED}; promotion refused: {'; '.join(proposal.gate.reasons)}"
        version = lifecycle.promote(repo, proposal, lifecycle.recorded_reason(proposal, f"weekly: {reason}"))
        return f"{monitoring.PROMOTED} {registry.ARTIFACT}@{version} ({proposal.gate.rule_name or 'first model'})"

    return Steps(
        check_raw=check_raw,
        rebuild_dataset=lambda: _dvc(repo, "repro", "join"),
        forecast_planned=forecast_planned,
        assess=assess,
        trained_through=trained_through,
        retrain_and_promote=retrain_and_promote,
        notify=lambda found: monitoring.notify(params.monitor.notify, found),
    )

"""The `hh` command: forecasts, the API, the model registry, monitoring, verification and releases.

Each command parses its arguments, calls the library and formats what it returns; the logic lives in
hhforecast's packages (serving.batch, serving.lifecycle, ops.status, ops.runlog, reporting.reproduce,
reporting.tagging).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from hhforecast.core.errors import HHForecastError
from hhforecast.ops.status import EXIT_NAMES, EXIT_UNKNOWN  # loads no pandas: `hh` starts fast

if TYPE_CHECKING:
    from hhforecast.core.config import Params
    from hhforecast.ops.status import Status


def _iso_date(text: str) -> dt.date:
    """An argument that is a calendar day, written YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (expected YYYY-MM-DD)") from None


def _params() -> Params:
    from hhforecast.core import config

    return config.load()


def cmd_predict(args: argparse.Namespace) -> int:
    from hhforecast.serving import batch

    if args.template:
        from hhforecast.serving.predict import planned_template

        print(planned_template(), end="")
        return 0
    if args.input is None:
        print("hh predict: error: a planned-weeks CSV is needed (`hh predict --template` prints one)", file=sys.stderr)
        return USAGE
    params = _params()
    made = batch.forecast(
        args.input,
        params,
        args.rev,
        None if args.no_log else Path(args.log_db or params.serve.prediction_log),
        progress=lambda line: print(f"hh predict: {line}", file=sys.stderr),
    )
    if made.extrapolated:
        print(
            f"hh predict: {made.extrapolated} week(s) lie outside the training range (extrapolation=true)",
            file=sys.stderr,
        )
    result = made.forecast
    text = (
        (result.to_json(orient="records", indent=2) + "\n")
        if args.format == "json"
        else result.to_csv(index=False, float_format="%.3f", lineterminator="\n")
    )
    if args.output:
        from hhforecast.core import io

        io.write_text_atomic(text, args.output)
    else:
        sys.stdout.write(text)
    made.record()
    return 0


TOKEN_VARIABLE = "HH_API_TOKEN"


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost; anything else may be reached from another machine."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from hhforecast.serving import api, registry

    params = _params()
    host = args.host or params.serve.host
    token = os.environ.get(TOKEN_VARIABLE) or None
    if token is None and not is_loopback(host):
        raise HHForecastError(
            f"--host {host} is reachable from other machines: set {TOKEN_VARIABLE} "
            f"(clients then send 'Authorization: Bearer <token>'), or serve on 127.0.0.1"
        )
    bundle, which_model = registry.load_served(Path("."), args.rev)
    print(
        f"hh serve: {which_model}" + ("; bearer token required on /predict and /model" if token else ""),
        file=sys.stderr,
    )
    log_path = None if args.no_log else Path(args.log_db or params.serve.prediction_log)
    app = api.create_app(bundle, log_path, which_model, token)
    uvicorn.run(app, host=host, port=args.port or params.serve.port, log_level="warning", access_log=False)
    return 0


def cmd_promote(args: argparse.Namespace) -> int:
    from hhforecast.serving import lifecycle, registry

    repo = Path(".")
    try:
        settings = _params().registry
        proposal = lifecycle.propose(
            repo, settings.coverage_tolerance, args.force, args.reason, refresh_margin=settings.refresh_margin
        )
    except lifecycle.PromotionRefused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return REFUSED
    if proposal.unpaired is not None:
        print(f"warning: {proposal.unpaired}", file=sys.stderr)
    current, gate = proposal.current, proposal.gate
    print(
        f"candidate: {proposal.commit[:12]} (workspace)   production: "
        f"{registry.ARTIFACT + '@' + current.version if current else 'none yet'}"
    )
    print(gate.table.to_string(float_format=lambda v: f"{v:.3f}"))
    if gate.rule:
        print(f"rule: {gate.rule}")
    if gate.comparison:
        print(f"paired over {gate.paired_weeks} backtest weeks: {gate.comparison}")
    if not gate.passed:
        for reason in gate.reasons:
            print(f"refused: {reason}", file=sys.stderr)
        if not args.force:
            return REFUSED
    version = lifecycle.promote(repo, proposal, lifecycle.recorded_reason(proposal, args.reason))
    print(f"promoted {registry.ARTIFACT}@{version} ({proposal.commit[:12]}) to {registry.PROD}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """The network of two revisions (experiments, commits, tags) on the same backtest weeks, paired."""
    from hhforecast.serving import lifecycle

    compared = lifecycle.compare_revisions(Path("."), args.a, args.b)
    print(
        f"backtest MAE {args.a}: {compared.mae_a:.3f}, {args.b}: {compared.mae_b:.3f} "
        f"over {compared.paired.n_weeks} weeks"
    )
    print(compared.paired.sentence(args.a, args.b))
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from hhforecast.serving import lifecycle, registry

    was, now = lifecycle.rollback(Path("."), args.reason)
    print(f"{registry.PROD} is now {registry.ARTIFACT}@{now.version} (was {was.version})")
    return 0


# Exit status of every command but `hh monitor` (which follows the monitoring-plugin convention, ops.status):
# 0 success; 1 refused or failed, with the reason on stderr (bad input or configuration, check-raw's problems,
# promote's gate, verify's differences); 2 usage error (argparse returns it); 3 an internal error.
REFUSED = ERROR = 1
USAGE = 2  # as argparse's own usage errors
INTERNAL = 3


def cmd_monitor(args: argparse.Namespace) -> int:
    """Exit 0 OK, 1 WARNING, 2 CRITICAL (retrain recommended); UNKNOWN (3) comes from `main` on any error."""
    from hhforecast.ops import status
    from hhforecast.serving import bundle, store

    params = _params()
    log_path = Path(args.log_db or params.serve.prediction_log)
    result = status.assess(params, log_path, args.from_log)
    summary, failed = result.summary, result.failed_runs
    store.append_history(
        log_path, status.history_row(summary, result.name, bundle.workspace_version(), getattr(args, "comment", None))
    )
    if args.json:
        from hhforecast.core.io import rounded

        print(json.dumps(rounded(summary), indent=2, default=str))
    else:
        perf = summary["performance"]
        print(f"{result.name}: " + (_problems(result) or "no alerts"))
        print(
            f"status: {summary['status']}   production weeks: {summary['production_weeks']}   "
            f"model age: {summary['model_age_weeks']} weeks"
        )
        if perf["mae"] is not None:
            print(
                f"MAE {perf['mae']:.1f} (last {params.monitor.window_weeks} weeks: {perf['recent_mae'] or float('nan'):.1f}; "
                f"validation {perf['validation_mae']:.1f}); coverage 80% {perf['coverage_80']:.2f}, 95% {perf['coverage_95']:.2f}"
            )
        print(
            result.drift[["feature", "psi", "ks_pvalue", "mean_shift_sd", "status"]].to_string(
                index=False, float_format=lambda v: f"{v:.3g}"
            )
        )
        for reason in summary["reasons"]:
            print(f"RETRAIN: {reason}")
        for warning in summary["warnings"]:
            print(f"warning: {warning}")
        for skipped in summary.get("skipped", []):
            print(skipped)
        for run in failed:
            print(f"failed run: {run}")
        for problem in result.availability:
            print(f"availability: {problem}")
    if args.notify:
        status.notify(params.monitor.notify, result)
    return result.exit_status


def cmd_weekly(args: argparse.Namespace) -> int:
    """The week's job (hhforecast/ops/weekly.py); exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."""
    from hhforecast.ops import weekly

    params = _params()
    log_path = Path(args.log_db or params.serve.prediction_log)
    from hhforecast.serving import store

    if args.as_of is not None:
        store.run_as_of(dt.datetime.combine(args.as_of, dt.time(6), dt.UTC))
    try:
        steps = weekly.default_steps(
            Path("."), params, log_path, lambda line: print(f"hh weekly: {line}", file=sys.stderr)
        )
        outcome = weekly.run(log_path, params, steps, args.comment)
    finally:
        store.run_as_of(None)
    for name, state, detail in outcome.steps:
        print(f"{name}: {state}: {detail}")
    verdict = outcome.status
    print(
        f"{EXIT_NAMES[outcome.exit_status]}: " + ("no alerts" if verdict is None else _problems(verdict) or "no alerts")
    )
    return outcome.exit_status


def _problems(verdict: Status) -> str:
    """Everything that raised a status, on one line."""
    summary = verdict.summary
    return "; ".join(
        summary["reasons"]
        + summary["warnings"]
        + [f"failed run {f}" for f in verdict.failed_runs]
        + verdict.availability
    )


def cmd_replay(args: argparse.Namespace) -> int:
    """A year of `hh weekly` on the synthetic world (hhforecast/ops/replay.py), then its report
    (hhforecast/reporting/replay.py); 0 when it showed everything it had to, 1 with what it did not."""
    import time

    from hhforecast.core import paths
    from hhforecast.core.errors import ConfigError
    from hhforecast.ops import replay
    from hhforecast.reporting import replay as replay_report

    params = _params()
    if params.replay is None:
        raise ConfigError("replay: section missing from params.yaml")
    started = time.monotonic()
    if not args.report_only:
        replay.run(Path("."), params, lambda line: print(f"hh replay: {line}", file=sys.stderr))
    done = replay.collect(Path("."), params)
    written = replay_report.write(done, paths.REPLAY)
    print(f"wrote {written} ({time.monotonic() - started:.0f} s)")
    for problem in done.missing:
        print(f"not shown: {problem}", file=sys.stderr)
    return ERROR if done.missing else 0


def cmd_history(args: argparse.Namespace) -> int:
    """The monitoring history: one row per check, printed, exported as CSV or drawn."""
    from hhforecast.core.errors import HHForecastError
    from hhforecast.core.io import atomic_path, write_csv_atomic
    from hhforecast.serving import store

    params = _params()
    log_path = Path(args.log_db or params.serve.prediction_log)
    if not log_path.exists():
        raise HHForecastError(f"{log_path}: no monitoring history yet (run `hh monitor` or `hh weekly` first)")
    history = store.read_history(log_path)
    if args.csv:
        write_csv_atomic(history, Path(args.csv))
        print(f"wrote {len(history)} monitoring checks to {args.csv}")
    if args.plot:
        from hhforecast.ops.status import PROMOTED, RETRAINED
        from hhforecast.reporting import figures

        figure = figures.monitoring_history(history, params.report.language, RETRAINED, PROMOTED)
        with atomic_path(args.plot) as tmp:
            tmp.write_bytes(figures.png(figure))
        figures.close(figure)
        print(f"drew {len(history)} monitoring checks in {args.plot}")
    if not args.csv and not args.plot:
        shown = ["run_at", "data_through", "model_version", "mae_4w", "mae_13w", "coverage_80_13w", "verdict"]
        print(history[[*shown, "action", "comment"]].to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    return 0


def cmd_runlog(args: argparse.Namespace) -> int:
    """Run a command and record its start, end, status and the model version; alert when it fails."""
    from hhforecast.ops import runlog

    params = _params()
    done = runlog.run(
        Path(args.log_db or params.serve.prediction_log),
        args.kind,
        [c for c in args.cmd if c != "--"],
        params.monitor.notify,
    )
    if done.problem:
        print(f"hh runlog: {done.problem}", file=sys.stderr)
    return done.exit_status


def cmd_check_raw(args: argparse.Namespace) -> int:
    from hhforecast.ops import checkraw

    params = _params()
    if not args.dir and params.data.from_dataset:
        print(
            json.dumps({"skipped": checkraw.SKIPPED_FOR_DATASET})
            if args.json
            else f"hh check-raw: {checkraw.SKIPPED_FOR_DATASET}"
        )
        return 0
    raw_dir = Path(args.dir) if args.dir else params.data.raw_dir
    result = checkraw.check_folder(raw_dir, params)
    print(json.dumps(result, indent=2, ensure_ascii=False) if args.json else checkraw.format_report(result))
    return 0 if result["verdict"] == "ok" else REFUSED


def cmd_models(args: argparse.Namespace) -> int:
    from hhforecast.serving import lifecycle

    rows = lifecycle.listing(Path("."))
    if args.json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print("no registered versions yet; `hh promote` registers the first")
    else:
        import pandas as pd

        print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Re-run the pipeline and compare every metric with the committed one; 1 on any FAIL."""
    import time

    from hhforecast.reporting import reproduce, verify

    tolerance = _params().verify
    rel_tol, abs_tol = (0.0, 0.0) if args.exact else (tolerance.rel_tolerance, tolerance.abs_tolerance)
    try:
        committed = reproduce.committed_metrics(args.rev)
    except reproduce.VerifyError as exc:
        print(f"verify: error: {exc}", file=sys.stderr)
        return ERROR
    started = time.monotonic()
    if not args.no_repro and not reproduce.rerun_pipeline():
        print("verify: FAIL: dvc repro failed (its output is above)", file=sys.stderr)
        return ERROR
    checks = verify.compare_files(committed, reproduce.workspace_metrics(), rel_tol, abs_tol)
    print(verify.table(checks, only_failures=args.failures_only), end="")
    stated = (
        "exact (no tolerance)"
        if rel_tol == abs_tol == 0
        else f"tolerance: relative {rel_tol:g} or absolute {abs_tol:g}"
    )
    print(
        f"{stated}; largest relative difference {verify.worst(checks):.1e}; "
        f"{'re-run and compared' if not args.no_repro else 'compared'} in {time.monotonic() - started:.0f} s"
    )
    return 0 if all(c.passed for c in checks) else ERROR


def cmd_release(args: argparse.Namespace) -> int:
    """Tag tcc-vVERSION with the headline numbers, only from a clean tree that passes verification."""
    from hhforecast.reporting import release, tagging
    from hhforecast.serving import git

    try:
        tag, message = tagging.tag(args.version, args.verify, args.dvc)
    except release.ReleaseError as exc:
        print(f"release: refused: {exc}", file=sys.stderr)
        return REFUSED
    except git.GitError as exc:
        print(f"release: error: {' '.join(exc.command)}: {exc.stderr}", file=sys.stderr)
        return ERROR
    print(f"release: tagged {tag}:\n{message}\npush it with: git push origin {tag}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hh", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("predict", help="forecast HH for planned weeks (CSV of features or of planned utilization)")
    p.add_argument(
        "input",
        nargs="?",
        help="CSV: date + the five feature columns, or planned aircraft-days in the raw utilization format",
    )
    p.add_argument("--template", action="store_true", help="print a planned-weeks CSV to fill in, and exit")
    p.add_argument("-o", "--output", help="write here instead of stdout")
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.add_argument("--rev", help="model version (e.g. v1.2.0) or git revision; default: the prod stage")
    p.add_argument("--log-db", help="prediction log (default: serve.prediction_log)")
    p.add_argument("--no-log", action="store_true", help="do not append to the prediction log")
    p.set_defaults(func=cmd_predict)

    p = commands.add_parser("serve", help="serve the REST API (FastAPI on uvicorn)")
    p.add_argument("--host", help="default: serve.host (127.0.0.1)")
    p.add_argument("--port", type=int, help="default: serve.port")
    p.add_argument("--rev", help="model version or git revision; default: the prod stage")
    p.add_argument("--log-db", help="prediction log (default: serve.prediction_log)")
    p.add_argument("--no-log", action="store_true")
    p.set_defaults(func=cmd_serve)

    p = commands.add_parser("promote", help="register the committed model and put it in prod, if it passes the gate")
    p.add_argument("--reason", help="why (recorded in the tag and reports/decisions.md)")
    p.add_argument(
        "--force",
        action="store_true",
        help="promote although the gate refuses (a tie, or no comparable production backtest); needs --reason",
    )
    p.set_defaults(func=cmd_promote)

    p = commands.add_parser(
        "compare",
        help="two revisions' networks on the same backtest weeks: paired difference, "
        "95 %% interval, DM p-value, 'tie' inside the noise",
    )
    p.add_argument("a", help="revision, experiment name or 'workspace'")
    p.add_argument("b", nargs="?", default="HEAD", help="revision to compare against (default HEAD)")
    p.set_defaults(func=cmd_compare)

    p = commands.add_parser("rollback", help="put the previous version back in prod")
    p.add_argument("--reason", help="why (recorded in the tag and reports/decisions.md)")
    p.set_defaults(func=cmd_rollback)

    p = commands.add_parser(
        "monitor",
        help="error, drift, volume, failed runs and the retraining verdict "
        "(exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)",
    )
    p.add_argument("--from-log", action="store_true", help="forecasts from the prediction log, not the predict stage")
    p.add_argument("--log-db", help="prediction log (default: serve.prediction_log)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--notify", action="store_true", help="alert monitor.notify's URLs on WARNING, CRITICAL or UNKNOWN")
    p.add_argument("--comment", help="a note kept with this check in the monitoring history")
    p.set_defaults(func=cmd_monitor)

    p = commands.add_parser(
        "weekly",
        help="the week's job: check the raw folder, rebuild the dataset, forecast the planned weeks, monitor, "
        "retrain and promote when due, alert (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)",
    )
    p.add_argument("--comment", help="a note kept with this week's check in the monitoring history")
    p.add_argument("--log-db", help="the operational store (default: serve.prediction_log)")
    p.add_argument(
        "--as-of",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="run as if today were this day, 06:00 UTC (replays, back-fills): the run log, the prediction log, the "
        "history, the decision log and the availability checks use it",
    )
    p.set_defaults(func=cmd_weekly)

    p = commands.add_parser("history", help="the monitoring history: one row per check (print, --csv, --plot)")
    p.add_argument("--csv", help="export it to this CSV file")
    p.add_argument("--plot", help="draw the 4- and 13-week MAE over time, retrains and promotions marked, to this PNG")
    p.add_argument("--log-db", help="the operational store (default: serve.prediction_log)")
    p.set_defaults(func=cmd_history)

    p = commands.add_parser(
        "replay",
        help="replay a year of `hh weekly` on the synthetic world in a clone of this repository, with a late export "
        "and a killed run, and write reports/replay/ (exit 1 when it did not show everything it had to)",
    )
    p.add_argument("--report-only", action="store_true", help="rebuild reports/replay/ from the last replay's clone")
    p.set_defaults(func=cmd_replay)

    p = commands.add_parser(
        "runlog", help="run a command and record it in the run log: hh runlog pipeline -- dvc repro"
    )
    p.add_argument("kind", help="what kind of run: pipeline, retrain, ...")
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    p.add_argument("--log-db", help="run log (default: serve.prediction_log)")
    p.set_defaults(func=cmd_runlog)

    p = commands.add_parser(
        "check-raw", help="check a raw folder against the data contract, without running the pipeline"
    )
    p.add_argument("dir", nargs="?", help="default: data.raw_dir")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_check_raw)

    p = commands.add_parser("models", help="list versions, stages and metrics")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_models)

    p = commands.add_parser(
        "verify", help="re-run the pipeline and compare every metric with the committed one (PASS/FAIL table)"
    )
    p.add_argument(
        "--exact", action="store_true", help="no tolerance: on the machine kind that produced the committed metrics"
    )
    p.add_argument("--no-repro", action="store_true", help="compare the workspace as it is, without re-running")
    p.add_argument("--failures-only", action="store_true", help="list only the keys that fail")
    p.add_argument("--rev", default="HEAD", help="the commit whose metrics are expected (default HEAD)")
    p.set_defaults(func=cmd_verify)

    p = commands.add_parser(
        "release", help="tag tcc-vVERSION with the headline numbers, from a clean tree that passes verification"
    )
    p.add_argument("version", help="major.minor.patch, e.g. 1.0.0")
    p.add_argument("--verify", default="make verify", help="the verification command (default: make verify)")
    p.add_argument("--dvc", default=str(Path(sys.executable).parent / "dvc"), help="the dvc executable")
    p.set_defaults(func=cmd_release)
    return parser


def main(argv: list[str] | None = None) -> int:
    import signal

    if hasattr(signal, "SIGPIPE"):  # POSIX only: Windows has no SIGPIPE
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `hh ... | head` ends quietly
    words = sys.argv[1:] if argv is None else argv
    monitoring = bool(words) and words[0] in ("monitor", "weekly")  # a scheduler reads 3 as UNKNOWN
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: 0 for --help, 2 for a usage error
        return EXIT_UNKNOWN if monitoring and exc.code not in (0, None) else int(exc.code or 0)
    try:
        return int(args.func(args))
    except HHForecastError as exc:
        problem = str(exc)
        print(f"hh {args.command}: error: {problem}", file=sys.stderr)
        code = EXIT_UNKNOWN if monitoring else ERROR
    except Exception as exc:  # a bug or the environment: one line, never taken for a warning
        problem = f"internal error: {type(exc).__name__}: {exc}"
        print(f"hh {args.command}: {problem}", file=sys.stderr)
        if os.environ.get("HH_DEBUG"):
            import traceback

            traceback.print_exc()
        code = EXIT_UNKNOWN if monitoring else INTERNAL
    if monitoring:
        _record_unknown(args, problem)
    if monitoring and getattr(args, "notify", False):
        _notify_unknown(problem)
    return code


def _record_unknown(args: argparse.Namespace, problem: str) -> None:
    """A check that could not run still leaves its row in the monitoring history, as UNKNOWN with the reason."""
    from hhforecast.serving import store

    try:
        log_path = Path(args.log_db or _params().serve.prediction_log)
        row = {"verdict": EXIT_NAMES[EXIT_UNKNOWN], "reasons": problem, "comment": args.comment}
        store.append_history(log_path, row)
    except Exception as exc:  # the store itself is the problem: the exit status still says UNKNOWN
        print(f"hh monitor: error: cannot record the UNKNOWN check in the history: {exc}", file=sys.stderr)


def _notify_unknown(problem: str) -> None:
    """`hh monitor --notify` could not assess: say so on the alert channels too, if they can be reached."""
    from hhforecast.ops import status

    try:
        status.notify_unknown(_params().monitor.notify, problem)
    except Exception as exc:  # the alert path itself is broken: the exit status still says UNKNOWN
        print(f"hh monitor: error: cannot send the UNKNOWN alert: {exc}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())

"""The `hh` command: forecasts, the API, and the model registry."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from hhforecast.core.errors import HHForecastError


def _params():
    from hhforecast.core import config

    return config.load()


def cmd_predict(args: argparse.Namespace) -> int:
    from hhforecast.serving import predict, registry, store

    params = _params()
    log_path = Path(args.log_db or params.serve.prediction_log)
    run_id = None if args.no_log else store.start_run(log_path, "predict")
    try:
        weeks, kind = predict.read_planned(Path(args.input), params)
        bundle, served = registry.load_served(Path("."), args.rev)
        print(f"hh predict: {served}; {len(weeks)} week(s) from {kind} input", file=sys.stderr)
        result = predict.forecast(bundle, weeks)
    except HHForecastError as exc:
        if run_id is not None:
            store.end_run(log_path, run_id, "failed", str(exc))
        raise
    flagged = int(result["extrapolation"].sum())
    if flagged:
        print(f"hh predict: {flagged} week(s) lie outside the training range (extrapolation=true)", file=sys.stderr)
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
    if run_id is not None:
        store.log_predictions(log_path, result, weeks[bundle.features], "batch")
        store.end_run(log_path, run_id, "succeeded", f"{len(result)} weeks from {args.input}", bundle.version)
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
    bundle, served = registry.load_served(Path("."), args.rev)
    print(f"hh serve: {served}" + ("; bearer token required on /predict and /model" if token else ""), file=sys.stderr)
    log_path = None if args.no_log else Path(args.log_db or params.serve.prediction_log)
    app = api.create_app(bundle, log_path, served, token)
    uvicorn.run(app, host=host, port=args.port or params.serve.port, log_level="warning", access_log=False)
    return 0


def cmd_promote(args: argparse.Namespace) -> int:
    from hhforecast.serving import decisions, registry

    params = _params()
    repo = Path(".")
    commit = registry.require_committed_model(repo)
    current = registry.production(repo)
    if args.force and not args.reason:
        print("refused: --force needs --reason '…', recorded in the decision log and the tag", file=sys.stderr)
        return REFUSED
    candidate = registry.backtest_at(repo, None)
    try:
        production = registry.backtest_at(repo, current.commit) if current else None
    except registry.RegistryError as exc:
        if not args.force:
            raise registry.RegistryError(f"{exc}; promote with --force --reason '…' to decide without it") from None
        print(f"warning: {exc}", file=sys.stderr)
        production, args.reason = None, f"promoted without a paired comparison: {args.reason}"
    result = registry.gate(candidate, production, params.registry.coverage_tolerance)
    print(
        f"candidate: {commit[:12]} (workspace)   production: "
        f"{registry.ARTIFACT + '@' + current.version if current else 'none yet'}"
    )
    print(result.table.to_string(float_format=lambda v: f"{v:.3f}"))
    if result.comparison:
        print(f"paired over {len(candidate)} backtest weeks: {result.comparison}")
    if not result.passed:
        for reason in result.reasons:
            print(f"refused: {reason}", file=sys.stderr)
        if not args.force:
            return REFUSED
        args.reason = f"promoted despite the gate ({'; '.join(result.reasons)}): {args.reason}"
    version = registry.next_version(repo)
    reason = args.reason or "passed the promotion gate"
    registry.register_and_promote(repo, commit, version, reason)
    decisions.append(repo, "promote", f"{registry.ARTIFACT}@{version}", reason)
    print(f"promoted {registry.ARTIFACT}@{version} ({commit[:12]}) to {registry.PROD}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """The network of two revisions (experiments, commits, tags) on the same backtest weeks, paired."""
    from hhforecast.evaluation import compare
    from hhforecast.forecasting import forecasters
    from hhforecast.serving import registry

    repo = Path(".")
    tables = {}
    for rev in (args.a, args.b):
        if rev == "workspace":
            tables[rev] = registry.backtest_at(repo, None)
        else:
            tables[rev] = registry.backtest_at(repo, registry.commit_of(repo, rev))
    a, b = tables[args.a], tables[args.b]
    if a["date"].tolist() != b["date"].tolist():
        raise HHForecastError(
            f"{args.a} and {args.b} were backtested on different weeks; compare runs of the same "
            "split and evaluate params"
        )
    paired = compare.paired_abs_error(
        a["actual"].to_numpy(float), a[forecasters.NETWORK].to_numpy(float), b[forecasters.NETWORK].to_numpy(float)
    )
    print(
        f"backtest MAE {args.a}: {(a['actual'] - a[forecasters.NETWORK]).abs().mean():.3f}, "
        f"{args.b}: {(b['actual'] - b[forecasters.NETWORK]).abs().mean():.3f} over {paired.n_weeks} weeks"
    )
    print(paired.sentence(args.a, args.b))
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from hhforecast.serving import decisions, registry

    repo = Path(".")
    current, target = registry.rollback_target(repo)
    reason = args.reason or f"rollback from {current.version}"
    registry.assign_prod(repo, target.version, reason)
    decisions.append(repo, "rollback", f"{registry.ARTIFACT}@{target.version} (from {current.version})", reason)
    print(f"{registry.PROD} is now {registry.ARTIFACT}@{target.version} (was {current.version})")
    return 0


# Exit status of `hh monitor`: the monitoring-plugin convention (Nagios, Icinga, Zabbix, schedulers).
OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
STATUS_NAMES = {OK: "OK", WARNING: "WARNING", CRITICAL: "CRITICAL", UNKNOWN: "UNKNOWN"}
# Every other command: 0 success; 1 refused or failed, with the reason on stderr (bad input or
# configuration, check-raw's problems, promote's gate); 2 usage error (argparse); 3 an internal error.
REFUSED = ERROR = 1
USAGE, INTERNAL = 2, 3


def failed_runs(runs, since) -> list[str]:
    """Failed runs started at or after `since` (UTC), one line each: kind, id, start, what failed."""
    import pandas as pd

    if runs.empty:
        return []
    started = pd.to_datetime(runs["started_at"], utc=True, format="ISO8601")
    failed = runs.loc[(runs["status"] == "failed") & (started >= since)]
    return [f"{r.kind} #{r.id} started {r.started_at}: {r.detail or 'failed'}" for r in failed.itertuples()]


def cmd_monitor(args: argparse.Namespace) -> int:
    """Exit 0 OK, 1 WARNING, 2 CRITICAL (retrain recommended); UNKNOWN (3) comes from `main` on any error."""
    import datetime as dt

    import pandas as pd

    from hhforecast.core import paths
    from hhforecast.ops import monitor
    from hhforecast.serving import store

    params = _params()
    log_path = Path(args.log_db or params.serve.prediction_log)
    if args.from_log:
        if not log_path.exists():
            raise HHForecastError(f"{log_path}: no prediction log")
        logged = store.read_predictions(log_path)
        if logged.empty:
            raise HHForecastError(f"{log_path}: the prediction log holds no forecasts yet")
        forecasts = logged.rename(columns={"week": "date"}).drop_duplicates("date", keep="last")
    else:
        if not paths.PRODUCTION_PREDICTIONS.exists():
            raise HHForecastError(f"{paths.PRODUCTION_PREDICTIONS}: not found (run the pipeline first)")
        forecasts = pd.read_csv(paths.PRODUCTION_PREDICTIONS)
    summary, _, drift = monitor.assess_workspace(params, forecasts)
    code = {monitor.HEALTHY: OK, monitor.WARNING: WARNING, monitor.RETRAIN: CRITICAL}[int(summary["exit_code"])]
    failed: list[str] = []
    if log_path.exists():
        runs = store.read_runs(log_path)
        since = dt.datetime.now(dt.UTC) - dt.timedelta(weeks=params.monitor.window_weeks)
        failed = failed_runs(runs, since)
        summary["runs"] = {
            "total": int(len(runs)),
            "failed": int((runs["status"] == "failed").sum()),
            "failed_in_window": failed,
            "last": runs.iloc[-1][["kind", "started_at", "status", "model_version"]].to_dict() if len(runs) else None,
        }
        if failed:
            code = max(code, WARNING)  # a failed pipeline or retrain run leaves data or model stale
    summary["monitor_status"], summary["monitor_exit_code"] = STATUS_NAMES[code], code
    if args.json:
        from hhforecast.core.io import rounded

        print(json.dumps(rounded(summary), indent=2, default=str))
    else:
        perf = summary["performance"]
        print(
            f"{STATUS_NAMES[code]}: "
            + ("; ".join(summary["reasons"] + summary["warnings"] + [f"failed run {f}" for f in failed]) or "no alerts")
        )
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
            drift[["feature", "psi", "ks_pvalue", "mean_shift_sd", "status"]].to_string(
                index=False, float_format=lambda v: f"{v:.3g}"
            )
        )
        for reason in summary["reasons"]:
            print(f"RETRAIN: {reason}")
        for warning in summary["warnings"]:
            print(f"warning: {warning}")
        for run in failed:
            print(f"failed run: {run}")
    if args.notify and code != OK:
        from hhforecast.ops import alerts

        title, body = alerts.monitor_message(STATUS_NAMES[code], summary["reasons"], summary["warnings"], failed)
        alerts.send(params.monitor.notify, title, body, "failure" if code == CRITICAL else "warning")
    return code


def cmd_runlog(args: argparse.Namespace) -> int:
    """Run a command and record its start, end, status and the model version; alert when it fails."""
    import subprocess

    from hhforecast.serving import bundle, store

    params = _params()
    log_path = Path(args.log_db or params.serve.prediction_log)
    command = [c for c in args.cmd if c != "--"]
    if not command:
        raise HHForecastError("runlog: give the command to run after --")
    run_id = store.start_run(log_path, args.kind)
    try:
        code = subprocess.call(command)
    except OSError as exc:  # the command does not exist or cannot run: a failed run, not a crash
        print(f"hh runlog: cannot run {command[0]}: {exc.strerror}", file=sys.stderr)
        code = 127
    version = bundle.workspace_version()
    store.end_run(
        log_path,
        run_id,
        "succeeded" if code == 0 else "failed",
        " ".join(command) + ("" if code == 0 else f" (exit status {code})"),
        version,
    )
    if code != 0 and params.monitor.notify:
        from hhforecast.ops import alerts

        alerts.send(params.monitor.notify, *alerts.run_message(args.kind, run_id, " ".join(command), code), "failure")
    return code


def cmd_check_raw(args: argparse.Namespace) -> int:
    from hhforecast.ops import checkraw

    params = _params()
    raw_dir = Path(args.dir) if args.dir else params.data.raw_dir
    result = checkraw.check_folder(raw_dir, params)
    print(json.dumps(result, indent=2, ensure_ascii=False) if args.json else checkraw.format_report(result))
    return 0 if result["verdict"] == "ok" else REFUSED


def cmd_models(args: argparse.Namespace) -> int:
    from hhforecast.serving import decisions, registry

    repo = Path(".")
    decided = decisions.read(repo)
    rows = []
    for version in registry.versions(repo):
        metrics = registry.metrics_at(repo, version.commit)
        rows.append(
            {
                "version": version.version,
                "stage": ",".join(version.stages) or "-",
                "commit": version.commit[:12],
                "test_mae": metrics.get("test", {}).get("mae"),
                "backtest_mae": metrics.get("backtest", {}).get("mae_mean"),
                "coverage_80": metrics.get("backtest", {}).get("coverage_80_mean"),
                "registered": version.created_at[:19],
                "last_decision": next((line[2:] for line in reversed(decided) if f"@{version.version}" in line), ""),
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print("no registered versions yet; `hh promote` registers the first")
    else:
        import pandas as pd

        print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hh", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("predict", help="forecast HH for planned weeks (CSV of features or of planned utilization)")
    p.add_argument(
        "input", help="CSV: date + the five feature columns, or planned aircraft-days in the raw utilization format"
    )
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
        "95 % interval, DM p-value, 'tie' inside the noise",
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
    p.set_defaults(func=cmd_monitor)

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
    return parser


def main(argv: list[str] | None = None) -> int:
    import signal

    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `hh ... | head` ends quietly
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    words = sys.argv[1:] if argv is None else argv
    monitoring = bool(words) and words[0] == "monitor"
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: 0 for --help, 2 for a usage error
        return UNKNOWN if monitoring and exc.code not in (0, None) else int(exc.code or 0)
    try:
        return int(args.func(args))
    except HHForecastError as exc:
        problem = str(exc)
        print(f"hh {args.command}: error: {problem}", file=sys.stderr)
        code = UNKNOWN if monitoring else ERROR
    except Exception as exc:  # a bug or the environment: one line, never taken for a warning
        problem = f"internal error: {type(exc).__name__}: {exc}"
        print(f"hh {args.command}: {problem}", file=sys.stderr)
        if os.environ.get("HH_DEBUG"):
            import traceback

            traceback.print_exc()
        code = UNKNOWN if monitoring else INTERNAL
    if monitoring and getattr(args, "notify", False):
        _notify_unknown(problem)
    return code


def _notify_unknown(problem: str) -> None:
    """`hh monitor --notify` could not assess: say so on the alert channels too, if they can be reached."""
    from hhforecast.ops import alerts

    try:
        title, body = alerts.monitor_message(STATUS_NAMES[UNKNOWN], [], [f"monitoring could not run: {problem}"], [])
        alerts.send(_params().monitor.notify, title, body, "failure")
    except Exception as exc:  # the alert path itself is broken: the exit status still says UNKNOWN
        print(f"hh monitor: error: cannot send the UNKNOWN alert: {exc}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())

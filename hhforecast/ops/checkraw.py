"""Check a raw folder against the contract without running the pipeline, and report everything at once.

The same readers and parsers as `ingest` and `clean`, but every problem is
collected instead of stopping at the first: a new user sees the whole picture.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from hhforecast.core.config import Params
from hhforecast.core.contract import alias_lookup, fleet_key, normalize_name
from hhforecast.core.errors import ContractError
from hhforecast.dataprep import clean, ingest, isoweeks

FIRST_ROWS = 5  # row numbers shown per problem
# What the raw-folder check says, in `hh check-raw` and the weekly job, when the data is a weekly dataset.
SKIPPED_FOR_DATASET = (
    "skipped: data.source is dataset, so no raw folder is read (join checks the weekly dataset at data.dataset_path)"
)


def _first_rows(frame: pd.DataFrame, mask: pd.Series) -> list[int]:
    return [int(r) for r in frame.loc[mask.fillna(False), "row"].head(FIRST_ROWS)]


def _problem(
    kind: str, column: str, mask: pd.Series, frame: pd.DataFrame, fatal: bool, detail: str = ""
) -> dict[str, Any] | None:
    count = int(mask.fillna(False).sum())
    if not count:
        return None
    return {
        "kind": kind,
        "column": column,
        "rows": count,
        "first_rows": _first_rows(frame, mask),
        "fatal": fatal,
        "detail": detail,
    }


def _columns(report: ingest.FileReport) -> list[dict[str, Any]]:
    return [
        {"canonical": canonical, "header": header, "alias": normalize_name(header)}
        for canonical, header in report.columns.items()
    ]


def check_events(frame: pd.DataFrame, params: Params) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The cleaner's event rules, each counted on its own (rows it rejects, never fatal), and the date range."""
    table = clean.typed_events(frame, params.contract.events)
    unknown = frame.loc[table["source"].isna() & frame["source"].notna(), "source"].value_counts()
    details = {"unknown_source": ", ".join(f"{v!r} x{n}" for v, n in unknown.head(10).items())}
    problems = [
        _problem(kind, column, failed, frame, False, details.get(kind, ""))
        for kind, column, failed in clean.event_checks(table, frame, params.clean)
    ]
    return [p for p in problems if p], _range(table[params.clean.date_column])


def check_utilization(frame: pd.DataFrame, params: Params) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The cleaner's utilization rules, each counted on its own (any stops the pipeline), and the date range."""
    table = clean.typed_utilization(frame)
    problems = [
        _problem(kind, column, failed, frame, True)
        for kind, column, failed, _ in clean.utilization_checks(table, params.clean)
    ]
    return [p for p in problems if p], _range(table["date"])


def _range(dates: pd.Series) -> dict[str, Any]:
    valid = dates.dropna()
    return {"first": valid.min().strftime("%Y-%m-%d"), "last": valid.max().strftime("%Y-%m-%d")} if len(valid) else {}


def _clean_all(
    frames: list[pd.DataFrame], kind: str, params: Params
) -> tuple[pd.DataFrame | None, dict[str, int], str]:
    """The cleaner over all files at once: kept rows, duplicates and conflicts as it counts them, or why it stops."""
    if not frames:
        return None, {}, ""
    raw = pd.concat(frames, ignore_index=True)
    try:
        if kind == "utilization":
            kept, rejects = clean.clean_utilization(raw, params.clean)
        else:
            kept, rejects = clean.clean_events(raw, params.clean, params.contract.events, None)
    except ContractError as exc:
        return None, {}, str(exc)  # value problems are reported per file too
    counts = rejects["reason"].value_counts()
    return kept, {"duplicate": int(counts.get("duplicate", 0)), "superseded": int(counts.get("superseded", 0))}, ""


def fleets_held(utilization: pd.DataFrame) -> dict[str, int]:
    """Aircraft per fleet (the cleaned utilization's aircraft_type) in the data; {} when no row has a type."""
    if "aircraft_type" not in utilization.columns:
        return {}
    typed = utilization.dropna(subset=["aircraft_type"])
    counts = typed.groupby("aircraft_type")["registration"].nunique().sort_index()
    return {str(fleet): int(n) for fleet, n in counts.items()}


def fleet_problems(utilization: pd.DataFrame, selected: list[str] | None) -> list[str]:
    """data.fleets against the utilization, as clean will apply it: an empty list, rows without a type, or a
    listed fleet that no row has (which would model nothing of it)."""
    if selected is None:
        return []
    if not selected:
        return ["data.fleets is an empty list: name the fleets to model, or null for all"]
    types = utilization["aircraft_type"] if "aircraft_type" in utilization.columns else pd.Series(dtype="string")
    held = set(types.dropna())
    if not held:
        return [f"data.fleets lists {selected}, but no utilization row has an aircraft type to select them by"]
    untyped = int(types.isna().sum())
    problems = (
        [f"data.fleets selects {selected}, but {untyped} utilization row(s) have no aircraft type"] if untyped else []
    )
    return problems + [
        f"data.fleets lists {fleet}, which no utilization row has (the data holds {', '.join(sorted(held))})"
        for fleet in selected
        if fleet_key(fleet) not in held
    ]


def _span(ranges: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """A source's first and last day over all its files."""
    spans = [r for _, r in ranges if r]
    return {"first": min(r["first"] for r in spans), "last": max(r["last"] for r in spans)} if spans else {}


def _gaps(ranges: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Days not covered by any file between consecutive files' date ranges."""
    spans = sorted((pd.Timestamp(r["first"]), pd.Timestamp(r["last"]), name) for name, r in ranges if r)
    gaps, covered_to = [], None
    for first, last, name in spans:
        if covered_to is not None and first > covered_to + pd.Timedelta(days=1):
            gaps.append(
                {
                    "from": (covered_to + pd.Timedelta(days=1)).strftime("%Y-%m-%d"),
                    "to": (first - pd.Timedelta(days=1)).strftime("%Y-%m-%d"),
                    "before": name,
                }
            )
        covered_to = last if covered_to is None else max(covered_to, last)
    return gaps


def check_folder(raw_dir: Path, params: Params) -> dict[str, Any]:
    """Everything about a raw folder; `verdict` is 'fail' when `dvc repro` would stop on it."""
    result: dict[str, Any] = {"raw_dir": str(raw_dir), "files": [], "problems": []}
    try:
        tasks, refused = ingest.scan(raw_dir)
    except ContractError as exc:
        result.update(verdict="fail", problems=[str(exc)])
        return result
    for display, why in refused:
        kind = "events" if display.startswith(ingest.EVENTS_DIR + "/") else "utilization"
        result["files"].append({"file": display, "kind": kind, "error": why, "fatal": True})
    frames: dict[str, list[pd.DataFrame]] = {"events": [], "utilization": []}
    ranges: dict[str, list[tuple[str, dict[str, Any]]]] = {"events": [], "utilization": []}
    for task in tasks:
        entry: dict[str, Any] = {"file": task.display, "kind": task.kind}
        try:
            frame, report, _ = ingest.read_file(task, params.contract, params.ingest)
        except ContractError as exc:
            entry.update(error=str(exc), fatal=True)
            entry["unmatched_headers"] = _unmatched_headers(task, params)
            result["files"].append(entry)
            continue
        checker = check_events if task.kind == "events" else check_utilization
        problems, span = checker(frame, params)
        entry.update(
            rows=len(frame),
            columns=_columns(report),
            problems=problems,
            range=span,
            encoding=report.encoding,
            delimiter=report.delimiter,
            total_rows_skipped=report.total_rows_skipped,
        )
        result["files"].append(entry)
        frames[task.kind].append(frame)
        ranges[task.kind].append((task.display, span))
    cleaned = {kind: _clean_all(frames[kind], kind, params) for kind in frames}
    result["duplicates"] = {kind: counts for kind, (_, counts, _) in cleaned.items()}
    result["gaps"] = {kind: _gaps(ranges[kind]) for kind in ranges}
    fatal = [f"{f['file']}: {f['error']}" for f in result["files"] if f.get("fatal")]
    fatal += [
        f"{f['file']}: {p['rows']} row(s) with {p['kind']} in '{p['column']}', first rows {p['first_rows']}"
        for f in result["files"]
        for p in f.get("problems", [])
        if p["fatal"]
    ]
    fatal += [
        f"utilization missing from {g['from']} to {g['to']} (before {g['before']}): the dataset would have a gap"
        for g in result["gaps"]["utilization"]
    ]
    result["coverage"] = {kind: _span(ranges[kind]) for kind in ranges}
    utilization, _, stopped = cleaned["utilization"]
    if utilization is not None:
        result["fleets"] = fleets_held(utilization)
        fatal += fleet_problems(utilization, params.data.fleets)
    if (
        utilization is not None
        and frames["utilization"]
        and not any(f.get("fatal") for f in result["files"] if f["kind"] == "utilization")
    ):
        if stopped:
            fatal.append(stopped)
        else:
            events = result["coverage"]["events"]
            event_days = (pd.Timestamp(events["first"]), pd.Timestamp(events["last"])) if events else None
            try:
                dataset = isoweeks.dataset_week_range(utilization, params.aggregate.window_days, event_days)
                result["dataset_weeks"] = [dataset[0].isoformat(), dataset[1].isoformat()]
            except ContractError as exc:
                fatal.append(str(exc))
    result["problems"] = fatal
    result["verdict"] = "fail" if fatal else "ok"
    return result


def _unmatched_headers(task: ingest.FileTask, params: Params) -> list[str]:
    """Header cells of a file whose header was not recognized, for the alias hint."""
    contract = params.contract.events if task.kind == "events" else params.contract.utilization
    lookup = alias_lookup(contract.aliases)
    try:
        if task.path.suffix.lower() in ingest.WORKBOOK_SUFFIXES:
            import python_calamine

            workbook = python_calamine.CalamineWorkbook.from_path(str(task.path))
            rows: list[list[Any]] = workbook.get_sheet_by_name(workbook.sheet_names[0]).to_python()[
                : params.contract.header_search_rows
            ]
        else:
            text, _ = ingest.decode_csv(task.path.read_bytes(), task.display)
            delimiter = ingest.sniff_delimiter(text, task.display)
            rows = [list(line.split(delimiter)) for line in text.splitlines()[: params.contract.header_search_rows]]
    except Exception:  # the file is unreadable: the error already says why
        return []
    best = max(rows, key=lambda r: sum(1 for c in r if str(c).strip()), default=[])
    return [str(c) for c in best if str(c).strip() and normalize_name(c) not in lookup]


def format_report(result: dict[str, Any]) -> str:
    """A readable terminal report."""
    lines = [f"raw folder: {result['raw_dir']}"]
    for entry in result["files"]:
        lines.append("")
        if entry.get("error"):
            lines.append(f"✗ {entry['file']}: {entry['error']}")
            if entry.get("unmatched_headers"):
                lines.append(f"    headers not matched by any alias: {entry['unmatched_headers']}")
                lines.append("    add their normalized form to contract.<events|utilization>.aliases in params.yaml")
            continue
        span = entry["range"]
        lines.append(
            f"{'✗' if any(p['fatal'] for p in entry['problems']) else '✓'} {entry['file']}: "
            f"{entry['rows']:,} rows, {span.get('first', '?')} to {span.get('last', '?')}"
            + (f", {entry['encoding']} '{entry['delimiter']}'" if entry["encoding"] else "")
        )
        mapped = ", ".join(f"{c['canonical']} <- {c['header']!r}" for c in entry["columns"])
        lines.append(f"    columns: {mapped}")
        for p in entry["problems"]:
            lines.append(
                f"    {'ERROR' if p['fatal'] else 'reject'}: {p['rows']} row(s) {p['kind']} in "
                f"'{p['column']}', first rows {p['first_rows']}" + (f" ({p['detail']})" if p["detail"] else "")
            )
    lines.append("")
    for kind, counts in result.get("duplicates", {}).items():
        if counts:
            lines.append(
                f"{kind}: {counts['duplicate']} duplicate row(s), {counts['superseded']} conflicting (superseded)"
            )
    for kind, gaps in result.get("gaps", {}).items():
        for gap in gaps:
            lines.append(f"{kind}: no file covers {gap['from']} to {gap['to']} (before {gap['before']})")
    for kind, span in result.get("coverage", {}).items():
        if span:
            lines.append(f"{kind} cover {span['first']} to {span['last']}")
    if "dataset_weeks" in result:
        lines.append(f"dataset weeks: {result['dataset_weeks'][0]} to {result['dataset_weeks'][1]}")
    if "fleets" in result:
        held = result["fleets"]
        lines.append(
            "fleets in the data: " + ", ".join(f"{fleet} ({n} aircraft)" for fleet, n in held.items())
            if held
            else "fleets in the data: no utilization row has an aircraft type, so the data runs as one fleet"
        )
    lines.append("")
    lines.append(f"verdict: {'OK: dvc repro can run on this folder' if result['verdict'] == 'ok' else 'FAIL'}")
    lines += [f"  - {p}" for p in result["problems"]]
    return "\n".join(lines)

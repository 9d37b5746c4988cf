"""Read raw exports once: find the header, map columns to canonical names, keep provenance.

Values are kept as the text the export holds (Excel dates as ISO text); parsing
them is `clean`'s job, so every rule about values lives in one place.
"""

from __future__ import annotations

import csv
import io
import sys
import time
import zipfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import python_calamine

from hhforecast.core.config import ColumnContract, ContractParams, IngestParams
from hhforecast.core.contract import alias_lookup, match_header
from hhforecast.core.errors import ContractError, HHForecastError

EVENTS_DIR = "events_unscheduled"
UTILIZATION_DIR = "aircraft_utilization"
# Every format calamine reads. The zip-based ones get the compression-bomb guard; .xls is an OLE2 file.
ZIP_WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".ods")
WORKBOOK_SUFFIXES = (*ZIP_WORKBOOK_SUFFIXES, ".xls")
CSV_SUFFIXES = (".csv", ".txt")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CSV_DELIMITERS = ";,\t"
MB = 1_000_000


@dataclass(frozen=True)
class FileReport:
    """What one file contributed, for the ingest report and data-quality metrics."""

    file: str
    sheets: tuple[str, ...]
    rows: int
    total_rows_skipped: int
    blank_rows_skipped: int
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> header as written
    encoding: str = ""
    delimiter: str = ""


@dataclass(frozen=True)
class FileTask:
    path: Path
    display: str
    kind: str  # "events" or "utilization"


def guard_workbook(path: Path, params: IngestParams, display: str) -> None:
    """Refuse a workbook that is too big, not what its suffix says, or a compression bomb — before parsing it."""
    size = path.stat().st_size
    if size > params.max_workbook_mb * MB:
        raise ContractError(
            f"workbook is {size / MB:.1f} MB, above ingest.max_workbook_mb={params.max_workbook_mb:g}",
            file=display,
        )
    suffix = path.suffix.lower()
    if suffix not in ZIP_WORKBOOK_SUFFIXES:
        with path.open("rb") as handle:
            if handle.read(len(OLE2_MAGIC)) != OLE2_MAGIC:
                raise ContractError(
                    f"not a readable {suffix} workbook (corrupt, truncated, or not an OLE2 file)", file=display
                )
        return
    if not zipfile.is_zipfile(path):
        raise ContractError(
            f"not a readable {suffix} workbook (corrupt, truncated, or not a zip archive)", file=display
        )
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ContractError(f"corrupt {suffix} workbook: {exc}", file=display) from None
    inflated = 0
    for member in members:
        inflated += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > params.max_compression_ratio:
            raise ContractError(
                f"member '{member.filename}' inflates {ratio:.0f}:1, above "
                f"ingest.max_compression_ratio={params.max_compression_ratio:g}:1; refusing a possible compression bomb",
                file=display,
            )
    if inflated > params.max_inflated_mb * MB:
        raise ContractError(
            f"inflates to {inflated / MB:.0f} MB, above ingest.max_inflated_mb={params.max_inflated_mb:g}",
            file=display,
        )


def locate_header(
    rows: Sequence[Sequence[object]],
    contract: ColumnContract,
    search_rows: int,
    *,
    file: str,
    sheet: str | None = None,
) -> tuple[int, dict[int, str]]:
    """Index of the first of the first `search_rows` rows that holds every required column."""
    lookup = alias_lookup(contract.aliases)
    best: tuple[int, dict[int, str]] | None = None
    for index, cells in enumerate(rows[:search_rows]):
        matched = match_header(cells, lookup)
        if all(name in matched.values() for name in contract.required):
            return index, matched
        if matched and (best is None or len(matched) > len(best[1])):
            best = (index, matched)
    if best is None:
        raise ContractError(
            f"no header row in the first {search_rows} rows; expected columns {contract.required}",
            file=file,
            sheet=sheet,
        )
    index, matched = best
    missing = [name for name in contract.required if name not in matched.values()]
    raise ContractError(
        f"header (row {index + 1}) lacks required column(s) {', '.join(repr(m) for m in missing)}; "
        f"found {sorted(matched.values())}. Add the export's header to contract aliases in params.yaml",
        file=file,
        sheet=sheet,
        row=index + 1,
    )


def to_frame(
    body: pd.DataFrame,
    first_row: int,
    matched: dict[int, str],
    contract: ColumnContract,
    *,
    file: str,
    sheet: str,
    kind: str,
) -> tuple[pd.DataFrame, int, int]:
    """Canonical text columns plus provenance; blank and total rows dropped and counted.

    `body` holds the rows below the header, columns by position; `first_row` is the
    1-based file row of its first line, so provenance points at the row a user sees.
    """
    frame = pd.DataFrame(index=body.index)
    for canonical in contract.aliases:
        position = next((pos for pos, name in matched.items() if name == canonical), None)
        if position is not None and position in body.columns:
            frame[canonical] = _as_text(body[position])
        else:
            frame[canonical] = pd.Series(pd.NA, index=body.index, dtype="string")
    blank = frame.isna().all(axis=1)
    total = pd.Series(False, index=body.index)
    if kind == "events":
        candidates = frame["event_id"].isna() & ~blank
        if candidates.any():
            subset = body.loc[candidates].astype("string")
            says_total = subset.apply(lambda col: col.str.contains("total", case=False, na=False)).any(axis=1)
            total.loc[says_total.index] = says_total
    keep = ~(blank | total)
    frame = frame.loc[keep]
    frame.insert(0, "row", (frame.index.to_numpy() + first_row).astype("int64"))
    frame.insert(0, "sheet", pd.Series(sheet, index=frame.index, dtype="string"))
    frame.insert(0, "file", pd.Series(file, index=frame.index, dtype="string"))
    return frame.reset_index(drop=True), int(total.sum()), int(blank.sum())


def _as_text(column: pd.Series) -> pd.Series:
    """Cell values as stripped text; empty cells become <NA>."""
    text = column.astype("string").str.strip()
    return text.mask(text.eq(""))


def read_workbook(
    path: Path, contract: ContractParams, params: IngestParams, display: str, kind: str
) -> tuple[pd.DataFrame, FileReport]:
    guard_workbook(path, params, display)
    columns = _contract_for(contract, kind)
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        sheets = [
            (name, workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)) for name in workbook.sheet_names
        ]
    except HHForecastError:
        raise
    except Exception as exc:  # calamine raises its own types for corrupt xlsx, XML entities, zip errors
        raise ContractError(f"cannot read workbook: {type(exc).__name__}: {exc}", file=display) from None
    frames, totals, blanks, mapped, names = [], 0, 0, {}, []
    for name, rows in sheets:
        if not any(any(str(cell).strip() for cell in row) for row in rows[: contract.header_search_rows]):
            continue  # an empty sheet (notes, a blank tab) carries no data
        header_index, matched = locate_header(rows, columns, contract.header_search_rows, file=display, sheet=name)
        body = pd.DataFrame.from_records(rows[header_index + 1 :]) if len(rows) > header_index + 1 else pd.DataFrame()
        frame, total, blank = to_frame(body, header_index + 2, matched, columns, file=display, sheet=name, kind=kind)
        header = rows[header_index]
        mapped.update({canonical: str(header[pos]) for pos, canonical in matched.items()})
        frames.append(frame)
        totals, blanks = totals + total, blanks + blank
        names.append(name)
    if not frames:
        raise ContractError("workbook has no sheet with data", file=display)
    frame = pd.concat(frames, ignore_index=True)
    return frame, FileReport(display, tuple(names), len(frame), totals, blanks, mapped)


def decode_csv(data: bytes, display: str) -> tuple[str, str]:
    """Text and encoding name: UTF-8 (with or without BOM), else cp1252; anything else is refused."""
    if not data.strip():
        raise ContractError("file is empty", file=display)
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise ContractError(
            "unknown encoding (NUL bytes: UTF-16 or binary); save the export as UTF-8 or cp1252", file=display
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ContractError(
            f"unknown encoding: byte 0x{data[exc.start]:02x} is neither UTF-8 nor cp1252", file=display, row=line
        ) from None


def sniff_delimiter(text: str, display: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in CSV_DELIMITERS}
        delimiter = max(counts, key=lambda candidate: counts[candidate])
        if counts[delimiter] == 0:
            raise ContractError("cannot detect the delimiter (expected ';', ',' or tab)", file=display) from None
        return delimiter


def read_delimited(path: Path, contract: ContractParams, display: str, kind: str) -> tuple[pd.DataFrame, FileReport]:
    text, encoding = decode_csv(path.read_bytes(), display)
    delimiter = sniff_delimiter(text, display)
    columns = _contract_for(contract, kind)
    head = list(
        csv.reader(io.StringIO("\n".join(text.splitlines()[: contract.header_search_rows])), delimiter=delimiter)
    )
    header_index, matched = locate_header(head, columns, contract.header_search_rows, file=display)
    try:
        body = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            skiprows=header_index + 1,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            names=range(len(head[header_index])),
            engine="c",
        )
    except pd.errors.ParserError as exc:
        raise ContractError(f"malformed CSV: {exc}", file=display) from None
    frame, total, blank = to_frame(body, header_index + 2, matched, columns, file=display, sheet="", kind=kind)
    header = head[header_index]
    mapped = {canonical: header[pos] for pos, canonical in matched.items()}
    return frame, FileReport(display, (), len(frame), total, blank, mapped, encoding, delimiter)


def _contract_for(contract: ContractParams, kind: str) -> ColumnContract:
    return contract.events if kind == "events" else contract.utilization


def read_file(task: FileTask, contract: ContractParams, params: IngestParams) -> tuple[pd.DataFrame, FileReport, float]:
    started = time.perf_counter()
    if task.path.suffix.lower() in WORKBOOK_SUFFIXES:
        frame, report = read_workbook(task.path, contract, params, task.display, task.kind)
    else:
        frame, report = read_delimited(task.path, contract, task.display, task.kind)
    return frame, report, time.perf_counter() - started


def refusal(path: Path) -> str | None:
    """Why a file under the raw folders cannot be read, or None when its format is one ingest reads."""
    if path.name.startswith("~$"):
        return "an Office lock file (the workbook is open somewhere): close it, or remove the lock file"
    if path.suffix.lower() not in WORKBOOK_SUFFIXES + CSV_SUFFIXES:
        return (
            f"not a format ingest reads (workbooks {', '.join(WORKBOOK_SUFFIXES)}; "
            f"delimited text {', '.join(CSV_SUFFIXES)}): convert it, or move it out of the raw folder"
        )
    return None


def scan(raw_dir: Path) -> tuple[list[FileTask], list[tuple[str, str]]]:
    """Every file under the two contract folders, in name order: the readable ones, and the refused with why."""
    if not raw_dir.is_dir():
        raise ContractError("raw data folder does not exist (see data.raw_dir in params.yaml)", file=str(raw_dir))
    tasks: list[FileTask] = []
    refused: list[tuple[str, str]] = []
    for folder, kind in ((EVENTS_DIR, "events"), (UTILIZATION_DIR, "utilization")):
        base = raw_dir / folder
        files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else []
        readable = [p for p in files if refusal(p) is None]
        refused += [(p.relative_to(raw_dir).as_posix(), reason) for p in files if (reason := refusal(p)) is not None]
        if not readable:
            raise ContractError(f"no workbook or CSV found under {folder}/", file=str(raw_dir))
        tasks += [FileTask(p, p.relative_to(raw_dir).as_posix(), kind) for p in readable]
    return tasks, refused


def discover(raw_dir: Path) -> list[FileTask]:
    """Every file under the two contract folders, which must all be readable: nothing is skipped in silence."""
    tasks, refused = scan(raw_dir)
    if refused:
        (first, why), more = refused[0], len(refused) - 1
        raise ContractError(
            why + (f" ({more} more file(s) refused: {', '.join(r[0] for r in refused[1:6])})" if more else ""),
            file=first,
        )
    return tasks


def read_files(
    tasks: list[FileTask], contract: ContractParams, params: IngestParams, *, progress: bool = True
) -> list[tuple[pd.DataFrame, FileReport, float]]:
    """Read every file, in parallel when several; results in task order.

    The largest files start first, so two workers finish together instead of one
    waiting on the biggest workbook at the end.
    """
    workers = min(params.workers, len(tasks))
    if workers <= 1:
        results = []
        for task in tasks:
            results.append(read_file(task, contract, params))
            _progress(progress, task, results[-1])
        return results
    by_size = sorted(range(len(tasks)), key=lambda i: -tasks[i].path.stat().st_size)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {i: pool.submit(read_file, tasks[i], contract, params) for i in by_size}
        results = []
        for i, task in enumerate(tasks):
            results.append(futures[i].result())
            _progress(progress, task, results[-1])
    return results


def ingest_folder(
    raw_dir: Path, contract: ContractParams, params: IngestParams, *, progress: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame, list[FileReport]]:
    """Read every raw file; events and utilization tables plus per-file reports."""
    tasks = discover(raw_dir)
    results = read_files(tasks, contract, params, progress=progress)
    tables = {}
    for kind in ("events", "utilization"):
        frames = [frame for task, (frame, _, _) in zip(tasks, results, strict=True) if task.kind == kind]
        tables[kind] = pd.concat(frames, ignore_index=True)
    return tables["events"], tables["utilization"], [report for _, report, _ in results]


def _progress(enabled: bool, task: FileTask, result: tuple[pd.DataFrame, FileReport, float]) -> None:
    if enabled:
        _, report, seconds = result
        print(f"ingest: {task.display}: {report.rows:,} rows in {seconds:.1f} s", file=sys.stderr, flush=True)

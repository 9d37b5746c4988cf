"""Writing the world the way airline systems export it, mess included, and its truth beside it.

Yearly overlapping exports, two languages, title and total rows, several spellings of every
value and the world's invalid rows among the valid ones. Rendering has its own generator,
seeded from the world's seed, so the same params give byte-identical files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import numpy as np
import pandas as pd
from openpyxl import Workbook

from hhforecast.core import io
from hhforecast.core.contract import EXCEL_EPOCH
from hhforecast.synth import truthdist
from hhforecast.synth.defects import defect_law
from hhforecast.synth.layout import (
    EVENT_SHEETS,
    EVENT_TITLES,
    EVENT_TOTAL_LABEL,
    UTILIZATION_STYLES,
    event_layout,
    event_windows,
    utilization_style,
    utilization_windows,
)
from hhforecast.synth.truthdist import HH_UNITS_PER_HOUR
from hhforecast.synth.world import FH_UNITS_PER_HOUR, World

FIXED_TIMESTAMP = dt.datetime(2000, 1, 1)
XLSX_TIMESTAMP = b"2000-01-01T00:00:00Z"

# How exports spell each source (case varies per row); all map through contract.events.sources.
SOURCE_SPELLINGS: dict[str, tuple[str, ...]] = {
    "PILOT": ("PILOT", "Pilot Report", "PIREP", "Piloto"),
    "CABIN": ("CABIN", "Cabin Report", "Cabine"),
    "MECH": ("MECH", "MAREP", "MIREP", "MX Report", "Manutenção"),
    "AUTH": ("AUTH", "Authority"),
}


def write_world(
    world: World, raw_dir: Path, truth_dir: Path, progress: Callable[[Path, int], None] | None = None
) -> None:
    """Write the messy raw exports and the truth; each tree is built aside and swapped in whole.

    `progress(path, rows)` is called once per file written, with its final path.
    """
    raw_dir, truth_dir = Path(raw_dir), Path(truth_dir)
    rng = np.random.default_rng([world.params.seed, 1])
    with _staged_dir(raw_dir) as tmp_raw, _staged_dir(truth_dir) as tmp_truth:
        for name, rows in _write_events(world, tmp_raw / "events_unscheduled", rng):
            _report(progress, raw_dir / "events_unscheduled" / name, rows)
        for name, rows in _write_utilization(world, tmp_raw / "aircraft_utilization", rng):
            _report(progress, raw_dir / "aircraft_utilization" / name, rows)
        for name, rows in _write_truth(world, tmp_truth):
            _report(progress, truth_dir / name, rows)


def _report(progress: Callable[[Path, int], None] | None, path: Path, rows: int) -> None:
    if progress is not None:
        progress(path, rows)


@contextlib.contextmanager
def _staged_dir(target: Path) -> Iterator[Path]:
    """Build a folder beside `target` and swap it in on success, so no half-written tree is seen.

    A directory cannot replace another in one rename, so the old tree is first renamed away,
    then deleted; on failure the staging folder is removed and `target` is left as it was.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    os.chmod(staging, 0o755)  # mkdtemp creates 0700
    retired = None
    if target.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        os.replace(target, retired / target.name)
    os.replace(staging, target)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def _registration_forms(registration: np.ndarray, rng: np.random.Generator) -> list[str]:
    """'PR-EAB', 'PREAB' or ' pr-eab', chosen per row."""
    variant = rng.integers(0, 3, size=len(registration))
    return [r if v == 0 else r.replace("-", "") if v == 1 else " " + r.lower() for r, v in zip(registration, variant)]


def _source_forms(source: np.ndarray, rng: np.random.Generator) -> list[str]:
    """A spelling of each canonical source, in a random case."""
    pick = rng.random(len(source))
    case = rng.integers(0, 4, size=len(source))
    out = []
    for s, p, c in zip(source, pick, case):
        options = SOURCE_SPELLINGS[s]
        text = options[int(p * len(options))]
        out.append(text if c == 0 else text.upper() if c == 1 else text.lower() if c == 2 else text.title())
    return out


def _ata_forms(ata: np.ndarray, rng: np.random.Generator) -> list[str]:
    """'21', '21-51' or 'ATA 21'."""
    variant = rng.integers(0, 3, size=len(ata))
    return [a[:2] if v == 0 else a if v == 1 else f"ATA {a[:2]}" for a, v in zip(ata, variant)]


def _hh_forms(units: np.ndarray, rng: np.random.Generator) -> list[object]:
    """HH as a number cell, a decimal-comma string '1,35' or an h:mm string '01:21'."""
    variant = rng.integers(0, 3, size=len(units))
    out: list[object] = []
    for u, v in zip(units.tolist(), variant):
        if v == 0:
            out.append(u / HH_UNITS_PER_HOUR)
        elif v == 1:
            out.append(f"{u // HH_UNITS_PER_HOUR},{(u % HH_UNITS_PER_HOUR) * 5:02d}")
        else:
            minutes = u * 60 // HH_UNITS_PER_HOUR
            out.append(f"{minutes // 60:02d}:{minutes % 60:02d}")
    return out


def _datetime_forms(values: np.ndarray, style: str) -> list[object]:
    """Real datetime cells, 'dd/mm/yyyy HH:MM' or 'YYYY-MM-DD HH:MM'."""
    stamps = values.astype("datetime64[us]").tolist()
    if style == "excel":
        return stamps
    fmt = "%d/%m/%Y %H:%M" if style == "dmy" else "%Y-%m-%d %H:%M"
    return [s.strftime(fmt) for s in stamps]


def _event_cells(frame: pd.DataFrame, style: str, rng: np.random.Generator) -> dict[str, list[object]]:
    """Render canonical event rows to per-column cell values."""
    units = np.rint(frame["hh"].to_numpy() * HH_UNITS_PER_HOUR).astype(np.int64)
    return {
        "event_id": frame["event_id"].tolist(),
        "action_id": frame["action_id"].tolist(),
        "registration": _registration_forms(frame["registration"].to_numpy(), rng),
        "source": _source_forms(frame["source"].to_numpy(), rng),
        "raised_at": _datetime_forms(frame["raised_at"].to_numpy(), style),
        "closed_at": _datetime_forms(frame["closed_at"].to_numpy(), style),
        "hh": _hh_forms(units, rng),
        "ata": _ata_forms(frame["ata"].to_numpy(), rng),
        "description": frame["description"].tolist(),
    }


JUNK_FIELD = {
    "missing_event_id": "event_id",
    "unparseable_date": "raised_at",
    "unknown_source": "source",
    "missing_hh": "hh",
    "unparseable_hh": "hh",
    "negative_hh": "hh",
    "hh_above_max": "hh",
}


def _write_events(world: World, folder: Path, rng: np.random.Generator) -> list[tuple[str, int]]:
    """One workbook per year of exported events; returns (file name, data rows) per file."""
    params = world.params
    start = np.datetime64(params.start, "D")
    day = (world.events["raised_at"].to_numpy().astype("datetime64[D]") - start).astype(np.int64)
    written = []
    for window in event_windows(params):
        layout = event_layout(window.year)
        part = world.events[(day >= window.lo) & (day <= window.hi)]
        cells = _event_cells(part, layout["date_style"], rng)
        junk = world.junk[world.junk["year"] == window.year]
        junk_cells = _event_cells(junk, layout["date_style"], rng)
        for i, (reason, bad) in enumerate(zip(junk["reason"], junk["bad_value"])):
            junk_cells[JUNK_FIELD[reason]][i] = bad
        columns = [canonical for canonical, _ in layout["header"]]
        rows = [list(r) for r in zip(*(cells[c] for c in columns))]
        junk_rows = [list(r) for r in zip(*(junk_cells[c] for c in columns))]
        positions = np.sort(rng.integers(0, len(rows) + 1, size=len(junk_rows)))
        for offset, (pos, junk_row) in enumerate(zip(positions, junk_rows)):
            rows.insert(int(pos) + offset, junk_row)

        lo_date = params.start + dt.timedelta(days=window.lo)
        hi_date = params.start + dt.timedelta(days=window.hi)
        titles = [t.format(lo=lo_date, hi=hi_date) for t in EVENT_TITLES[layout["language"]]] + [None]
        head: list[list[object]] = [[t] if t is not None else [] for t in titles[: layout["title_rows"]]]
        head.append([header for _, header in layout["header"]])
        tail: list[list[object]] = []
        if layout["total_row"]:
            total: list[object] = [None] * len(columns)
            total[columns.index("action_id")] = EVENT_TOTAL_LABEL[layout["language"]]
            total[columns.index("hh")] = round(float(part["hh"].sum() + _junk_valid_hh(junk)), 2)
            tail.append(total)
        name = f"defects_{window.year}.xlsx"
        _write_xlsx(folder / name, EVENT_SHEETS[layout["language"]], head + rows + tail)
        written.append((name, len(rows)))
    return written


def _junk_valid_hh(junk: pd.DataFrame) -> float:
    """HH a total row adds up from invalid rows: only those whose HH cell is valid."""
    return float(junk.loc[~junk["reason"].map(JUNK_FIELD).eq("hh"), "hh"].sum())


def _pin_core_timestamps(name: str, data: bytes) -> bytes:
    """openpyxl stamps the save time into docProps/core.xml; pin it so bytes repeat."""
    if name != "docProps/core.xml":
        return data
    for tag in (b"dcterms:created", b"dcterms:modified"):
        data = re.sub(rb"(<" + tag + rb"[^>]*>)[^<]*(</" + tag + rb">)", rb"\g<1>" + XLSX_TIMESTAMP + rb"\g<2>", data)
    return data


def _write_xlsx(path: Path, sheet: str, rows: list[list[object]]) -> None:
    """A one-sheet workbook with fixed properties and zip metadata.

    openpyxl (write_only) writes the package: parts, properties and a date cell style, from a
    one-cell marker row. Its pure-Python cell writer costs ~14 us a cell, ten times the time
    budget at scale 1, so the zip pass swaps the marker sheet data for `rows` rendered here,
    in the same cell forms openpyxl writes (inline strings, numbers, dates as serials).
    """
    workbook = Workbook(write_only=True)
    workbook.properties.creator = "hh-forecast synthetic export"
    workbook.properties.created = FIXED_TIMESTAMP
    workbook.properties.modified = FIXED_TIMESTAMP
    workbook.create_sheet(sheet).append([FIXED_TIMESTAMP])

    def transform(name: str, data: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            date_style = re.search(rb'<c r="A1" s="(\d+)"', data)
            if date_style is None:
                raise RuntimeError("openpyxl wrote no date style for the marker cell")
            body = _sheet_data(rows, date_style.group(1).decode()).encode("utf-8")
            return re.sub(rb"<sheetData>.*</sheetData>", lambda _: body, data, flags=re.S)
        return _pin_core_timestamps(name, data)

    with io.atomic_path(path) as tmp:
        workbook.save(tmp)
        io.normalize_zip(tmp, transform)


COLUMN_LETTERS = [chr(ord("A") + i) for i in range(26)]


def _sheet_data(rows: list[list[Any]], date_style: str) -> str:
    """<sheetData> for rows of None / str / number / datetime cells; empty rows are left out."""
    parts = ["<sheetData>"]
    for r, row in enumerate(rows, start=1):
        cells = []
        for letter, value in zip(COLUMN_LETTERS, row):
            if value is None:
                continue
            if isinstance(value, str):
                space = "" if value == value.strip() else ' xml:space="preserve"'
                cells.append(f'<c r="{letter}{r}" t="inlineStr"><is><t{space}>{xml_escape(value)}</t></is></c>')
            elif isinstance(value, dt.datetime):
                delta = value - EXCEL_EPOCH
                serial = delta.days + delta.seconds / 86400.0
                cells.append(f'<c r="{letter}{r}" s="{date_style}" t="n"><v>{serial!r}</v></c>')
            else:
                cells.append(f'<c r="{letter}{r}" t="n"><v>{float(value)!r}</v></c>')
        if cells:
            parts.append(f'<row r="{r}">{"".join(cells)}</row>')
    parts.append("</sheetData>")
    return "".join(parts)


def _write_utilization(world: World, folder: Path, rng: np.random.Generator) -> list[tuple[str, int]]:
    """One CSV per year of utilization; overlap rows repeat, some conflicting in the earlier file."""
    params = world.params
    util = world.utilization
    start = np.datetime64(params.start, "D")
    day = (util["date"].to_numpy().astype("datetime64[D]") - start).astype(np.int64)
    tenths = np.rint(util["flight_hours"].to_numpy() * FH_UNITS_PER_HOUR).astype(np.int64)
    cycles = util["cycles"].to_numpy().astype(np.int64)
    conflict_rows = world.conflicts["row"].to_numpy()
    wrong_tenths = np.rint(world.conflicts["flight_hours"].to_numpy() * FH_UNITS_PER_HOUR).astype(np.int64)
    wrong_cycles = world.conflicts["cycles"].to_numpy()
    windows = utilization_windows(params)
    written = []
    for index, window in enumerate(windows):
        style = utilization_style(index, window.year)
        header, delimiter, encoding, newline = UTILIZATION_STYLES[style]
        rows = np.flatnonzero((day >= window.lo) & (day <= window.hi))
        fh_file, fc_file = tenths.copy(), cycles.copy()
        # The earlier of two files holding a row is the one whose year ends before the row's day.
        year_end = (dt.date(window.year, 12, 31) - params.start).days
        earlier = day[conflict_rows] > year_end
        fh_file[conflict_rows[earlier]] = wrong_tenths[earlier]
        fc_file[conflict_rows[earlier]] = wrong_cycles[earlier]

        date_fmt = "%d/%m/%Y" if style == "pt" else "%Y-%m-%d"
        dates = _date_strings(util["date"].to_numpy()[rows], date_fmt)
        mfg = _date_strings(util["manufacture_date"].to_numpy()[rows], date_fmt)
        regs = _registration_forms(util["registration"].to_numpy()[rows], rng)
        hhmm = rng.random(len(rows)) < 0.5 if style == "en" else np.zeros(len(rows), bool)
        sep = "," if style == "pt" else "."
        fh_text = [
            f"{t * 6 // 60:02d}:{t * 6 % 60:02d}" if h else f"{t // 10}{sep}{t % 10}"
            for t, h in zip(fh_file[rows].tolist(), hhmm)
        ]
        types = util["aircraft_type"].to_numpy()[rows]
        lines = [delimiter.join(header)]
        lines += [
            delimiter.join((d, r, f, str(c), m, t))
            for d, r, f, c, m, t in zip(dates, regs, fh_text, fc_file[rows].tolist(), mfg, types)
        ]
        name = f"utilization_{window.year}.csv"
        with io.atomic_path(folder / name) as tmp:
            tmp.write_bytes((newline.join(lines) + newline).encode(encoding))
        written.append((name, len(rows)))
    return written


def _date_strings(values: np.ndarray, fmt: str) -> list[str]:
    days = values.astype("datetime64[D]")
    unique, inverse = np.unique(days, return_inverse=True)
    text = [d.strftime(fmt) for d in unique.tolist()]
    return [text[i] for i in inverse]


def _write_truth(world: World, folder: Path) -> list[tuple[str, int]]:
    """weekly_truth.csv, aircraft.csv and planted.json."""
    truth = world.truth.copy()
    truth["date"] = truth["date"].dt.strftime("%Y-%m-%d")
    io.write_csv_atomic(truth, folder / truthdist.TRUTH_FILE, float_format="%.6f")
    aircraft = world.aircraft[
        ["registration", "aircraft_type", "manufacture_date", "in_service_from", "in_service_to", "used_delivery"]
    ].copy()
    for column in ("manufacture_date", "in_service_from", "in_service_to"):
        aircraft[column] = aircraft[column].dt.strftime("%Y-%m-%d")
    io.write_csv_atomic(aircraft, folder / "aircraft.csv")
    io.write_json_atomic(world.planted, folder / "planted.json")
    law = defect_law(world.params)
    io.write_csv_atomic(law, folder / truthdist.DEFECT_LAW_FILE, float_format="%.17g")
    return [
        ("weekly_truth.csv", len(truth)),
        ("aircraft.csv", len(aircraft)),
        ("planted.json", 1),
        (truthdist.DEFECT_LAW_FILE, len(law)),
    ]

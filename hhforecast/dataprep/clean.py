"""Normalize values per the contract, filter, dedupe — and account for every dropped row.

Events with a bad value are rejected with a reason (they are individual records an
export can get wrong); utilization with a bad value stops the pipeline, because a
wrong denominator would silently bias every feature.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from hhforecast.core.config import CleanParams, EventsContract
from hhforecast.core.contract import (
    EVENT_REJECT_REASONS,
    EXCEL_EPOCH,
    UTILIZATION_REJECT_REASONS,
    canonical_source,
    fleet_key,
    map_distinct,
    registration_key,
)
from hhforecast.core.errors import ContractError
from hhforecast.dataprep import isoweeks

REJECT_COLUMNS = ["table", "file", "sheet", "row", "reason", "column", "value"]
_HHMM = r"(?P<h>\d{1,4}):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?"


def parse_hours(values: pd.Series) -> pd.Series:
    """Hours as float from `1.5`, `1,5`, `1.234,5`, `1,234.5`, `01:30` or `-1,5`; NaN if unparseable.

    With both separators the last one is the decimal mark; a lone comma is a decimal comma.
    """
    return map_distinct(values, _parse_hours)


def _parse_hours(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    result = pd.Series(np.nan, index=values.index, dtype="float64")
    clock = text.str.extract(f"^(?P<sign>-?){_HHMM}$")
    is_clock = clock["h"].notna()
    if is_clock.any():
        c = clock.loc[is_clock]
        hours = c["h"].astype(float) + c["m"].astype(float) / 60 + c["s"].fillna("0").astype(float) / 3600
        result.loc[is_clock] = np.where(c["sign"].eq("-"), -hours, hours)
    rest = text.loc[~is_clock & text.notna()]
    comma_decimal = rest.str.contains(",", regex=False) & (
        ~rest.str.contains(".", regex=False) | (rest.str.rfind(",") > rest.str.rfind("."))
    )
    normalized = rest.where(~comma_decimal, rest.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    normalized = normalized.where(comma_decimal, normalized.str.replace(",", "", regex=False))
    plain = normalized.where(normalized.str.fullmatch(r"-?\d+(\.\d*)?|-?\.\d+").fillna(False))
    result.loc[rest.index] = pd.to_numeric(plain, errors="coerce").astype("float64")
    return result


def parse_hh(raw: object) -> float:
    """One HH value as hours (NaN when unparseable)."""
    return float(parse_hours(pd.Series([raw], dtype="object")).iloc[0])


def parse_dates(values: pd.Series) -> pd.Series:
    """Timestamps from Excel serials, `dd/mm/yyyy[ HH:MM[:SS]]` or ISO text; NaT if unparseable."""
    return map_distinct(values, _parse_dates)


def _parse_dates(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    iso = text.str.match(r"^\d{4}-\d{2}-\d{2}").fillna(False)
    if iso.any():
        result.loc[iso] = pd.to_datetime(text.loc[iso], format="ISO8601", errors="coerce").astype("datetime64[us]")
    dmy = text.str.match(r"^\d{1,2}/\d{1,2}/\d{4}").fillna(False)
    if dmy.any():
        parts = text.loc[dmy].str.extract(r"^(\d{1,2}/\d{1,2}/\d{4})(?:[ T](\d{1,2}:\d{2}(?::\d{2})?))?$")
        stamp = parts[0] + " " + parts[1].fillna("00:00").str.replace(r"^(\d{1,2}:\d{2})$", r"\1:00", regex=True)
        result.loc[dmy] = pd.to_datetime(stamp, format="%d/%m/%Y %H:%M:%S", errors="coerce").astype("datetime64[us]")
    serial = text.str.fullmatch(r"\d{1,7}(\.\d+)?").fillna(False)
    if serial.any():
        days = pd.to_numeric(text.loc[serial], errors="coerce")
        days = days.where((days >= 1) & (days < 2958466))
        stamps = EXCEL_EPOCH + pd.to_timedelta(days, unit="D")
        result.loc[serial] = stamps.dt.round("s").astype("datetime64[us]")
    return result


def normalize_identifier(values: pd.Series) -> pd.Series:
    """Text ids; Excel turns `123` into `123.0`, which is the same id."""
    text = values.astype("string").str.strip()
    return text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True).mask(lambda s: s.eq(""))


def typed_utilization(raw: pd.DataFrame) -> pd.DataFrame:
    """Utilization values parsed; NaN/NaT/<NA> where a cell cannot be read."""
    return pd.DataFrame(
        {
            "file": raw["file"],
            "sheet": raw["sheet"],
            "row": raw["row"],
            "date": parse_dates(raw["date"]).dt.normalize(),
            "registration": registration_key(raw["registration"]).mask(lambda s: s.eq("")),
            "flight_hours": parse_hours(raw["flight_hours"]),
            "cycles": pd.to_numeric(raw["cycles"].str.replace(r"\.0+$", "", regex=True), errors="coerce"),
            "manufacture_date": parse_dates(raw["manufacture_date"]).dt.normalize(),
            "aircraft_type": raw["aircraft_type"].astype("string").str.strip().str.upper(),
        }
    )


def utilization_checks(table: pd.DataFrame, params: CleanParams) -> list[tuple[str, str, pd.Series, str]]:
    """The utilization rules as (kind, column, failed rows, message); any failure stops the pipeline."""
    fh, cycles = table["flight_hours"], table["cycles"]
    return [
        (
            "unparseable_date",
            "date",
            table["date"].isna(),
            "unparseable date (expected dd/mm/yyyy, ISO or an Excel date)",
        ),
        ("missing_registration", "registration", table["registration"].isna(), "missing aircraft registration"),
        ("unparseable_hours", "flight_hours", fh.isna(), "unparseable flight hours (expected 9,4 / 9.4 / 09:24)"),
        (
            "hours_out_of_range",
            "flight_hours",
            (fh < 0) | (fh > params.max_flight_hours_per_day),
            f"flight hours outside [0, clean.max_flight_hours_per_day={params.max_flight_hours_per_day:g}]",
        ),
        (
            "bad_cycles",
            "cycles",
            cycles.isna() | (cycles < 0) | (cycles != np.floor(cycles)),
            "not a whole number of cycles >= 0",
        ),
        (
            "unparseable_manufacture_date",
            "manufacture_date",
            table["manufacture_date"].isna(),
            "unparseable manufacture date",
        ),
    ]


def clean_utilization(
    raw: pd.DataFrame, params: CleanParams, fleets: list[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed aircraft-day utilization and its rejects (duplicates, superseded rows, other fleets)."""
    table = typed_utilization(raw)
    for _, column, failed, message in utilization_checks(table, params):
        _refuse(raw, failed, column, message)
    table["cycles"] = table["cycles"].astype("int64")
    kept, dropped = _dedupe(table, ["registration", "date"], ["flight_hours", "cycles", "manufacture_date"])
    rejects = [_rejects("utilization", dropped, dropped["reason"], "date", dropped["date"].dt.strftime("%Y-%m-%d"))]
    if fleets is not None:
        if kept["aircraft_type"].isna().any():
            first = kept.loc[kept["aircraft_type"].isna()].iloc[0]
            raise ContractError(
                f"data.fleets selects {fleets}, but this row has no aircraft type",
                file=first["file"],
                row=int(first["row"]),
                column="aircraft_type",
            )
        other = ~kept["aircraft_type"].isin([fleet_key(f) for f in fleets])
        rejects.append(
            _rejects(
                "utilization", kept.loc[other], "fleet_not_selected", "aircraft_type", kept.loc[other, "aircraft_type"]
            )
        )
        kept = kept.loc[~other]
        if kept.empty:
            raise ContractError(f"data.fleets selects {fleets}, but no utilization row has one of those aircraft types")
    rejected = pd.concat(rejects, ignore_index=True)
    assert set(rejected["reason"]) <= set(UTILIZATION_REJECT_REASONS), "reject reason outside the contract"
    kept = kept.sort_values(["date", "registration"], kind="stable").reset_index(drop=True)
    return kept, rejected


def typed_events(raw: pd.DataFrame, contract: EventsContract) -> pd.DataFrame:
    """Event values parsed; <NA>/NaT/NaN where a cell cannot be read."""
    return pd.DataFrame(
        {
            "file": raw["file"],
            "sheet": raw["sheet"],
            "row": raw["row"],
            "event_id": normalize_identifier(raw["event_id"]),
            "action_id": normalize_identifier(raw["action_id"]),
            "registration": registration_key(raw["registration"]),
            "source": canonical_source(raw["source"], contract.sources),
            "raised_at": parse_dates(raw["raised_at"]),
            "closed_at": parse_dates(raw["closed_at"]),
            "hh": parse_hours(raw["hh"]),
            "ata": raw["ata"].astype("string").str.strip(),
        }
    )


def event_day_range(raw: pd.DataFrame, params: CleanParams) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the events (any source, parseable dates): the events' coverage."""
    days = parse_dates(raw[params.date_column]).dropna().dt.normalize()
    if days.empty:
        raise ContractError(
            f"no event row has a readable '{params.date_column}': cannot tell which weeks the events cover"
        )
    return days.min(), days.max()


def event_checks(table: pd.DataFrame, raw: pd.DataFrame, params: CleanParams) -> list[tuple[str, str, pd.Series]]:
    """The event rules as (reject reason, column, failed rows), in the order clean applies them."""
    return [
        ("missing_event_id", "event_id", table["event_id"].isna()),
        ("unparseable_date", params.date_column, table[params.date_column].isna()),
        ("unknown_source", "source", table["source"].isna()),
        ("missing_hh", "hh", raw["hh"].isna()),
        ("unparseable_hh", "hh", raw["hh"].notna() & table["hh"].isna()),
        ("negative_hh", "hh", table["hh"] < 0),
        ("hh_above_max", "hh", table["hh"] > params.max_hh_per_row),
    ]


def clean_events(
    raw: pd.DataFrame,
    params: CleanParams,
    contract: EventsContract,
    dataset_weeks: tuple[dt.date, dt.date] | None,
    fleet_registrations: set[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Kept events (typed, with their week) and every dropped row with its reason.

    `fleet_registrations`, when given, keeps only events on those aircraft (the selected fleets).
    """
    date_column = params.date_column
    table = typed_events(raw, contract)
    checks = event_checks(table, raw, params)
    reason = pd.Series(pd.NA, index=table.index, dtype="string")
    column = pd.Series(pd.NA, index=table.index, dtype="string")
    for name, col, failed in checks:
        fresh = failed.fillna(False) & reason.isna()
        reason = reason.mask(fresh, name)
        column = column.mask(fresh, col)
    invalid = reason.notna()
    rejected = [
        _rejects(
            "events",
            table.loc[invalid],
            reason.loc[invalid],
            column.loc[invalid],
            _raw_value(raw.loc[invalid], column.loc[invalid]),
        )
    ]
    valid = table.loc[~invalid].copy()
    key = (
        ["event_id", "action_id"]
        if valid["action_id"].notna().all()
        else ["event_id", "action_id", "registration", "source", date_column, "hh"]
    )
    valid["action_id"] = valid["action_id"].fillna("")
    valid, dropped = _dedupe(valid, key, ["registration", "source", date_column, "hh"])
    rejected.append(_rejects("events", dropped, dropped["reason"], "event_id", dropped["event_id"]))
    not_kept = ~valid["source"].isin(params.keep_sources)
    rejected.append(_rejects("events", valid.loc[not_kept], "source_not_kept", "source", valid.loc[not_kept, "source"]))
    valid = valid.loc[~not_kept]
    if fleet_registrations is not None:
        other = ~valid["registration"].isin(fleet_registrations)
        rejected.append(
            _rejects("events", valid.loc[other], "fleet_not_selected", "registration", valid.loc[other, "registration"])
        )
        valid = valid.loc[~other]
    valid["day"] = valid[date_column].dt.normalize()
    valid["week"] = isoweeks.monday_of(valid["day"])
    if dataset_weeks is not None:
        first, last = (pd.Timestamp(d) for d in dataset_weeks)
        outside = (valid["week"] < first) | (valid["week"] > last)
        rejected.append(
            _rejects(
                "events",
                valid.loc[outside],
                "outside_dataset_weeks",
                date_column,
                valid.loc[outside, date_column].dt.strftime("%Y-%m-%d %H:%M"),
            )
        )
        valid = valid.loc[~outside]
    kept = valid.sort_values(["week", "event_id", "action_id", "file", "row"], kind="stable").reset_index(drop=True)
    rejects = pd.concat(rejected, ignore_index=True)
    unknown = set(rejects["reason"]) - set(EVENT_REJECT_REASONS)
    assert not unknown, f"reject reasons outside the contract: {unknown}"
    return kept, rejects


def sort_rejects(rejects: pd.DataFrame) -> pd.DataFrame:
    return rejects.sort_values(["table", "file", "sheet", "row"], kind="stable").reset_index(drop=True)


def _dedupe(table: pd.DataFrame, key: list[str], compare: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the row from the file that sorts last; others are `duplicate` if equal, else `superseded`."""
    ordered = table.sort_values(["file", "sheet", "row"], kind="stable")
    last = ~ordered.duplicated(subset=key, keep="last")
    kept, dropped = ordered.loc[last], ordered.loc[~last].copy()
    if dropped.empty:
        dropped["reason"] = pd.Series(dtype="string")
        return kept, dropped
    winners = kept[key + compare].rename(columns={c: f"{c}__kept" for c in compare})
    paired = dropped[key + compare].reset_index().merge(winners, on=key, how="left").set_index("index")
    same = pd.Series(True, index=paired.index)
    for col in compare:
        a, b = paired[col], paired[f"{col}__kept"]
        same &= (a == b).fillna(False) | (a.isna() & b.isna())
    dropped["reason"] = np.where(same.loc[dropped.index], "duplicate", "superseded")
    return kept, dropped


def _rejects(table: str, rows: pd.DataFrame, reason: object, column: object, value: object) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "table": table,
            "file": rows["file"],
            "sheet": rows["sheet"],
            "row": rows["row"],
            "reason": reason,
            "column": column,
            "value": value,
        },
        index=rows.index,
    )
    return frame.astype({"reason": "string", "column": "string", "value": "string"})[REJECT_COLUMNS]


def _raw_value(raw: pd.DataFrame, columns: pd.Series) -> pd.Series:
    values = pd.Series(pd.NA, index=raw.index, dtype="string")
    for col in columns.dropna().unique():
        mask = columns.eq(col)
        values.loc[mask] = raw.loc[mask, col].astype("string")
    return values


def _refuse(raw: pd.DataFrame, failed: pd.Series, column: str, message: str) -> None:
    """Stop on bad utilization values, naming the first offending file, row and column."""
    failed = failed.fillna(False)
    if not failed.any():
        return
    first = raw.loc[failed].iloc[0]
    more = int(failed.sum()) - 1
    value = first[column]
    raise ContractError(
        f"{message}: {value!r}" + (f" (and {more} more rows)" if more else ""),
        file=first["file"],
        sheet=first["sheet"] or None,
        row=int(first["row"]),
        column=column,
    )

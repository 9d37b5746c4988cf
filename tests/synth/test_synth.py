"""The synthetic world: byte-stable files that follow the contract, planted counts and a truth that hold.

The readers here are deliberately independent of `ingest`/`clean`: they re-parse the written files
with openpyxl and csv and must land exactly on the truth and the planted counts.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hhforecast import synth
from hhforecast.core import config
from hhforecast.core.contract import (
    EVENT_REJECT_REASONS,
    alias_lookup,
    canonical_source,
    match_header,
    normalize_name,
    registration_key,
)
from hhforecast.core.errors import ConfigError
from hhforecast.synth import truthdist
from tests.helpers import REPO, SMALL_DRIFT, SMALL_WORLD, project_copy, run_stage

# The small world (SMALL_WORLD: 70 weeks from October 2016) spans three calendar years, so every yearly layout appears:
# English and Portuguese workbooks, all three date styles, title rows and a total row, and the
# Portuguese cp1252, English UTF-8-BOM and tab-delimited utilization files.
KEEP = ("PILOT", "CABIN")


def small_params(params: config.Params, **update: Any) -> config.SyntheticParams:
    drift = params.synthetic.drift.model_copy(update=SMALL_DRIFT)
    return params.synthetic.model_copy(update={**SMALL_WORLD, "drift": drift, **update})


@pytest.fixture(scope="module")
def small(params) -> config.SyntheticParams:
    return small_params(params)


@pytest.fixture(scope="module")
def world(small) -> synth.World:
    return synth.build_world(small)


@pytest.fixture(scope="module")
def written(world, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("world")
    synth.write_world(world, root / "raw", root / "truth")
    return root


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- an independent reader of the written files -------------------------------------------


def parse_hh(value: object) -> float | None:
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip() if value is not None else ""
    if match := re.fullmatch(r"(\d+):(\d{2})", text):
        return int(match[1]) + int(match[2]) / 60
    if re.fullmatch(r"-?\d+(,\d+)?", text):
        return float(text.replace(",", "."))
    return None


def parse_fh(text: str) -> float:
    return int(text[:-3]) + int(text[-2:]) / 60 if ":" in text else float(text.replace(",", "."))


def parse_when(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    for fmt in ("%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M"):
        try:
            return dt.datetime.strptime(str(value), fmt)
        except ValueError:
            pass
    return None


def read_workbooks(raw: Path, params: config.Params) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Data rows (canonical keys, values as written) and one layout record per workbook."""
    contract = params.contract
    lookup = alias_lookup(contract.events.aliases)
    records, layouts = [], []
    for path in sorted((raw / "events_unscheduled").glob("*.xlsx")):
        workbook = openpyxl.load_workbook(path, read_only=True)
        rows = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
        workbook.close()
        header = next(
            i
            for i, r in enumerate(rows[: contract.header_search_rows])
            if set(contract.events.required) <= set(match_header(r, lookup).values())
        )
        columns = match_header(rows[header], lookup)
        totals = 0
        for row in rows[header + 1 :]:
            if all(v is None for v in row):
                continue
            record = {name: row[pos] if pos < len(row) else None for pos, name in columns.items()}
            if record["event_id"] is None and any("total" in str(v).lower() for v in row if v is not None):
                totals += 1
                continue
            records.append({**record, "file": path.name})
        layouts.append({"file": path.name, "header": rows[header], "title_rows": header, "totals": totals})
    return records, layouts


def classify_events(records: list[dict[str, Any]], params: config.Params) -> pd.DataFrame:
    """Parsed rows plus every defect each one has (a clean row has none)."""
    sources = params.contract.events.sources
    frame = pd.DataFrame(
        {
            "file": [r["file"] for r in records],
            "event_id": pd.Series([r["event_id"] for r in records], dtype=object),
            "action_id": pd.Series([r["action_id"] for r in records], dtype=object),
            "registration": registration_key(pd.Series([r["registration"] for r in records], dtype="string")),
            "source": canonical_source(pd.Series([r["source"] for r in records], dtype="string"), sources),
            "raised_at": pd.Series([parse_when(r["raised_at"]) for r in records], dtype="datetime64[us]"),
            "hh_raw": pd.Series([r["hh"] for r in records], dtype=object),
            "hh": pd.Series([parse_hh(r["hh"]) for r in records], dtype=float),
        }
    )
    defects = {
        "missing_event_id": frame["event_id"].isna(),
        "unparseable_date": frame["raised_at"].isna(),
        "unknown_source": frame["source"].isna(),
        "missing_hh": frame["hh_raw"].isna(),
        "unparseable_hh": frame["hh_raw"].notna() & frame["hh"].isna(),
        "negative_hh": frame["hh"] < 0,
        "hh_above_max": frame["hh"] > params.clean.max_hh_per_row,
    }
    frame["defects"] = [tuple(reason for reason, flags in defects.items() if flags.iloc[i]) for i in range(len(frame))]
    return frame


def read_csvs(raw: Path, params: config.Params) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """Every utilization row, parsed, with its file; and each file's encoding, delimiter, header."""
    lookup = alias_lookup(params.contract.utilization.aliases)
    frames, formats = [], []
    for path in sorted((raw / "aircraft_utilization").glob("*.csv")):
        data = path.read_bytes()
        if data.startswith(codecs.BOM_UTF8):
            text, encoding = data[3:].decode("utf-8"), "utf-8-sig"
        else:
            try:
                text, encoding = data.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                text, encoding = data.decode("cp1252"), "cp1252"
        lines = text.splitlines()
        delimiter = max(";,\t", key=lines[0].count)
        rows = list(csv.reader(lines, delimiter=delimiter))
        columns = match_header(rows[0], lookup)
        frame = pd.DataFrame([[r[p] for p in columns] for r in rows[1:]], columns=list(columns.values()), dtype=object)
        frames.append(frame.assign(file=path.name))
        formats.append(
            {
                "file": path.name,
                "encoding": encoding,
                "delimiter": delimiter,
                "header": rows[0],
                "newline": "\r\n" if "\r\n" in text else "\n",
                "canonical": columns,
            }
        )
    frame = pd.concat(frames, ignore_index=True)
    fh_text = frame["flight_hours"]
    parsed = pd.DataFrame(
        {
            "file": frame["file"],
            "date": _parse_days(frame["date"]),
            "registration": registration_key(frame["registration"].astype("string")),
            "flight_hours": fh_text.map(parse_fh),
            "cycles": frame["cycles"].astype(int),
            "manufacture_date": _parse_days(frame["manufacture_date"]),
            "aircraft_type": frame["aircraft_type"].astype(str),
            "fh_text": fh_text.astype(str),
            "registration_text": frame["registration"].astype(str),
        }
    )
    return parsed, formats


def _parse_days(text: pd.Series) -> pd.Series:
    dmy = text.str.contains("/")
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    out[dmy] = pd.to_datetime(text[dmy], format="%d/%m/%Y")
    out[~dmy] = pd.to_datetime(text[~dmy], format="%Y-%m-%d")
    return out


@pytest.fixture(scope="module")
def workbooks(written, params):
    return read_workbooks(written / "raw", params)


@pytest.fixture(scope="module")
def events_read(workbooks, params) -> pd.DataFrame:
    return classify_events(workbooks[0], params)


@pytest.fixture(scope="module")
def csvs(written, params):
    return read_csvs(written / "raw", params)


# --- determinism and atomic output --------------------------------------------------------


def test_same_params_give_byte_identical_files(small, written, tmp_path):
    synth.write_world(synth.build_world(small), tmp_path / "raw", tmp_path / "truth")
    first, second = files_under(written), files_under(tmp_path)
    assert sorted(first) == sorted(second)
    assert {"truth/weekly_truth.csv", "truth/planted.json", "truth/aircraft.csv"} <= set(first)
    assert any(name.endswith(".xlsx") for name in first) and any(name.endswith(".csv") for name in first)
    assert [name for name in first if first[name] != second[name]] == []


def test_a_rewrite_replaces_the_whole_tree_and_leaves_no_staging_folders(world, tmp_path):
    synth.write_world(world, tmp_path / "raw", tmp_path / "truth")
    (tmp_path / "raw" / "stale.csv").write_text("left from an earlier run")
    synth.write_world(world, tmp_path / "raw", tmp_path / "truth")
    assert not (tmp_path / "raw" / "stale.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw", "truth"]


def test_a_failed_write_leaves_the_previous_files(world, tmp_path, monkeypatch):
    synth.write_world(world, tmp_path / "raw", tmp_path / "truth")
    before = files_under(tmp_path)

    def fail(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(synth.export, "_write_truth", fail)  # write_world looks it up in export
    with pytest.raises(OSError, match="disk full"):
        synth.write_world(world, tmp_path / "raw", tmp_path / "truth")
    assert files_under(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw", "truth"]


# --- the contract: headers and vocabularies -----------------------------------------------


@pytest.mark.parametrize(
    "language, variant", [(lang, i) for lang, variants in synth.EVENT_HEADERS.items() for i in range(len(variants))]
)
def test_every_event_header_maps_to_its_canonical_column(params, language, variant):
    lookup = alias_lookup(params.contract.events.aliases)
    header = synth.EVENT_HEADERS[language][variant]
    for canonical, name in header:
        expected = None if canonical == "description" else canonical  # an extra column, ignored by design
        assert lookup.get(normalize_name(name)) == expected, name
    assert set(params.contract.events.required) <= {canonical for canonical, _ in header}


@pytest.mark.parametrize("style", sorted(synth.UTILIZATION_STYLES))
def test_every_utilization_header_maps_to_its_canonical_column(params, style):
    lookup = alias_lookup(params.contract.utilization.aliases)
    header = synth.UTILIZATION_STYLES[style][0]
    canonical = [lookup.get(normalize_name(name)) for name in header]
    assert canonical == ["date", "registration", "flight_hours", "cycles", "manufacture_date", "aircraft_type"]


@pytest.mark.parametrize("source, spelling", [(s, v) for s, vs in synth.SOURCE_SPELLINGS.items() for v in vs])
@pytest.mark.parametrize("case", [str, str.upper, str.lower, str.title])
def test_every_source_spelling_maps_in_any_case(params, source, spelling, case):
    mapped = canonical_source(pd.Series([case(spelling)], dtype="string"), params.contract.events.sources)
    assert mapped.iloc[0] == source


@pytest.mark.parametrize("spelling", synth.UNKNOWN_SOURCES)
def test_planted_unknown_sources_do_not_map(params, spelling):
    assert canonical_source(pd.Series([spelling], dtype="string"), params.contract.events.sources).isna().all()


def test_written_workbooks_carry_every_kind_of_mess(workbooks, params):
    records, layouts = workbooks
    lookup = alias_lookup(params.contract.events.aliases)
    for layout in layouts:
        named = {normalize_name(h) for h in layout["header"]}
        assert named - set(lookup) <= {"description", "descricao"}, layout["file"]
    languages = {
        language
        for layout in layouts
        for language, variants in synth.EVENT_HEADERS.items()
        if any(layout["header"] == [name for _, name in variant] for variant in variants)
    }
    assert languages == {"en", "pt"}
    assert {layout["title_rows"] for layout in layouts} >= {0, 1, 3}
    assert sum(layout["totals"] for layout in layouts) >= 1
    hh = [r["hh"] for r in records]
    assert any(isinstance(v, float) for v in hh)
    assert any(isinstance(v, str) and re.fullmatch(r"\d+,\d{2}", v) for v in hh)
    assert any(isinstance(v, str) and re.fullmatch(r"\d{2}:\d{2}", v) for v in hh)
    raised = [r["raised_at"] for r in records]
    assert any(isinstance(v, dt.datetime) for v in raised)
    assert any(isinstance(v, str) and re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", v) for v in raised)
    assert any(isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", v) for v in raised)
    registrations = {str(r["registration"]) for r in records}
    assert any(re.fullmatch(r"P[RTSP]-[A-Z]{3}", v) for v in registrations)
    assert any(re.fullmatch(r"P[RTSP][A-Z]{3}", v) for v in registrations)
    assert any(re.fullmatch(r" p[rtsp]-[a-z]{3}", v) for v in registrations)
    atas = {str(r["ata"]) for r in records}
    assert all(re.fullmatch(r"\d{2}|\d{2}-\d{2}|ATA \d{2}", v) for v in atas)
    assert {"Manutenção", "MANUTENÇÃO"} & {r["source"] for r in records}


def test_written_csvs_use_three_formats(csvs, params):
    _, formats = csvs
    seen = {(f["encoding"], f["delimiter"], f["newline"]) for f in formats}
    assert seen == {("cp1252", ";", "\r\n"), ("utf-8-sig", ",", "\n"), ("utf-8", "\t", "\n")}
    for f in formats:
        assert set(params.contract.utilization.required) <= set(f["canonical"].values()), f["file"]
    pt = next(f for f in formats if f["encoding"] == "cp1252")
    assert "Matrícula" in pt["header"] and "Data de Fabricação" in pt["header"]


def test_written_fh_and_registrations_vary(csvs):
    frame, _ = csvs
    assert frame["fh_text"].str.fullmatch(r"\d+,\d").any()
    assert frame["fh_text"].str.fullmatch(r"\d+\.\d").any()
    assert frame["fh_text"].str.fullmatch(r"\d{2}:\d{2}").any()
    assert frame["registration_text"].str.startswith(" ").any()
    assert frame["registration_text"].str.fullmatch(r"P[RTSP][A-Z]{3}").any()


# --- planted counts -----------------------------------------------------------------------


def test_planted_invalid_counts_are_the_params(world, small):
    for reason in EVENT_REJECT_REASONS:
        assert reason in world.planted["events"]
    for reason, count in small.invalid_event_rows.items():
        assert world.planted["events"][reason] == count
    assert world.planted["events"]["superseded"] == world.planted["events"]["outside_dataset_weeks"] == 0
    assert world.planted["utilization"]["superseded"] == small.conflicting_utilization_rows


def test_every_invalid_row_has_exactly_one_defect_and_the_counts_match(events_read, world):
    rejected = events_read[events_read["defects"].map(len) > 0]
    assert rejected["defects"].map(len).eq(1).all()
    counts = rejected["defects"].map(lambda d: d[0]).value_counts().to_dict()
    planted = world.planted["events"]
    assert counts == {r: n for r, n in planted.items() if r in synth.INVALID_REASONS and n}
    assert rejected["source"].dropna().isin(KEEP).all()
    ids = rejected["event_id"].dropna()
    assert not ids.isin(events_read.loc[events_read["defects"].map(len) == 0, "event_id"]).any()


def test_overlap_duplicates_are_identical_after_parsing_and_counted(events_read, world):
    valid = events_read[events_read["defects"].map(len) == 0]
    key = ["event_id", "action_id"]
    copies = valid[valid.duplicated(key, keep=False)]
    assert copies["file"].nunique() >= 2
    same = copies.groupby(key)[["registration", "source", "raised_at", "hh"]].nunique()
    assert (same == 1).all().all()
    assert int(valid.duplicated(key).sum()) == world.planted["events"]["duplicate"] > 0
    unique = valid.drop_duplicates(key)
    assert int((~unique["source"].isin(KEEP)).sum()) == world.planted["events"]["source_not_kept"]
    assert len(unique) == len(world.events)


def test_rows_written_and_total_rows_are_what_the_files_hold(workbooks, csvs, world):
    records, layouts = workbooks
    frame, _ = csvs
    assert world.planted["events_rows_written"] == len(records)
    assert world.planted["utilization_rows_written"] == len(frame)
    assert world.planted["total_rows"] == sum(layout["totals"] for layout in layouts)


def test_utilization_overlaps_plant_duplicates_and_conflicts_the_last_file_resolves(csvs, world):
    frame, _ = csvs
    key = ["date", "registration"]
    values = ["flight_hours", "cycles", "manufacture_date", "aircraft_type"]
    kept = frame.drop_duplicates(key, keep="last")  # files are read in name order
    others = frame.drop(kept.index).merge(kept, on=key, suffixes=("", "_kept"))
    same = np.logical_and.reduce(
        [
            np.isclose(others[v], others[f"{v}_kept"]) if v == "flight_hours" else others[v] == others[f"{v}_kept"]
            for v in values
        ]
    )
    assert int(same.sum()) == world.planted["utilization"]["duplicate"]
    assert int((~same).sum()) == world.planted["utilization"]["superseded"]
    truth = world.utilization.assign(registration=registration_key(world.utilization["registration"]))
    merged = kept.merge(truth, on=key, suffixes=("", "_true"), validate="one_to_one")
    assert len(merged) == len(kept) == len(world.utilization)
    assert np.allclose(merged["flight_hours"], merged["flight_hours_true"])
    assert (merged["cycles"] == merged["cycles_true"]).all()


# --- the truth ----------------------------------------------------------------------------


def test_reparsed_hh_strings_reproduce_the_truth_hh(events_read, written, small):
    valid = events_read[events_read["defects"].map(len) == 0].drop_duplicates(["event_id", "action_id"])
    kept = valid[valid["source"].isin(KEEP)]
    monday = kept["raised_at"].dt.normalize() - pd.to_timedelta(kept["raised_at"].dt.day_of_week, unit="D")
    weekly = kept.groupby(monday.dt.strftime("%Y-%m-%d"))["hh"].sum()
    truth = pd.read_csv(written / "truth" / "weekly_truth.csv")
    assert set(weekly.index) <= set(truth["date"])
    reparsed = weekly.reindex(truth["date"], fill_value=0.0).to_numpy()
    assert np.abs(reparsed - truth["HH"].to_numpy()).max() < 1e-6


def test_reparsed_utilization_reproduces_the_truth_features(csvs, written, small):
    frame, _ = csvs
    kept = frame.drop_duplicates(["date", "registration"], keep="last")
    monday = kept["date"] - pd.to_timedelta(kept["date"].dt.day_of_week, unit="D")
    kept = kept.assign(monday=monday, age=(monday - kept["manufacture_date"]).dt.days / 365.25)
    weeks = pd.date_range(small.start, periods=small.weeks, freq="7D")
    fh = kept.groupby("monday")["flight_hours"].sum().reindex(weeks, fill_value=0.0)
    per_aircraft = kept.groupby(["monday", "registration"])["age"].first()
    features = pd.DataFrame(
        {
            "acft": per_aircraft.groupby(level=0).size(),
            "sum_daily_hours": fh,
            "age_fleet": per_aircraft.groupby(level=0).mean(),
            "Cycles": kept.groupby("monday")["cycles"].sum(),
            "sum_uti_mensal": fh.rolling(4, min_periods=1).sum(),
        }
    ).reindex(weeks)
    truth = pd.read_csv(written / "truth" / "weekly_truth.csv", parse_dates=["date"]).set_index("date")
    got = features.loc[truth.index]
    for column in got.columns:
        assert np.abs(got[column].to_numpy(float) - truth[column].to_numpy(float)).max() < 1e-5, column


def test_truth_invariants(world, small):
    truth = world.truth
    assert list(truth.columns) == [
        "date",
        "acft",
        "sum_daily_hours",
        "age_fleet",
        "Cycles",
        "sum_uti_mensal",
        "HH",
        "HH_expected",
        "drift",
        "HH_median",
        "HH_q025",
        "HH_q10",
        "HH_q90",
        "HH_q975",
    ]
    dates = truth["date"]
    assert dates.iloc[0] == pd.Timestamp(small.start) + pd.Timedelta(weeks=small.events_lag_weeks)
    assert (dates.dt.day_of_week == 0).all() and dates.diff().iloc[1:].eq(pd.Timedelta(days=7)).all()
    assert len(truth) == small.weeks - small.events_lag_weeks
    assert (truth["HH"] >= 0).all() and (truth["HH_expected"] > 0).all() and (truth["acft"] > 0).all()
    assert truth["drift"].tolist() == [0] * (len(truth) - small.drift.weeks) + [1] * small.drift.weeks
    rolling = truth["sum_daily_hours"].rolling(4).sum()
    assert np.allclose(truth["sum_uti_mensal"].iloc[3:], rolling.iloc[3:])
    assert (truth["sum_uti_mensal"] >= truth["sum_daily_hours"]).all()


def test_truth_files_are_written_with_fixed_precision(written):
    lines = (written / "truth" / "weekly_truth.csv").read_text().splitlines()
    assert lines[0] == (
        "date,acft,sum_daily_hours,age_fleet,Cycles,sum_uti_mensal,HH,HH_expected,drift,"
        "HH_median,HH_q025,HH_q10,HH_q90,HH_q975"
    )
    row = re.compile(r"\d{4}-\d{2}-\d{2},\d+,(\d+\.\d{6},){2}\d+,(\d+\.\d{6},){3}[01](,\d+\.\d{6}){5}")
    assert all(row.fullmatch(line) for line in lines[1:])
    aircraft = (written / "truth" / "aircraft.csv").read_text().splitlines()
    assert aircraft[0] == "registration,aircraft_type,manufacture_date,in_service_from,in_service_to,used_delivery"
    planted = json.loads((written / "truth" / "planted.json").read_text())
    assert set(planted) == {"events", "utilization", "events_rows_written", "utilization_rows_written", "total_rows"}
    law = pd.read_csv(written / "truth" / truthdist.DEFECT_LAW_FILE)
    assert list(law.columns) == ["hours", "probability"] and law["probability"].sum() == pytest.approx(1.0)


def test_realized_hh_tracks_the_expected_hh_over_the_world(world):
    ratio = world.truth["HH"].sum() / world.truth["HH_expected"].sum()
    assert 0.85 < ratio < 1.15


# --- the dynamics -------------------------------------------------------------------------


@pytest.mark.parametrize("age", [6.0, 12.0])
def test_aging_multiplier_is_continuous_at_the_breaks(small, age):
    below, above = synth.aging_multiplier(np.array([age - 1e-9, age + 1e-9]), small.aging_breaks, small.aging_slopes)
    assert above == pytest.approx(below, rel=1e-8)


@pytest.mark.parametrize("band, slope_index", [((1.0, 5.0), 0), ((7.0, 11.0), 1), ((13.0, 30.0), 2)])
def test_aging_multiplier_is_log_linear_with_each_bands_slope(small, band, slope_index):
    lo, hi = synth.aging_multiplier(np.array(band), small.aging_breaks, small.aging_slopes)
    assert np.log(hi / lo) / (band[1] - band[0]) == pytest.approx(small.aging_slopes[slope_index])


@given(
    b0=st.floats(0.5, 15.0),
    gap=st.floats(0.5, 15.0),
    slopes=st.tuples(st.floats(1e-4, 0.5), st.floats(1e-4, 0.5), st.floats(1e-4, 0.5)),
)
def test_aging_multiplier_is_continuous_and_increasing_for_any_positive_slopes(b0, gap, slopes):
    breaks = (b0, b0 + gap)
    ages = np.sort(np.concatenate([np.linspace(0.0, 40.0, 401), np.array(breaks)]))
    m = synth.aging_multiplier(ages, breaks, slopes)
    assert (np.diff(m) >= 0).all() and (m[1:] > m[0]).all()
    for b in breaks:
        below, above = synth.aging_multiplier(np.array([b - 1e-9, b + 1e-9]), breaks, slopes)
        assert above == pytest.approx(below, rel=1e-7)


def test_aging_multiplier_starts_at_one_and_increases(small):
    ages = np.linspace(0.0, 40.0, 4001)
    m = synth.aging_multiplier(ages, small.aging_breaks, small.aging_slopes)
    assert m[0] == 1.0 and (np.diff(m) > 0).all()


@pytest.mark.parametrize(
    "day, low, high",
    [
        ("2020-03-22", 1.0, 1.0),  # before the collapse
        ("2020-04-06", 0.2, 0.2),  # the trough, two weeks in
        ("2020-12-01", 0.2, 1.0),  # recovering
        ("2021-09-01", 1.0, 1.0),  # recovered after collapse_recovery_weeks
    ],
)
def test_collapse_factor(params, day, low, high):
    factor = synth.collapse_factor(np.array([np.datetime64(day)]), params.synthetic)[0]
    assert low - 1e-9 <= factor <= high + 1e-9


@pytest.mark.parametrize("peak, trough", [("2021-01-08", "2021-04-08"), ("2021-07-09", "2021-10-08")])
def test_seasonality_peaks_in_january_and_july(peak, trough):
    values = synth.seasonality(np.array([np.datetime64(peak), np.datetime64(trough)]))
    assert values[0] > 1.0 > values[1]


def test_expected_hh_per_defect_matches_a_monte_carlo_of_the_generator(small):
    k, units = synth.draw_defect_hh_units(np.random.default_rng(7), 400_000, small)
    assert ((units > 0).sum(axis=1) == k).all() and (units >= 0).all()
    mean = units.sum(axis=1).mean() / synth.HH_UNITS_PER_HOUR
    assert mean == pytest.approx(synth.expected_hh_per_defect(small), rel=0.01)


def test_events_table_is_canonical(world, small):
    events = world.events
    assert not events.duplicated(["event_id", "action_id"]).any()
    assert set(events["source"]) <= set(synth.SOURCES)
    units = events["hh"] * synth.HH_UNITS_PER_HOUR
    assert np.allclose(units, np.rint(units)) and (units >= 1).all() and (events["hh"] <= small.aog_hours[1]).all()
    assert (events["raised_at"].dt.second == 0).all() and (events["closed_at"] > events["raised_at"]).all()
    first = pd.Timestamp(small.start) + pd.Timedelta(weeks=small.events_lag_weeks)
    assert events["raised_at"].min() >= first
    actions = events.groupby("event_id")["action_id"].agg(lambda a: sorted(map(int, a)))
    assert actions.map(lambda a: a == list(range(1, len(a) + 1))).all()
    assert events.groupby("event_id")[["registration", "source", "raised_at"]].nunique().eq(1).all().all()


def test_utilization_table_is_one_row_per_aircraft_day_in_service(world):
    util, aircraft = world.utilization, world.aircraft
    assert not util.duplicated(["date", "registration"]).any()
    tenths = util["flight_hours"] * 10
    assert np.allclose(tenths, np.rint(tenths)) and (util["flight_hours"] > 0).all() and (util["cycles"] >= 1).all()
    service = util.merge(aircraft, on="registration", suffixes=("", "_ac"))
    assert service["date"].between(service["in_service_from"], service["in_service_to"]).all()


def test_fleet_grows_retires_and_receives_the_drift_aircraft(world, small):
    aircraft = world.aircraft
    drift_start = pd.Timestamp(small.start) + pd.Timedelta(weeks=small.weeks - small.drift.weeks)
    plateau_start = drift_start - pd.Timedelta(weeks=small.plateau_weeks)
    last = pd.Timestamp(small.start) + pd.Timedelta(days=small.weeks * 7 - 1)
    assert len(aircraft) == small.fleet_end + small.retirements + small.drift.used_aircraft
    # retirements, plus the youngest aircraft leaving as the old drift aircraft arrive
    assert (aircraft["in_service_to"] < last).sum() == small.retirements + small.drift.used_aircraft
    changes = pd.concat([aircraft["in_service_from"], aircraft["in_service_to"] + pd.Timedelta(days=1)])
    assert changes[(changes > plateau_start) & (changes != drift_start) & (changes <= last)].empty

    def in_service(day):
        return int(((aircraft["in_service_from"] <= day) & (aircraft["in_service_to"] >= day)).sum())

    assert in_service(drift_start - pd.Timedelta(days=1)) == in_service(drift_start) == small.fleet_end
    drift = aircraft[aircraft["drift_aircraft"]]
    assert (drift["in_service_from"] == drift_start).all() and drift["used_delivery"].all()
    age = (drift_start - drift["manufacture_date"]).dt.days / 365.25
    assert age.between(*small.drift.used_age_years).all()
    assert aircraft["registration"].is_unique and registration_key(aircraft["registration"]).is_unique


def test_the_default_world_has_about_100k_event_rows(params):
    world = synth.build_world(params.synthetic)
    assert 90_000 <= len(world.events) <= 110_000


@pytest.mark.parametrize(
    "update, key",
    [
        ({"overlap_days": 0}, "conflicting_utilization_rows"),
        ({"source_mix": {"PILOT": 1.0, "GROUND": 1.0}}, "source_mix"),
        ({"invalid_event_rows": {"bad_reason": 1}}, "invalid_event_rows"),
        ({"retirements": 9}, "retirements"),
        ({"weeks": 12}, "drift.weeks"),
        ({"plateau_weeks": 60}, "plateau_weeks"),
    ],
)
def test_inconsistent_params_name_the_key(params, update, key):
    with pytest.raises(ConfigError, match=rf"synthetic\.{re.escape(key)}"):
        synth.build_world(small_params(params, **update))


# --- the stage ----------------------------------------------------------------------------


def _stage_overrides(params: config.Params, **update: Any) -> dict[str, Any]:
    synthetic = {**SMALL_WORLD, "start": SMALL_WORLD["start"].isoformat(), **update}
    synthetic["drift"] = {**params.synthetic.drift.model_dump(), **SMALL_DRIFT}
    return {"synthetic": synthetic}


def test_generate_stage_writes_the_world_and_reports_each_file(params, tmp_path):
    work = project_copy(tmp_path, tmp_path / "unused", **_stage_overrides(params))
    result = run_stage(work, "generate")
    assert result.returncode == 0, result.stderr
    files = files_under(work / "data" / "synthetic")
    wrote = [line for line in result.stderr.splitlines() if line.startswith("generate: wrote ")]
    assert len(wrote) == len(files)
    assert "event rows and" in result.stderr.splitlines()[-1]


def test_generate_stage_fails_with_one_line_naming_the_key(params, tmp_path):
    work = project_copy(tmp_path, tmp_path / "unused", **_stage_overrides(params, overlap_days=0))
    result = run_stage(work, "generate")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "synthetic.conflicting_utilization_rows" in result.stderr
    assert not (work / "data" / "synthetic").exists() or not any((work / "data" / "synthetic").rglob("*.csv"))


@pytest.mark.parametrize(
    "lag, first_week",
    [
        (3, 3),  # events from week 3: the 28-day window (weeks 0-3) decides, as weeks.dataset_week_range does
        (5, 5),  # events from week 5: the events' range decides
    ],
)
def test_truth_follows_the_dataset_week_rule(params, lag, first_week):
    small = small_params(params, events_lag_weeks=lag)
    truth = synth.build_world(small).truth
    assert truth["date"].iloc[0] == pd.Timestamp(small.start) + pd.Timedelta(weeks=first_week)
    assert len(truth) == small.weeks - first_week


def test_interaction_off_leaves_the_rate_as_it_was_and_on_wears_old_busy_aircraft_more(small):
    fh, fc = np.array([5.0, 10.0, 5.0, 10.0]), np.array([4, 8, 4, 8])
    age, day = np.array([1.0, 1.0, 15.0, 15.0]), np.zeros(4, dtype=np.int64)
    m = synth.aging_multiplier(age, small.aging_breaks, small.aging_slopes)
    off = synth.world._daily_rate(small, fh, fc, age, day)
    assert np.array_equal(off, (small.rate_fh * fh + small.rate_fc * fc + small.rate_day) * m)
    on = synth.world._daily_rate(small.model_copy(update={"interaction": 0.1}), fh, fc, age, day)
    assert np.allclose(on - off, small.rate_fh * fh * 0.1 * age * m)
    extra = on / off
    assert extra[0] < extra[1] and extra[0] < extra[2] < extra[3]  # grows with utilization and with age


# --- facts the synthetic world shares with the pipeline, each spelled in one module ---------------


@pytest.mark.parametrize(
    "pattern, home",
    [
        (r"UNITS_PER_HOUR\s*=\s*20\b", "hhforecast/synth/truthdist.py"),  # the HH quantum the world draws and exports
        (r"1899\D{1,4}12\D{1,4}30", "hhforecast/core/contract.py"),  # Excel's day 0: clean reads it, export writes it
    ],
)
def test_a_fact_the_world_shares_with_the_pipeline_is_spelled_in_one_module(pattern, home):
    spelled = sorted(
        path.relative_to(REPO).as_posix()
        for path in (REPO / "hhforecast").rglob("*.py")
        if re.search(pattern, path.read_text(encoding="utf-8"))
    )
    assert spelled == [home]

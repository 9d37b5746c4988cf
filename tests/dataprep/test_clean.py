import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hhforecast.core.errors import ContractError
from hhforecast.dataprep import clean

WEEKS = (dt.date(2020, 1, 6), dt.date(2020, 12, 28))


def raw_events(*rows: dict) -> pd.DataFrame:
    base = {
        "file": "events_unscheduled/e.xlsx",
        "sheet": "S",
        "event_id": "D1",
        "action_id": "1",
        "registration": "PR-AXA",
        "source": "PILOT",
        "raised_at": "2020-02-03 08:00:00",
        "closed_at": None,
        "hh": "1.5",
        "ata": None,
    }
    records = [{**base, "row": i + 2, **row} for i, row in enumerate(rows)]
    frame = pd.DataFrame(records, columns=[*base, "row"])
    return frame.astype({c: "string" for c in base}).astype({"row": "int64"})


def raw_utilization(*rows: dict) -> pd.DataFrame:
    base = {
        "file": "aircraft_utilization/u.csv",
        "sheet": "",
        "date": "2020-02-03",
        "registration": "PR-AXA",
        "flight_hours": "9,4",
        "cycles": "7",
        "manufacture_date": "01/05/2012",
        "aircraft_type": "E190",
    }
    records = [{**base, "row": i + 2, **row} for i, row in enumerate(rows)]
    return pd.DataFrame(records).astype({c: "string" for c in base}).astype({"row": "int64"})


@pytest.mark.parametrize(
    "raw, hours",
    [
        (1.5, 1.5),
        ("1,5", 1.5),
        ("1.5", 1.5),
        ("01:30", 1.5),
        ("0:45", 0.75),
        (" 2 ", 2.0),
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("-1,5", -1.5),
        ("10:00:36", 10.01),
        ("2.0", 2.0),
    ],
)
def test_parse_hh_accepts_every_export_format(raw, hours):
    assert clean.parse_hh(raw) == pytest.approx(hours)


@pytest.mark.parametrize("raw", ["abc", "1h30", "--", "", None, "1:75", "1,2,3"])
def test_parse_hh_gives_nan_for_what_is_not_hours(raw):
    assert np.isnan(clean.parse_hh(raw))


@pytest.mark.parametrize(
    "raw, stamp",
    [
        ("2019-01-02 10:30:00", "2019-01-02 10:30"),
        ("2019-01-02T10:30", "2019-01-02 10:30"),
        ("2019-01-02", "2019-01-02 00:00"),
        ("02/01/2019 11:00", "2019-01-02 11:00"),
        ("2/1/2019", "2019-01-02 00:00"),
        ("43466.5", "2019-01-01 12:00"),
    ],
)
def test_parse_dates_accepts_every_export_format(raw, stamp):
    assert clean.parse_dates(pd.Series([raw])).iloc[0] == pd.Timestamp(stamp)


@pytest.mark.parametrize("raw", ["31/02/2019", "n/d", "2019-13-45", "", None, "yesterday"])
def test_parse_dates_gives_nat_for_what_is_not_a_date(raw):
    assert pd.isna(clean.parse_dates(pd.Series([raw], dtype="object")).iloc[0])


@pytest.mark.parametrize(
    "override, reason",
    [
        ({"event_id": None}, "missing_event_id"),
        ({"raised_at": "31/02/2020"}, "unparseable_date"),
        ({"source": "GROUND"}, "unknown_source"),
        ({"hh": None}, "missing_hh"),
        ({"hh": "1h30"}, "unparseable_hh"),
        ({"hh": "-1,5"}, "negative_hh"),
        ({"hh": "500"}, "hh_above_max"),
        ({"source": "MAREP"}, "source_not_kept"),
        ({"raised_at": "2021-06-01 10:00"}, "outside_dataset_weeks"),
    ],
)
def test_each_invalid_event_is_rejected_with_its_reason(params, override, reason):
    raw = raw_events({"event_id": "OK"}, override)
    kept, rejects = clean.clean_events(raw, params.clean, params.contract.events, WEEKS)
    assert kept["event_id"].tolist() == ["OK"]
    assert rejects[["row", "reason"]].values.tolist() == [[3, reason]]
    assert rejects["file"].iloc[0] == "events_unscheduled/e.xlsx"


def test_identical_rows_are_duplicates_and_changed_rows_superseded_by_the_last_file(params):
    raw = raw_events(
        {"file": "events_unscheduled/a.xlsx", "event_id": "D1", "hh": "1,5"},
        {"file": "events_unscheduled/b.xlsx", "event_id": "D1", "hh": "01:30", "registration": "praxa"},
        {"file": "events_unscheduled/a.xlsx", "event_id": "D2", "hh": "2"},
        {"file": "events_unscheduled/b.xlsx", "event_id": "D2", "hh": "3"},
    )
    kept, rejects = clean.clean_events(raw, params.clean, params.contract.events, WEEKS)
    assert sorted(zip(kept["event_id"], kept["hh"], kept["file"])) == [
        ("D1", 1.5, "events_unscheduled/b.xlsx"),
        ("D2", 3.0, "events_unscheduled/b.xlsx"),
    ]
    assert sorted(zip(rejects["value"], rejects["reason"])) == [("D1", "duplicate"), ("D2", "superseded")]


def test_actions_of_one_event_are_distinct_rows(params):
    raw = raw_events({"action_id": "1"}, {"action_id": "2"}, {"action_id": "2.0"})
    kept, rejects = clean.clean_events(raw, params.clean, params.contract.events, WEEKS)
    assert kept["action_id"].tolist() == ["1", "2"]
    assert rejects["reason"].tolist() == ["duplicate"]


def test_closed_at_can_define_the_week(params):
    raw = raw_events({"raised_at": "2020-02-02 23:00", "closed_at": "2020-02-03 01:00"})
    by_close = params.clean.model_copy(update={"date_column": "closed_at"})
    kept_raised, _ = clean.clean_events(raw, params.clean, params.contract.events, WEEKS)
    kept_closed, _ = clean.clean_events(raw, by_close, params.contract.events, WEEKS)
    assert kept_raised["week"].iloc[0] == pd.Timestamp("2020-01-27")
    assert kept_closed["week"].iloc[0] == pd.Timestamp("2020-02-03")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["D1", "D2", "D3", None]),
            st.sampled_from(["1", "2"]),
            st.sampled_from(["PILOT", "Cabine", "MAREP", "GROUND", None]),
            st.sampled_from(["2020-02-03 08:00", "31/02/2020", "2019-01-01", "04/02/2020 10:00"]),
            st.sampled_from(["1,5", "01:30", "-2", "500", "x", None, "3"]),
            st.sampled_from(["events_unscheduled/a.xlsx", "events_unscheduled/b.xlsx"]),
        ),
        max_size=25,
    )
)
def test_every_event_row_is_either_kept_or_rejected_once(params, rows):
    raw = raw_events(*[dict(zip(["event_id", "action_id", "source", "raised_at", "hh", "file"], r)) for r in rows])
    kept, rejects = clean.clean_events(raw, params.clean, params.contract.events, WEEKS)
    accounted = sorted(zip(kept["file"], kept["row"])) + sorted(zip(rejects["file"], rejects["row"]))
    assert sorted(accounted) == sorted(zip(raw["file"], raw["row"]))


def test_utilization_is_typed_and_deduplicated(params):
    raw = raw_utilization(
        {"file": "aircraft_utilization/a.csv", "flight_hours": "9,4"},
        {"file": "aircraft_utilization/b.csv", "flight_hours": "09:24", "registration": " pr-axa"},
        {"file": "aircraft_utilization/a.csv", "date": "04/02/2020", "cycles": "6"},
        {"file": "aircraft_utilization/b.csv", "date": "2020-02-04", "cycles": "7"},
    )
    kept, rejects = clean.clean_utilization(raw, params.clean)
    assert kept[["registration", "flight_hours", "cycles"]].values.tolist() == [["PRAXA", 9.4, 7], ["PRAXA", 9.4, 7]]
    assert kept["file"].tolist() == ["aircraft_utilization/b.csv"] * 2
    assert sorted(rejects["reason"]) == ["duplicate", "superseded"]


@pytest.mark.parametrize(
    "override, column, message",
    [
        ({"date": "2020-02-31"}, "date", "unparseable date"),
        ({"registration": " - "}, "registration", "missing aircraft registration"),
        ({"flight_hours": "nove"}, "flight_hours", "unparseable flight hours"),
        ({"flight_hours": "25"}, "flight_hours", "flight hours outside"),
        ({"cycles": "-1"}, "cycles", "not a whole number"),
        ({"cycles": "2.5"}, "cycles", "not a whole number"),
        ({"manufacture_date": "?"}, "manufacture_date", "unparseable manufacture date"),
    ],
)
def test_bad_utilization_stops_with_file_row_and_column(params, override, column, message):
    raw = raw_utilization({}, {}, override)
    with pytest.raises(
        ContractError, match=rf"aircraft_utilization/u\.csv, row 4, column '{column}': {message}"
    ) as err:
        clean.clean_utilization(raw, params.clean)
    assert (err.value.file, err.value.row, err.value.column) == ("aircraft_utilization/u.csv", 4, column)


def test_fleet_selection_rejects_other_types_and_their_events(params):
    raw = raw_utilization(
        {"registration": "PR-AXA", "aircraft_type": "e190"}, {"registration": "PR-AXB", "aircraft_type": "E195"}
    )
    kept, rejects = clean.clean_utilization(raw, params.clean, fleets=["E190"])
    assert kept["registration"].tolist() == ["PRAXA"]
    assert rejects[["reason", "value"]].values.tolist() == [["fleet_not_selected", "E195"]]
    events = raw_events({"registration": "PR-AXA", "event_id": "A"}, {"registration": "PR-AXB", "event_id": "B"})
    kept_events, event_rejects = clean.clean_events(events, params.clean, params.contract.events, WEEKS, {"PRAXA"})
    assert kept_events["event_id"].tolist() == ["A"]
    assert event_rejects[["reason", "value"]].values.tolist() == [["fleet_not_selected", "PRAXB"]]


def test_fleet_selection_needs_the_aircraft_type(params):
    raw = raw_utilization({"aircraft_type": None})
    with pytest.raises(ContractError, match=r"u\.csv, row 2, column 'aircraft_type': data\.fleets selects \['E190'\]"):
        clean.clean_utilization(raw, params.clean, fleets=["E190"])
